"""Where a task goes: from a lane of the diagram and the unit that accepted the case to an org unit.

Village cases go up to their township, township cases to the centre of their county or city,
hospital stations to the centre (管理部) they are attached to.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import CTE, Select, bindparam, inspect, literal, or_, select
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from engine.core.errors import Invalid
from engine.core.models import OrgUnit
from engine.core.reference import ACCEPTING_WINDOW, SUPERVISOR_ABOVE, reference


def _chain_above() -> CTE:
    """Recursive CTE of (id, parent_id, depth) from the unit bound as `unit_id` (depth 0) to the top."""
    start = select(OrgUnit.id, OrgUnit.parent_id, literal(0).label("depth")).where(OrgUnit.id == bindparam("unit_id"))
    chain = start.cte("chain", recursive=True)
    return chain.union_all(
        select(OrgUnit.id, OrgUnit.parent_id, (chain.c.depth + 1).label("depth")).join(
            chain, OrgUnit.id == chain.c.parent_id
        )
    )


_CHAIN = _chain_above()
_UNITS_UP_THE_CHAIN = select(OrgUnit).join(_CHAIN, OrgUnit.id == _CHAIN.c.id)
# The first unit up the chain that is a centre or has one directly under it.
_NEAREST_CENTRE = (
    select(OrgUnit)
    .join(_CHAIN, or_(OrgUnit.id == _CHAIN.c.id, OrgUnit.parent_id == _CHAIN.c.id))
    .where(OrgUnit.kind == "centre")
    .order_by(_CHAIN.c.depth, OrgUnit.id != _CHAIN.c.id, OrgUnit.id)
    .limit(1)
)


def ancestry(unit: OrgUnit) -> Iterator[OrgUnit]:
    """The unit itself, then each unit above it (all read in one query the first time)."""
    session = object_session(unit)
    if session is not None and "parent" in inspect(unit).unloaded and unit.parent_id is not None:
        units = {u.id: u for u in session.scalars(_UNITS_UP_THE_CHAIN, {"unit_id": unit.id})}
        for each in units.values():
            if "parent" in inspect(each).unloaded:
                set_committed_value(each, "parent", units.get(each.parent_id) if each.parent_id is not None else None)
    current: OrgUnit | None = unit
    while current is not None:
        yield current
        current = current.parent


def subtree_ids(unit_id: int) -> Select[tuple[int]]:
    """The ids of a unit and of every unit under it, as a subquery (a recursive CTE) for `IN` conditions."""
    start = select(OrgUnit.id).where(OrgUnit.id == unit_id).cte(recursive=True)
    below = start.union_all(select(OrgUnit.id).join(start, OrgUnit.parent_id == start.c.id))
    return select(below.c.id)


def level_of(unit: OrgUnit) -> str:
    """The 办理层级 of a unit; a centre takes the level of the city or county it belongs to."""
    level = reference().kinds[unit.kind].level
    if level == "parent":
        return level_of(unit.parent) if unit.parent else "city"
    return level


def window_role(unit: OrgUnit) -> str | None:
    return reference().kinds[unit.kind].window_role


def centre_for(session: Session, unit: OrgUnit) -> OrgUnit | None:
    """The nearest 医保中心/管理部 at or above a unit (remembered for the session's lifetime)."""
    known = session.info.setdefault("centre_for", {})
    if unit.id not in known:
        centre = _nearest_centre(session, unit)
        known[unit.id] = centre.id if centre is not None else None
    return session.get(OrgUnit, known[unit.id]) if known[unit.id] is not None else None


def _nearest_centre(session: Session, unit: OrgUnit) -> OrgUnit | None:
    return session.scalars(_NEAREST_CENTRE, {"unit_id": unit.id}).first()


def supervising_unit(session: Session, unit: OrgUnit) -> OrgUnit:
    """The unit one level up that oversees `unit`: a village's township, a township's or station's
    centre, a centre's own superior centre (itself at the top)."""
    if unit.kind == "village" and unit.parent is not None:
        return unit.parent
    if unit.kind == "centre":
        above = unit.parent.parent if unit.parent is not None else None
        return (centre_for(session, above) if above is not None else None) or unit
    return centre_for(session, unit.parent if unit.kind == "station" and unit.parent else unit) or unit


def route(
    session: Session,
    lane: str,
    accepting: OrgUnit,
    responsible: OrgUnit | None = None,
    data: Mapping[str, Any] | None = None,
) -> tuple[str, OrgUnit]:
    """(role code, org unit) that must work a task of `lane` in a case accepted at `accepting`.

    `responsible` is the unit holding the task a supervision lane (督办员, 上级督办员) is about; `data` the task's
    data, read by a lane routed to the unit an earlier step chose (`lane_routes`).
    """
    role = reference().role_for_lane(lane)
    if role is None:
        raise Invalid(f"泳道“{lane}”不是已知角色", {"lane": [lane]})
    field = reference().lane_routes.get(lane)
    if field is not None and data is not None and data.get(field):
        return role, chosen_unit(session, str(data[field]), accepting, role, field)
    if role == ACCEPTING_WINDOW:
        window = window_role(accepting)
        if window is None:
            raise Invalid(f"{accepting.name}没有受理窗口，不能办理“{lane}”环节", {"lane": [lane]})
        return window, accepting
    if role == SUPERVISOR_ABOVE:
        return "supervisor", supervising_unit(session, responsible or accepting)
    works_at = reference().roles[role].works_at
    if works_at == "responsible":
        return role, responsible or accepting
    if works_at == "centre":
        unit = centre_for(session, accepting)
    else:
        unit = next((u for u in ancestry(accepting) if u.kind == works_at), None)
    if unit is None:
        raise Invalid(f"{accepting.name}之上没有可办理“{lane}”环节的单位", {"lane": [lane]})
    return role, unit


def region_root(unit: OrgUnit) -> OrgUnit:
    """The top unit of the unit's region: the highest one above it that is not of a system-wide kind."""
    return [u for u in ancestry(unit) if not reference().kinds[u.kind].system_wide][-1]


def chosen_unit(session: Session, code: str, accepting: OrgUnit, role: str, field: str) -> OrgUnit:
    """The unit `code` an earlier step chose for a task of `role`: of the kind that role works at, in the
    accepting unit's region (a 属地管理部 routes a 福州 手工报销 to another 管理部 of 福州市, never elsewhere)."""
    works_at = reference().roles[role].works_at
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == code)).first()
    if unit is None or not _may_be_chosen(unit, works_at, accepting):
        kind = reference().kinds[works_at].name
        region = region_root(accepting).name
        raise Invalid(f"“{code}”不是{region}的{kind}", {field: [f"请选择{region}的{kind}"]})
    return unit


def unit_choices(session: Session, field: str, accepting: OrgUnit) -> list[OrgUnit]:
    """The units a step may name in `field` for the lanes routed by it (`chosen_unit` accepts exactly these), by
    code: what the 属地管理部's page offers as the responsible 管理部 of a case accepted at `accepting`."""
    roles = [
        reference().role_for_lane(lane) for lane, routed_by in reference().lane_routes.items() if routed_by == field
    ]
    kinds = {reference().roles[role].works_at for role in roles if role is not None}
    units = session.scalars(select(OrgUnit).where(OrgUnit.kind.in_(kinds)).order_by(OrgUnit.code))
    return [unit for unit in units if _may_be_chosen(unit, unit.kind, accepting)]


def _may_be_chosen(unit: OrgUnit, works_at: str, accepting: OrgUnit) -> bool:
    return unit.kind == works_at and region_root(unit).id == region_root(accepting).id
