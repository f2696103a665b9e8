"""考核: the 时效统计 figures with what the rules assess per unit and per stage (seeds 001 §五.3, 004 §二.11).

A case can conclude within its limit while one of its stages ran past its own, so a stage is judged on its
own: a task is on time when it was completed before its due instant (the limit the calendar set when it
was created), and its duration is the working days from the day it was created to the day it was completed.
`stages` counts them per unit working the task and per stage (task title). Stages, concluded cases and
decisions are summed from the daily counts (`engine.reporting.daily`).

`units` gives every unit of the scope with any figure its own figures (not those of the units under it):
concluded cases by accepting unit, its stages together, its review decisions, and the counts of the
modules in `COUNTS`, each `counts(session, *, since, until, org_ids=None) -> {org_id: {name: number}}`,
which cover every item (the `item` filter narrows cases and stages only). Units are ranked by their
stages' on-time rate, then by their concluded cases'. `overdue_cases` lists the cases concluded late within
the period and those open past their limit now. `report` composes all of it for the API, the pages and the
workbook, so that they show the same numbers.
"""

import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select, true
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.cases import tallies
from engine.cases.lifecycle import RUNNING
from engine.cases.queries import day_start
from engine.core.clock import clock
from engine.core.models import CaseInstance, OrgUnit, Referral, User
from engine.reporting import acceptance_counts, daily, proxy_counts, rating_counts, sla

Counts = dict[int, dict[str, int | float]]
StageTotals = dict[tuple[int, str], list[int]]
CountsFunction = Callable[..., Mapping[int, Mapping[str, int | float]]]
# The overdue cases a 通报 lists at most, latest limit first.
MAX_OVERDUE_CASES = 200
# The counts modules take a bounded period: without a first or last day, these stand for "any time".
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
# A limit's instant is 00:00 after its last day: one microsecond before it lies in that day.
LAST_INSTANT = timedelta(microseconds=1)


@cache
def texts() -> dict[str, Any]:
    """The reviewed names of the counts, sheets and headings (engine/data/assessment.toml)."""
    path = Path(__file__).resolve().parents[1] / "data" / "assessment.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def count_columns(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The counts the units' rows hold, as columns {key, label, rate}: the data file's order, then the others."""
    present = {key for row in units for key in row["counts"]}
    named = texts()["counts"]
    keys = [key for key in named if key in present] + sorted(present - set(named))
    return [
        {"key": key, "label": named.get(key, {}).get("label", key), "rate": named.get(key, {}).get("rate", False)}
        for key in keys
    ]


def period(filters: sla.SlaFilter) -> tuple[datetime | None, datetime | None]:
    """The filters' days as instants: from 00:00 of the first day up to 00:00 after the last."""
    since = day_start(filters.first) if filters.first else None
    until = day_start(filters.last + timedelta(days=1)) if filters.last else None
    return since, until


def _between(column: Any, since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
    conditions = [column >= since] if since else []
    if until:
        conditions.append(column < until)
    return and_(true(), *conditions)


def decision_counts(
    session: Session, *, since: datetime | None, until: datetime | None, org_ids: list[int] | None = None
) -> Counts:
    """Review decisions (通过/不通过) per unit that made them within the period."""
    first, last = daily.days(since or EARLIEST, until or LATEST)
    names = tuple(tallies.DECISIONS.values())
    found = daily.sums(session, names, first=first, last=last, org_ids=org_ids, by=("org_id",))
    return {org_id: dict(zip(names, values, strict=True)) for (org_id,), values in found.items()}


def referral_counts(
    session: Session, *, since: datetime | None, until: datetime | None, org_ids: list[int] | None = None
) -> Counts:
    """首问负责 referrals recorded within the period, per unit that made them and per unit they went to."""
    found: Counts = {}
    for column, name in ((Referral.org_id, "referrals_made"), (Referral.referred_to_id, "referrals_received")):
        statement = select(column, func.count()).where(_between(Referral.recorded_at, since, until)).group_by(column)
        if org_ids is not None:
            statement = statement.where(column.in_(org_ids))
        for org_id, count in session.execute(statement):
            found.setdefault(org_id, {"referrals_made": 0, "referrals_received": 0})[name] = count
    return found


COUNTS: tuple[CountsFunction, ...] = (
    decision_counts,
    referral_counts,
    acceptance_counts.counts,
    proxy_counts.counts,
    rating_counts.counts,
)


def stage_totals(session: Session, filters: sla.SlaFilter, unit_ids: list[int] | None) -> StageTotals:
    """Tasks completed within the period per (unit id, stage): [completed, on time, late, sum of working days]."""
    found = daily.sums(
        session,
        tallies.STAGES,
        first=filters.first,
        last=filters.last,
        org_ids=unit_ids,
        item=filters.item,
        by=("org_id", "stage"),
    )
    return {(org_id, title): list(values) for (org_id, title), values in found.items()}


def stage_figures(totals: StageTotals, units: dict[int, sla.NamedUnit]) -> list[dict[str, Any]]:
    """One row per unit and stage, by unit code and stage."""
    rows = [
        _stage_row(*figures) | {"unit": units[org_id], "stage": title} for (org_id, title), figures in totals.items()
    ]
    return sorted(rows, key=lambda row: (row["unit"].code, row["stage"]))


def _stage_row(completed: int, on_time: int, late: int, day_sum: int) -> dict[str, Any]:
    timed = on_time + late
    return {
        "completed": completed,
        "on_time": on_time,
        "late": late,
        "without_limit": completed - timed,
        "on_time_rate": round(on_time / timed, 4) if timed else None,
        "avg_working_days": round(day_sum / completed, 2) if completed else None,
    }


def _units(session: Session, unit_ids: list[int] | None) -> dict[int, sla.NamedUnit]:
    """The scope's units (every unit without a scope) by id: whatever the figures name lies within the scope."""
    statement = select(OrgUnit.id, OrgUnit.code, OrgUnit.name)
    if unit_ids is not None:
        statement = statement.where(OrgUnit.id.in_(unit_ids))
    return {row[0]: sla.NamedUnit(*row) for row in session.execute(statement)}


def unit_counts(session: Session, filters: sla.SlaFilter, unit_ids: list[int] | None) -> Counts:
    """The counts of `COUNTS` per unit of the scope."""
    since, until = period(filters)
    counts: dict[int, dict[str, int | float]] = {}
    for function in COUNTS:
        found = function(session, since=since or EARLIEST, until=until or LATEST, org_ids=unit_ids)
        for org_id, values in found.items():
            counts.setdefault(org_id, {}).update(values)
    return counts


def unit_figures(
    counts: Counts, concluded: dict[int, tuple[int, int, int]], totals: StageTotals, units: dict[int, sla.NamedUnit]
) -> list[dict[str, Any]]:
    """Every unit of the scope with a figure, its own figures, ranked (best first); `units` holds them."""
    own_stages: dict[int, list[int]] = {}
    for (org_id, _), figures in totals.items():
        entry = own_stages.setdefault(org_id, [0, 0, 0, 0])
        for index, value in enumerate(figures):
            entry[index] += value
    rows = [
        {
            "unit": unit,
            "concluded": sla.rates(*concluded.get(unit.id, (0, 0, 0))),
            "stages": _stage_row(*own_stages.get(unit.id, [0, 0, 0, 0])),
            "counts": counts.get(unit.id, {}),
        }
        for unit in (units[org_id] for org_id in set(counts) | set(concluded) | set(own_stages))
    ]
    return sorted(rows, key=_rank)


def _rank(row: dict[str, Any]) -> tuple[bool, float, bool, float, str]:
    stage_rate, case_rate = row["stages"]["on_time_rate"], row["concluded"]["on_time_rate"]
    return (
        stage_rate is None,
        -(stage_rate or 0.0),
        case_rate is None,
        -(case_rate or 0.0),
        row["unit"].code,
    )


def overdue_cases(session: Session, filters: sla.SlaFilter, unit_ids: list[int] | None) -> list[CaseInstance]:
    """Cases concluded past their limit within the period and running ones past it now, latest limit first (then
    the later case), at most `MAX_OVERDUE_CASES`.

    The two kinds are read apart, each from its partial index in this order (`ix_case_instance_concluded_late`,
    `ix_case_instance_running_due`), and merged: one condition with an OR would read every case with a limit."""
    now = clock.now()
    concluded_late = (
        CaseInstance.completed_at >= CaseInstance.due_at,
        sla.within(CaseInstance.completed_at, filters),
        *((CaseInstance.due_at < day_start(filters.last + timedelta(days=1)),) if filters.last else ()),
    )
    running_late = (CaseInstance.status == literal(RUNNING, literal_execute=True), CaseInstance.due_at <= now)
    narrowed: list[ColumnElement[bool]] = []
    if unit_ids is not None:
        narrowed.append(CaseInstance.org_id.in_(unit_ids))
    if filters.item:
        narrowed.append(CaseInstance.item_id == filters.item)
    latest_first = (CaseInstance.due_at.desc(), CaseInstance.id.desc())  # each partial index's order, backwards
    found = [
        instance
        for kind in (concluded_late, running_late)
        for instance in session.scalars(
            select(CaseInstance).where(*kind, *narrowed).order_by(*latest_first).limit(MAX_OVERDUE_CASES)
        )
    ]
    dated = sorted(((c.due_at, c.id, c) for c in found if c.due_at is not None), key=lambda row: row[:2], reverse=True)
    return [instance for _, _, instance in dated[:MAX_OVERDUE_CASES]]


def overdue_listed(cases: list[CaseInstance], units: dict[int, sla.NamedUnit]) -> list[dict[str, Any]]:
    """The overdue cases as listed, with their accepting unit (from `units`) and the working days from the limit's
    last day to their conclusion (or today)."""
    now = clock.now()
    calendar = workcalendar.default_calendar()
    return [
        {
            "case_no": instance.case_no,
            "item_name": instance.item_name,
            "unit": units[instance.org_id],
            "started_at": instance.started_at,
            "due_at": instance.due_at,
            "due_on": (instance.due_at - LAST_INSTANT).date(),
            "completed_at": instance.completed_at,
            "overdue_working_days": calendar.working_days_between(
                (instance.due_at - LAST_INSTANT).date(), (instance.completed_at or now).date()
            ),
        }
        for instance in cases
        if instance.due_at is not None
    ]


def report(session: Session, user: User, filters: sla.SlaFilter) -> dict[str, Any]:
    """The 时效统计 figures and breakdowns, with the 考核 figures per stage and unit and the overdue cases.

    The scope, its concluded cases per unit and its units are read once for all of them, and so are the
    period's daily counts (`daily.read_once`)."""
    with daily.read_once(session):
        return _report(session, user, filters)


def _report(session: Session, user: User, filters: sla.SlaFilter) -> dict[str, Any]:
    scope = sla.scope_of(session, user, filters)
    unit_ids = scope.unit_ids
    totals = stage_totals(session, filters, unit_ids)
    counts = unit_counts(session, filters, unit_ids)
    late = overdue_cases(session, filters, unit_ids)
    named = _units(session, unit_ids)
    units = unit_figures(counts, scope.per_org, totals, named)
    columns = count_columns(units)
    for row in units:
        row["counts"] = {
            column["key"]: row["counts"].get(column["key"], None if column["rate"] else 0) for column in columns
        }
    return (
        sla.sla_figures(session, filters, scope)
        | sla.sla_breakdowns(session, filters, scope, named)
        | {
            "stages": stage_figures(totals, named),
            "units": units,
            "overdue_cases": overdue_listed(late, named),
            "count_columns": columns,
        }
    )
