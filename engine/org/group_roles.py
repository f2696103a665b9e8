"""What the candidate groups of Activiti, Flowable and Camunda diagrams mean here: a role, whose lane a task goes in.

A diagram drawn elsewhere names its people by group (`candidateGroups="deptLeader"`); this product routes a task by
the role of its lane. The national table (`[groups]` of engine/data/vendor_import.toml, reviewed data) holds the
common demo and OA groups; each region's administrators add or override groups for their region (`GroupRole`), and
an upload by a region's designer is converted with that region's table over the national one.
"""

import tomllib
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.errors import Invalid, NotFound
from engine.core.models import GroupRole
from engine.core.reference import ACCEPTING_WINDOW, DATA_DIR, reference
from engine.core.uow import unit_of_work
from engine.org.permissions import Actor, ensure_may_map_groups, group_table_regions, may_map_groups

MAX_GROUP_LENGTH = 100


def regions() -> list[str]:
    """Every region a list of the catalogue names."""
    return sorted({catalogue_list.region for catalogue_list in catalog().lists.values()})


def role_choices() -> dict[str, str]:
    """Role code → lane name of every role a group may mean: roles that work cases, and 受理窗口."""
    ref = reference()
    choices = {ACCEPTING_WINDOW: lane_of(ACCEPTING_WINDOW)}
    choices.update({code: role.name for code, role in ref.roles.items() if role.works_at != "none"})
    return choices


def lane_of(role: str) -> str:
    """The lane a role's tasks go in: the role's name, or the alias naming it (受理窗口). A routed alias
    (相应管理部审核员: the unit is chosen in the case) is never a role's own lane."""
    ref = reference()
    aliases = (name for name, code in ref.lane_aliases.items() if code == role and name not in ref.lane_routes)
    return next(aliases, None) or ref.role_name(role)


@cache
def _national() -> dict[str, str]:
    groups: dict[str, str] = tomllib.loads((DATA_DIR / "vendor_import.toml").read_text(encoding="utf-8"))["groups"]
    return {name.casefold(): role for name, role in groups.items()}


def national_table() -> dict[str, str]:
    """Group (case-folded) → role code of the reviewed national table."""
    return dict(_national())


def table_for(session: Session, region: str | None) -> dict[str, str]:
    """Group (case-folded) → role code for an upload of `region` (None: the base): the region's over the national."""
    table = national_table()
    if region is not None:
        rows = session.execute(select(GroupRole.group_name, GroupRole.role).where(GroupRole.region == region))
        table.update({name.casefold(): role for name, role in rows})
    return table


def entries(session: Session, actor: Actor, region: str) -> list[GroupRole]:
    """A region's own groups, for its administrators."""
    ensure_may_map_groups(session, actor, region, regions())
    return list(session.scalars(select(GroupRole).where(GroupRole.region == region).order_by(GroupRole.group_name)))


def editable_regions(session: Session, actor: Actor) -> list[str]:
    return group_table_regions(session, actor, regions())


def may_edit(session: Session, actor: Actor, region: str | None) -> bool:
    return may_map_groups(session, actor, region, regions())


def set_role(session: Session, actor: Actor, region: str, group: str, role: str) -> GroupRole:
    """Say what `group` means in `region` (replacing what it meant); commits."""
    ensure_may_map_groups(session, actor, region, regions())
    name = " ".join(group.split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["group"] = ["请填写候选组名称"]
    elif len(name) > MAX_GROUP_LENGTH or "," in name:
        errors["group"] = [f"候选组名称须为 1 至 {MAX_GROUP_LENGTH} 个字符，且不含逗号"]
    if not role:
        errors["role"] = ["请选择对应的角色"]
    elif role not in role_choices():
        errors["role"] = [f"没有角色“{role}”；可选：{'、'.join(role_choices().values())}"]
    if errors:
        raise Invalid("候选组对照有误", errors)
    existing = next((e for e in entries(session, actor, region) if e.group_name.casefold() == name.casefold()), None)
    with unit_of_work(session):
        entry = existing or GroupRole(region=region, group_name=name)
        entry.role, entry.set_by, entry.set_at = role, actor.username, clock.now()
        session.add(entry)
    return entry


def remove(session: Session, actor: Actor, entry_id: int) -> GroupRole:
    """Drop a region's own group (the national table applies again) and return what it was; another region's
    answers as unknown."""
    entry = session.get(GroupRole, entry_id)
    if entry is None or entry.region not in editable_regions(session, actor):
        raise NotFound("没有这条候选组对照")
    with unit_of_work(session):
        session.delete(entry)
    return entry


def keepers_of(region: str | None) -> str:
    """Who keeps the table an upload of `region` is converted with, in a designer's words."""
    if region is None:
        return "全国对照表是经过评审的数据文件（engine/data/vendor_import.toml），请联系平台维护人员"
    return f"{region}的候选组对照由{region}（或全系统）的系统管理员在“候选组对照”页面维护"
