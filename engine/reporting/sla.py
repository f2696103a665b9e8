"""SLA figures (时效统计) for administrators and 督办员, computed by aggregate SQL.

- concluded cases on time (completed before their limit expired) or late, within the period, summed from the
  daily counts (`engine.reporting.daily`);
  a 差评's 整改 cases are counted apart from the applications themselves;
- open tasks past their limit right now, by stage (task title) and unit — a snapshot, so the
  period does not apply;
- the 好差评 distribution of the ratings recorded within the period;
- the 首问负责 referrals recorded within the period, made by the scope's units and received by them.

`org` covers the unit and the units under it: cases by accepting unit, tasks by the unit working them.
`sla_breakdowns` splits the concluded cases by the accepting unit itself (a case 曲江村 accepted counts under
曲江村, not under 曲江镇) and by the items of the scope's regions. The headline count and the per-unit rows
come from one grouped query over one scope (`concluded_by_unit`), so the rows always add up to the headline.
An administrator reads the figures of their scope only (`engine.org.permissions.sla_scope`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    SQLColumnExpression,
    and_,
    cast,
    func,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session

from engine.cases import tallies
from engine.cases.queries import day_start, unit_by_code, units_at_or_below
from engine.catalogue.offering import items_under
from engine.core.clock import clock
from engine.core.models import CaseInstance, OpenTaskCount, OrgUnit, Rating, Referral, User
from engine.org.permissions import sla_scope
from engine.reporting import daily
from engine.reporting.ratings import POOR_LEVELS
from forms.choices import options

# Asia/Shanghai has kept UTC+8 all year since 1991, so a stored UTC instant's local day is a fixed shift.
SHANGHAI_OFFSET = timedelta(hours=8)


class NamedUnit(NamedTuple):
    """A unit as the figures name it: a province's report names 800 of them, read as plain rows."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class SlaFilter:
    first: date | None = None
    last: date | None = None
    org: str | None = None
    item: str | None = None


def figures_scope(session: Session, user: User, filters: SlaFilter) -> tuple[OrgUnit | None, list[int] | None]:
    """The unit the figures cover (None: every unit) and the ids of its subtree, as the user may see."""
    requested = unit_by_code(session, filters.org) if filters.org else None
    scope = sla_scope(user, requested)
    return scope, units_at_or_below(session, scope) if scope is not None else None


@dataclass(frozen=True)
class Scope:
    """The unit the figures cover (None: every unit), the ids of its subtree (None: all) and its concluded cases
    per accepting unit (`concluded_by_unit`), read once for all the figures of a request."""

    unit: OrgUnit | None
    unit_ids: list[int] | None
    per_org: dict[int, tuple[int, int, int]]


def scope_of(session: Session, user: User, filters: SlaFilter) -> Scope:
    unit, unit_ids = figures_scope(session, user, filters)
    return Scope(unit, unit_ids, concluded_by_unit(session, filters, unit_ids))


def sla_figures(session: Session, filters: SlaFilter, scope: Scope) -> dict[str, Any]:
    unit_ids = scope.unit_ids
    return {
        "scope": scope.unit,
        "from": filters.first,
        "to": filters.last,
        "item": filters.item,
        "as_of": clock.now(),
        "concluded": rates(*_summed(scope.per_org.values())),
        "rectifications": _rectifications(session, filters, unit_ids),
        "overdue_tasks": _overdue_tasks(session, filters, unit_ids),
        "ratings": _rating_distribution(session, filters, unit_ids),
        "referrals": _referrals(session, filters, unit_ids),
    }


def within(column: SQLColumnExpression[Any], filters: SlaFilter) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if filters.first:
        conditions.append(column >= day_start(filters.first))
    if filters.last:
        conditions.append(column < day_start(filters.last + timedelta(days=1)))
    return and_(true(), *conditions)


def _case_conditions(filters: SlaFilter, unit_ids: list[int] | None) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if filters.item:
        conditions.append(CaseInstance.item_id == filters.item)
    if unit_ids is not None:
        conditions.append(CaseInstance.org_id.in_(unit_ids))
    return and_(true(), *conditions)


def _rectifications(session: Session, filters: SlaFilter, unit_ids: list[int] | None) -> dict[str, Any]:
    """A 差评's 整改 cases concluded before their limit expired, after it, or without one."""
    return rates(*timeliness_counts(session, filters, unit_ids, True).get(None, (0, 0, 0)))


def concluded_by_unit(
    session: Session, filters: SlaFilter, unit_ids: list[int] | None
) -> dict[int, tuple[int, int, int]]:
    """(total, on time, late) of the concluded applications per accepting unit: the headline and the 受理单位 rows."""
    return timeliness_counts(session, filters, unit_ids, False, "org_id")


def _summed(rows: Iterable[tuple[int, int, int]]) -> tuple[int, int, int]:
    total, on_time, late = 0, 0, 0
    for count, on, off in rows:
        total, on_time, late = total + count, on_time + on, late + off
    return total, on_time, late


def timeliness_counts(
    session: Session,
    filters: SlaFilter,
    unit_ids: list[int] | None,
    rectifications: bool,
    group: str | None = None,
) -> dict[Any, tuple[int, int, int]]:
    """(total, on time, late) of the cases ended within the period, per value of the `sla_count` column `group`
    (one key, None, without it)."""
    found = daily.sums(
        session,
        tallies.RECTIFIED if rectifications else tallies.CLOSED,
        first=filters.first,
        last=filters.last,
        org_ids=unit_ids,
        item=filters.item,
        by=(group,) if group else (),
    )
    return {(key[0] if group else None): (total, on, off) for key, (total, on, off) in found.items()}


def rates(total: int, on_time: int, late: int) -> dict[str, Any]:
    with_limit = on_time + late
    return {
        "total": total,
        "on_time": on_time,
        "late": late,
        "without_limit": total - with_limit,
        "on_time_rate": round(on_time / with_limit, 4) if with_limit else None,
    }


def sla_breakdowns(
    session: Session, filters: SlaFilter, scope: Scope, units: dict[int, NamedUnit]
) -> dict[str, list[dict[str, Any]]]:
    """Concluded applications per accepting unit of the scope (`by_unit`: each unit's own cases, only units that
    concluded some, in code order) and per item of the scope's regions (`by_item`: only items with some); `units`
    holds the accepting units."""
    per_org = scope.per_org
    accepting = sorted((units[org_id] for org_id in per_org), key=lambda unit: unit.code)
    per_item = timeliness_counts(session, filters, scope.unit_ids, False, "item_id")  # `item` filtered in SQL
    return {
        "by_unit": [{"org": unit, "concluded": rates(*per_org[unit.id])} for unit in accepting],
        "by_item": [
            {"item": item, "concluded": rates(*per_item[item.id])}
            for item in items_under(session, scope.unit)
            if item.id in per_item
        ],
    }


def overdue_by_stage(overdue_tasks: list[dict[str, Any]]) -> dict[str, int]:
    """The overdue groups of `sla_figures` summed over every unit, per stage."""
    totals: dict[str, int] = {}
    for group in overdue_tasks:
        totals[group["stage"]] = totals.get(group["stage"], 0) + group["count"]
    return totals


def _overdue_tasks(session: Session, filters: SlaFilter, unit_ids: list[int] | None) -> list[dict[str, Any]]:
    """Open tasks at or past their limit now, counted by stage and unit, most first: summed from the open tasks'
    counts per limit (`engine.tasks.open_counts`), then named."""
    conditions = [OpenTaskCount.due_at <= clock.now()]
    if unit_ids is not None:
        conditions.append(OpenTaskCount.org_id.in_(unit_ids))
    if filters.item:
        conditions.append(OpenTaskCount.item_id == filters.item)
    counted = (
        select(
            OpenTaskCount.stage,
            OpenTaskCount.org_id,
            func.sum(OpenTaskCount.tasks).label("tasks"),
            func.min(OpenTaskCount.due_at).label("earliest"),
        )
        .where(*conditions)
        .group_by(OpenTaskCount.stage, OpenTaskCount.org_id)
        .subquery()
    )
    rows = session.execute(
        select(counted.c.stage, OrgUnit.code, OrgUnit.name, counted.c.tasks, counted.c.earliest)
        .join(OrgUnit, OrgUnit.id == counted.c.org_id)
        .order_by(counted.c.tasks.desc(), counted.c.stage, OrgUnit.code)
    ).all()
    return [
        {"stage": stage, "org": {"code": code, "name": name}, "count": int(count), "earliest_due_at": earliest}
        for stage, code, name, count, earliest in rows
    ]


def local_day(session: Session, column: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    """The Asia/Shanghai calendar day of a stored UTC instant, in SQL."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, "+8 hours")
    return cast(type_coerce(column, DateTime) + SHANGHAI_OFFSET, Date)


def _rating_distribution(session: Session, filters: SlaFilter, unit_ids: list[int] | None) -> dict[str, Any]:
    """How many ratings of each level, every level listed; 差评 are the two lowest."""
    counts = dict(
        session.execute(
            select(Rating.level, func.count())
            .join(CaseInstance, CaseInstance.id == Rating.instance_id)
            .where(within(Rating.recorded_at, filters), _case_conditions(filters, unit_ids))
            .group_by(Rating.level)
        ).all()
    )
    levels = {level: counts.get(level, 0) for level in options("rating_levels")}
    total = sum(levels.values())
    poor = sum(levels[level] for level in POOR_LEVELS)
    return {"levels": levels, "total": total, "poor": poor, "poor_rate": round(poor / total, 4) if total else None}


def _referrals(session: Session, filters: SlaFilter, unit_ids: list[int] | None) -> dict[str, int]:
    """Referrals recorded within the period by the scope's units (`made`) and to them (`received`); over every
    unit each referral is both."""
    conditions = [within(Referral.recorded_at, filters)]
    if filters.item:
        conditions.append(Referral.item_id == filters.item)
    made = select(func.count()).select_from(Referral).where(*conditions)
    received = select(func.count()).select_from(Referral).where(*conditions)
    if unit_ids is not None:
        made = made.where(Referral.org_id.in_(unit_ids))
        received = received.where(Referral.referred_to_id.in_(unit_ids))
    return {"made": session.scalar(made) or 0, "received": session.scalar(received) or 0}


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
