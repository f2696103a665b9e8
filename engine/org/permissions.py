"""Who may do what. Every permission rule of the product lives here."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select, true

from engine.core.errors import Forbidden
from engine.core.models import CaseInstance, OrgUnit, Task, User
from engine.org.routing import ancestry, window_role

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
Actor = User | SystemActor
"""Who acts in the engine functions that also run from the command line: a logged-in user or the system."""


def is_candidate(user: User, task: Task) -> bool:
    """A user may work a task when they hold its role at the unit the task belongs to."""
    return user.active and task.org_id == user.org_id and task.role in user.roles


# The same rule as `is_candidate`, as a SQL condition for inbox queries: bind `candidate_params(user)`.
CANDIDATE_CONDITION = and_(
    Task.org_id == bindparam("candidate_org_id"), Task.role.in_(bindparam("candidate_roles", expanding=True))
)


def candidate_params(user: User) -> dict[str, Any]:
    return {"candidate_org_id": user.org_id, "candidate_roles": sorted(user.roles)}


def may_see_case(user: User, case_org_id: int, task_org_ids: set[int]) -> bool:
    """Administrators see every case; others the cases their unit accepted or holds a task of."""
    return ADMIN in user.roles or user.org_id == case_org_id or user.org_id in task_org_ids


def ensure_may_accept(user: User, unit: OrgUnit) -> None:
    """Cases are accepted at one's own unit by whoever holds that unit's window role."""
    if unit.id != user.org_id or window_role(unit) not in user.roles:
        raise Forbidden(f"您没有在{unit.name}受理办件的权限")


def ensure_designer(user: Actor) -> None:
    if DESIGNER not in user.roles:
        raise Forbidden("只有流程设计员可以部署流程")


def ensure_admin(user: Actor) -> None:
    if ADMIN not in user.roles:
        raise Forbidden("只有系统管理员可以执行此操作")


# --- 好差评, SLA figures and case listings -----------------------------------------------------

SUPERVISOR = "supervisor"


def ensure_may_rate(user: User, case_org_id: int) -> None:
    """好差评 is recorded where the applicant was served: by the window or other staff of the accepting unit."""
    if not user.active or user.org_id != case_org_id:
        raise Forbidden("只有受理单位的工作人员可以登记该办件的好差评")


def visible_cases_filter(user: User) -> ColumnElement[bool]:
    """The rule of `may_see_case` as a SQL condition on cases, for listings."""
    if ADMIN in user.roles:
        return true()
    return or_(
        CaseInstance.org_id == user.org_id,
        CaseInstance.id.in_(select(Task.instance_id).where(Task.org_id == user.org_id)),
    )


def sla_scope(user: User, requested: OrgUnit | None) -> OrgUnit | None:
    """The unit whose figures (with those below it) a user may read; None means every unit.

    Administrators read any unit's; a 督办员 reads their own unit's and those below it.
    """
    if ADMIN in user.roles:
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
