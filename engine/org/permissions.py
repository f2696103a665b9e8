"""Who may do what. Every permission rule of the product lives here."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, select, true
from sqlalchemy.orm import Session, object_session

from engine.core.errors import Forbidden, Invalid, NotFound
from engine.core.models import CaseInstance, CaseScope, OrgUnit, ProcessDefinition, Task, User
from engine.core.reference import OrgKind, reference
from engine.org.routing import ancestry, subtree_ids, window_role

DESIGNER = "designer"
ADMIN = "admin"


@dataclass(frozen=True)
class SystemActor:
    """Whoever runs a `flask --app wsgi ...` command on the server, or the app deploying its own diagrams.

    Shell access to the server already grants everything, so the commands act with the administrator's and
    the designer's rights; `username` is what the records name (e.g. the OS user of `flask catalog import`).
    It is no account: it cannot log in, hold tasks or see cases (`may_see_case` and the task rules take a `User`).
    """

    username: str = "system"
    roles: frozenset[str] = field(default=frozenset({ADMIN, DESIGNER}))
    active: bool = True


SYSTEM = SystemActor()


@dataclass(frozen=True)
class WorkerActor:
    """An external-task worker signed in with its credential (`engine.org.workers`): a program, not a person.

    Its scope is the subtree of its unit, as an administrator's (`scope_root`); it holds no role, so it passes
    no administrator's or designer's check, and it acts on external tasks only (`engine.tasks.external`).
    """

    username: str
    org: OrgUnit
    credential_id: int
    roles: frozenset[str] = field(default=frozenset())
    active: bool = True

    @property
    def org_id(self) -> int:
        return self.org.id


Actor = User | SystemActor | WorkerActor
"""Who acts in the engine functions: a logged-in user, an external-task worker, or the system (commands)."""


def is_candidate(user: User, task: Task) -> bool:
    """A user may work a task when they hold its role at the unit the task belongs to."""
    return user.active and task.org_id == user.org_id and task.role in user.roles


# The same rule as `is_candidate`, as a SQL condition for inbox queries: bind `candidate_params(user)`.
CANDIDATE_CONDITION = and_(
    Task.org_id == bindparam("candidate_org_id"), Task.role.in_(bindparam("candidate_roles", expanding=True))
)


def candidate_params(user: User) -> dict[str, Any]:
    return {"candidate_org_id": user.org_id, "candidate_roles": sorted(user.roles)}


def may_open_task(user: User, task: Task) -> bool:
    """A task's page is for those who may claim it and for its holder; to anyone else it does not exist (so a case
    page links a task only for them)."""
    return is_candidate(user, task) or task.assignee_id == user.id


def may_see_case(user: User, case_org_id: int, task_org_ids: set[int]) -> bool:
    """Clerks see the cases their unit accepted or holds a task of; administrators the cases accepted or worked
    at a unit of their scope (`scope_root`), every case for a system-level administrator."""
    if ADMIN in user.roles:
        return any_in_scope(user, {case_org_id} | task_org_ids)
    return user.org_id == case_org_id or user.org_id in task_org_ids


def ensure_may_accept(user: User, unit: OrgUnit) -> None:
    """Cases are accepted at one's own unit by whoever holds that unit's window role."""
    if unit.id != user.org_id or window_role(unit) not in user.roles:
        raise Forbidden(f"您没有在{unit.name}受理办件的权限")


def ensure_may_supply_deferred(user: User, accepting_unit: OrgUnit) -> None:
    """容缺补交 is recorded where the promise was made: by the window staff of the accepting unit."""
    if not user.active or accepting_unit.id != user.org_id or window_role(accepting_unit) not in user.roles:
        raise Forbidden(f"只有{accepting_unit.name}的窗口人员可以登记容缺补交")


def pending_supplements_units(user: User) -> ColumnElement[bool] | None:
    """Whose 待补正 list a user reads, as a condition on the accepting unit: a window its own unit's,
    an administrator the units of their scope; None for anyone else (no list)."""
    if ADMIN in user.roles:
        return unit_scope_condition(user, CaseInstance.org_id)
    if window_role(user.org) in user.roles:
        return CaseInstance.org_id == user.org_id
    return None


def ensure_designer(user: Actor) -> None:
    if DESIGNER not in user.roles:
        raise Forbidden("只有流程设计员可以部署流程")


def ensure_admin(user: Actor) -> None:
    if ADMIN not in user.roles:
        raise Forbidden("只有系统管理员可以执行此操作")


# --- The scope of administrative rights ----------------------------------------------------------
#
# One rule: an administrator's or designer's rights reach the subtree of the unit they belong to — a county's
# administrator acts on the county and every unit below it, a city's on the city, its centre and its counties —
# and the administrators and designers of a system-wide unit (an org kind with `scope = "all"`, the demo's
# 医保经办平台（全系统）) on every unit, as does `SYSTEM`. What lies outside is as if it did not exist: an object
# named by id answers the same `NotFound` as a missing one, a unit code in a form or filter the same `Invalid`
# as an unknown code, and listings leave it out. A case lies in a scope when the unit that accepted it, or a
# unit working one of its tasks, does.


def scope_root(user: Actor) -> OrgUnit | None:
    """The unit at the top of a user's scope, whose subtree they act on; None means every unit (`SYSTEM`, and the
    staff of a system-wide unit)."""
    if isinstance(user, SystemActor) or reference().kinds[user.org.kind].system_wide:
        return None
    return user.org


def is_system_level(user: Actor) -> bool:
    """True for whoever acts on every unit: `SYSTEM`, and staff of a system-wide unit."""
    return scope_root(user) is None


def in_scope(user: Actor, unit: OrgUnit) -> bool:
    """True when `unit` is the user's scope root or lies under it."""
    root = scope_root(user)
    return root is None or any(each.id == root.id for each in ancestry(unit))


def scope_units(user: Actor) -> Select[tuple[int]] | None:
    """The ids of the units of a user's scope as a subquery; None when the scope is every unit."""
    root = scope_root(user)
    return None if root is None else subtree_ids(root.id)


def unit_scope_condition(user: Actor, column: Any) -> ColumnElement[bool]:
    """A SQL condition keeping rows whose unit (`column`, an org unit id) lies in the user's scope."""
    units = scope_units(user)
    return true() if units is None else column.in_(units)


def any_in_scope(user: Actor, unit_ids: Iterable[int]) -> bool:
    """True when one of the units lies in the user's scope (asked of the user's own session)."""
    units = scope_units(user)
    if units is None:
        return True
    wanted = set(unit_ids)
    session = object_session(user.org if isinstance(user, WorkerActor) else user)
    if session is None or not wanted:
        return False
    return session.scalar(select(OrgUnit.id).where(OrgUnit.id.in_(wanted), OrgUnit.id.in_(units)).limit(1)) is not None


@dataclass(frozen=True)
class ListingScope:
    """The cases of a scope as the `CaseScope` rows of one unit (`engine.cases.scopes` writes them): those it
    accepted or holds a task of (`subtree` false), or those of any unit of its subtree (true). One index range."""

    org_id: int
    subtree: bool

    def condition(self) -> ColumnElement[bool]:
        return CaseInstance.id.in_(
            select(CaseScope.instance_id).where(CaseScope.org_id == self.org_id, CaseScope.subtree == self.subtree)
        )


def admin_listing_scope(user: Actor) -> ListingScope | None:
    """The cases of a user's scope: accepted, or with a task worked, at a unit of it; None means every case."""
    root = scope_root(user)
    return None if root is None else ListingScope(root.id, subtree=True)


def cases_in_scope(user: Actor) -> ColumnElement[bool]:
    """The cases of a user's scope as a SQL condition on cases (`admin_listing_scope`)."""
    scope = admin_listing_scope(user)
    return true() if scope is None else scope.condition()


def unit_in_scope(session: Session, user: Actor, code: str, field: str) -> OrgUnit:
    """The unit with this code if it lies in the user's scope; otherwise the `Invalid` an unknown code gives."""
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == code)).first()
    if unit is None or not in_scope(user, unit):
        raise Invalid("单位不存在", {field: [f"未知单位编码：{code}"]})
    return unit


def regions_in_scope(session: Session, user: Actor) -> set[str] | None:
    """The region names (unit names) whose item lists a user may import: those of the units of their scope;
    None means any region."""
    units = scope_units(user)
    if units is None:
        return None
    return set(session.scalars(select(OrgUnit.name).where(OrgUnit.id.in_(units))))


def unit_kinds_for(user: Actor) -> dict[str, OrgKind]:
    """The kinds of unit an administrator may create: a system-wide kind (whose staff act on every unit) only at the
    system level."""
    return {code: kind for code, kind in reference().kinds.items() if not kind.system_wide or is_system_level(user)}


def ensure_may_create_unit_of_kind(user: Actor, kind: str) -> None:
    known = reference().kinds.get(kind)
    if known is not None and kind not in unit_kinds_for(user):
        raise Invalid("单位类型有误", {"kind": [f"只有全系统管理员可以新建“{known.name}”单位"]})


def ensure_may_load_notice(user: Actor) -> None:
    """Holiday notices are national: only a system-level administrator loads one (everyone reads the calendar)."""
    ensure_admin(user)
    if not is_system_level(user):
        raise Forbidden("放假安排全国统一，只有全系统管理员可以载入")


# --- 好差评, SLA figures and case listings -----------------------------------------------------

SUPERVISOR = "supervisor"


def ensure_may_rate(user: User, case_org_id: int) -> None:
    """好差评 is recorded where the applicant was served: by the window or other staff of the accepting unit."""
    if not user.active or user.org_id != case_org_id:
        raise Forbidden("只有受理单位的工作人员可以登记该办件的好差评")


def visible_cases_scope(user: User) -> ListingScope | None:
    """The rule of `may_see_case` as the scope a listing reads: an administrator's scope, a clerk's own unit's cases
    (accepted there or with a task there); None means every case."""
    if ADMIN in user.roles:
        return admin_listing_scope(user)
    return ListingScope(user.org_id, subtree=False)


def visible_cases_filter(user: User) -> ColumnElement[bool]:
    """The rule of `may_see_case` as a SQL condition on cases (`visible_cases_scope`)."""
    scope = visible_cases_scope(user)
    return true() if scope is None else scope.condition()


def sla_scope(user: User, requested: OrgUnit | None) -> OrgUnit | None:
    """The unit whose figures (with those below it) a user may read; None means every unit.

    Administrators read those of any unit of their scope (their own scope without one asked; a unit outside is
    refused as an unknown one); a 督办员 reads their own unit's and those below it.
    """
    if ADMIN in user.roles:
        if requested is None:
            return scope_root(user)
        if not in_scope(user, requested):
            raise Invalid("单位不存在", {"org": [f"未知单位编码：{requested.code}"]})
        return requested
    if SUPERVISOR not in user.roles:
        raise Forbidden("只有系统管理员和督办员可以查看时效统计")
    if requested is None:
        return user.org
    if user.org_id not in {unit.id for unit in ancestry(requested)}:
        raise Forbidden(f"您只能查看{user.org.name}及下级单位的时效统计")
    return requested


# --- scanned materials (附件) ------------------------------------------------------------------


def attaching_task(user: User, open_tasks: Iterable[Task]) -> Task | None:
    """The open task of a case a user works when attaching a scan: one assigned to them first, else one they
    may claim (`is_candidate`); None when they hold none."""
    held = [task for task in open_tasks if user.active and (task.assignee_id == user.id or is_candidate(user, task))]
    held.sort(key=lambda task: (task.assignee_id != user.id, task.created_at))
    return held[0] if held else None


def may_attach(user: User, case_org_id: int, case_running: bool, held_task: Task | None) -> bool:
    """Scans are attached by whoever holds an open task of the case (`attaching_task`), or by the accepting
    unit while the case runs."""
    return user.active and (held_task is not None or (case_running and user.org_id == case_org_id))


def may_withdraw_attachment(user: User, uploaded_org_id: int) -> bool:
    """A scan is withdrawn only by the unit that uploaded it (and only while its stage lasts: the service's rule)."""
    return user.active and user.org_id == uploaded_org_id


# --- process designers and their regions ---------------------------------------------------------
#
# A process version belongs to a region (the name of a unit whose item lists name it, `ProcessDefinition.region`)
# or to the national base (None). A region's items run its own latest version of a process, else the base one.


def designer_region(user: Actor, unit_region: str | None) -> str | None:
    """The region whose versions a designer deploys: `unit_region`, the region of their unit
    (`catalogue.offering.region_of`); None, the national base, for a system-level designer (`SYSTEM`, the
    designers of a system-wide unit). A designer of any other unit in no region may deploy nothing."""
    ensure_designer(user)
    if is_system_level(user):
        return None
    if unit_region is None:
        raise Forbidden("您所在的单位不属于任何地区的事项清单，不能设计流程")
    return unit_region


def ensure_may_deploy_for(designer_scope: str | None, region: str | None) -> None:
    """A region's designer deploys versions of their own region only; a system-level designer (`designer_scope`
    None) those of the base or of any region."""
    if designer_scope is not None and region != designer_scope:
        raise Forbidden(f"您只能部署{designer_scope}的流程版本")


def may_see_version(designer_scope: str | None, version_region: str | None) -> bool:
    """A region's designer sees the base versions and their own region's, never another region's; a system-level
    designer sees every version."""
    return designer_scope is None or version_region is None or version_region == designer_scope


def visible_versions_condition(designer_scope: str | None) -> ColumnElement[bool]:
    """The rule of `may_see_version` as a SQL condition on process versions."""
    if designer_scope is None:
        return true()
    return or_(ProcessDefinition.region.is_(None), ProcessDefinition.region == designer_scope)


# --- what vendor diagrams' candidate groups mean, per region ------------------------------------------


def group_table_regions(session: Session, user: Actor, regions: Iterable[str]) -> list[str]:
    """The regions whose candidate-group table an administrator keeps: those named by a unit of their scope (a
    city's administrator keeps the city's; every region at the system level). Designers read their own region's."""
    ensure_admin(user)
    scope = regions_in_scope(session, user)
    return sorted(region for region in regions if scope is None or region in scope)


def ensure_may_map_groups(session: Session, user: Actor, region: str, regions: Iterable[str]) -> None:
    """A region outside the administrator's scope is as unknown as a region that does not exist."""
    if region not in group_table_regions(session, user, regions):
        raise Invalid("地区有误", {"region": [f"没有可维护的地区“{region}”"]})


def may_map_groups(session: Session, user: Actor, region: str | None, regions: Iterable[str]) -> bool:
    """Whether `user` may keep `region`'s table (None, the base's national table, is reviewed data: no one)."""
    return region is not None and ADMIN in user.roles and region in group_table_regions(session, user, regions)


# --- step limits: a region's administrators adjust its items' 默认时限 ------------------------------------


def step_limit_regions(session: Session, user: Actor, regions: Iterable[str]) -> list[str]:
    """The regions whose items' default step limits an administrator adjusts: those named by a unit of their scope,
    as for the candidate-group table (a city's administrator the city's items; every region at the system level)."""
    return group_table_regions(session, user, regions)


def ensure_may_adjust_limits(session: Session, user: Actor, item_region: str, regions: Iterable[str]) -> None:
    """An item of a region outside the administrator's scope is as unknown as an item that does not exist."""
    if item_region not in step_limit_regions(session, user, regions):
        raise NotFound("事项不存在")


# --- applicants' personal data (个人信息保护法) and what a failed step left ------------------------------


def may_see_personal_data(user: User, open_task_org_ids: set[int]) -> bool:
    """An applicant's full ID number and mobile are shown, on asking, to the staff of a unit that holds an open
    task of the case (who work it now); everyone else, administrators included, reads them masked."""
    return user.active and user.org_id in open_task_org_ids


def may_read_step_traces(user: User) -> bool:
    """Where in the code a step failed (the `trace` of an `error` event) is for administrators only."""
    return ADMIN in user.roles


# --- messages to cases ---------------------------------------------------------------------------------


def may_send_message(user: User, case_org_id: int, task_org_ids: set[int], wait_org_ids: set[int]) -> bool:
    """A message a case waits for (e.g. the 外伤调查结果 brought on paper) is reported by the staff of a unit holding
    the waiting step (`MessageWait.org_id`, its lane's unit), or by an administrator of a scope the case lies in.
    Outside systems send theirs with a worker credential, kept to its unit's subtree (`cases_in_scope`)."""
    if not user.active:
        return False
    if ADMIN in user.roles:
        return any_in_scope(user, {case_org_id} | task_org_ids)
    return user.org_id in wait_org_ids


# --- 首问负责 referrals --------------------------------------------------------------------------


def ensure_may_refer(user: User) -> None:
    """首问负责 binds whoever is asked first: any clerk of a unit with a window records a referral, for that unit."""
    if not user.active or window_role(user.org) is None or not user.roles - {ADMIN, DESIGNER}:
        raise Forbidden("只有窗口单位的工作人员可以登记首问")


def referrals_filter(user: User, made_by: Any, referred_to: Any) -> ColumnElement[bool]:
    """The referrals a user reads, as a SQL condition on the recording (`made_by`) and referred unit columns:
    clerks those their unit made or received, administrators those made or received in their scope."""
    if ADMIN in user.roles:
        return or_(unit_scope_condition(user, made_by), unit_scope_condition(user, referred_to))
    return or_(made_by == user.org_id, referred_to == user.org_id)


# --- SMS notices (短信通知) ------------------------------------------------------------------------


def may_read_sms_outbox(user: Actor) -> bool:
    """Administrators read the outbox of their scope's cases (messages name an applicant's mobile); a 督办员 who
    shares 办件监控 does not."""
    return ADMIN in user.roles


def sms_outbox_filter(user: Actor) -> ColumnElement[bool]:
    if not may_read_sms_outbox(user):
        ensure_admin(user)
    return cases_in_scope(user)
