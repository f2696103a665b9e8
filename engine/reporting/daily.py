"""The SLA and 考核 counts summed from `sla_day` over a period and a scope (what each count is:
`engine.cases.tallies`), so that a month's or a year's figures read a few thousand rows."""

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import Session

from engine.cases.tallies import local_date
from engine.core.models import SlaDay

_TABLE = cast(Table, SlaDay.__table__)


def days(since: date | datetime, until: date | datetime) -> tuple[date, date]:
    """[since, until) as the first and last day counted; an instant stands for its day in Asia/Shanghai."""
    first = local_date(since) if isinstance(since, datetime) else since
    end = local_date(until) if isinstance(until, datetime) else until
    return first, end - timedelta(days=1)


def sums(
    session: Session,
    counters: Sequence[str],
    *,
    first: date | None = None,
    last: date | None = None,
    org_ids: Collection[int] | None = None,
    item: str | None = None,
    by: Sequence[str] = (),
) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """The `counters` summed from `first` to `last` (inclusive; None: unbounded) per value of the `by` columns,
    of the units `org_ids` (None: every unit) and the item `item` (None: every item); groups with only zeros
    are left out."""
    groups = [_TABLE.c[name] for name in by]
    statement = (
        select(*groups, *(func.coalesce(func.sum(_TABLE.c[name]), 0) for name in counters))
        .group_by(*groups)
        .having(or_(*(func.sum(_TABLE.c[name]) > 0 for name in counters)))
    )
    if first is not None:
        statement = statement.where(_TABLE.c.day >= first)
    if last is not None:
        statement = statement.where(_TABLE.c.day <= last)
    if org_ids is not None:
        statement = statement.where(_TABLE.c.org_id.in_(list(org_ids)))
    if item is not None:
        statement = statement.where(_TABLE.c.item_id == item)
    width = len(groups)
    return {tuple(row[:width]): tuple(int(value) for value in row[width:]) for row in session.execute(statement)}
