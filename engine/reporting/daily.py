"""The SLA and 考核 counts summed from `sla_count` over a period and a scope (what each count is:
`engine.cases.tallies`): the period's whole months from their month rows, the days of the partial months at
either end from day rows, so that a month's or a year's figures read a few thousand rows.

A report sums the same period's rows several ways (per unit, per unit and stage, per item, in all). Inside
`read_once(session)` the first `sums` of a period and scope reads its rows once, per unit × item × stage, and
every `sums` of that period and scope adds those up in Python: a year's 时效统计 reads the table once, not six
times.
"""

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from operator import add, itemgetter
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, func, or_, select
from sqlalchemy.orm import Session

from engine.cases.tallies import COUNTS, DAY, MONTH, local_date
from engine.core.models import SlaCount

_TABLE = cast(Table, SlaCount.__table__)
# An unbounded period's ends.
EARLIEST, LATEST = date(2000, 1, 1), date(9998, 12, 31)
# The rows a shared read keeps: every count per unit × item × stage.
GRAIN = ("org_id", "item_id", "stage")
_READS = "yibao.daily_reads"


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def within(first: date, last: date) -> ColumnElement[bool]:
    """The rows that together count each day from `first` to `last` once: whole months by their month rows,
    the other days by their day rows; each part one range of the primary key."""
    months_from = first if first.day == 1 else _next_month(first)
    months_until = _month_start(last + timedelta(days=1))
    if months_from >= months_until:
        return _span(DAY, first, last + timedelta(days=1))
    parts = [_span(MONTH, months_from, months_until)]
    if first < months_from:
        parts.append(_span(DAY, first, months_from))
    if months_until <= last:
        parts.append(_span(DAY, months_until, last + timedelta(days=1)))
    return or_(*parts)


def _span(span: str, start: date, end: date) -> ColumnElement[bool]:
    return and_(_TABLE.c.span == span, _TABLE.c.day >= start, _TABLE.c.day < end)


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
    reads: dict[tuple[Any, ...], list[tuple[Any, ...]]] | None = session.info.get(_READS)
    if reads is not None and set(by) <= set(GRAIN):
        key = (first or EARLIEST, last or LATEST, None if org_ids is None else tuple(org_ids))
        if key not in reads:
            shared = statement(COUNTS, first=first, last=last, org_ids=org_ids, item=None, by=GRAIN)
            reads[key] = [tuple(row) for row in session.execute(shared)]  # sums of integers: ints already
        return _summed(reads[key], counters, item, by)
    rows = session.execute(statement(counters, first=first, last=last, org_ids=org_ids, item=item, by=by))
    return {tuple(row[: len(by)]): tuple(int(value) for value in row[len(by) :]) for row in rows}


@contextmanager
def read_once(session: Session) -> Iterator[None]:
    """Within it, each period and scope's rows are read once for every `sums` of them (the module's docstring)."""
    if _READS in session.info:
        yield
        return
    session.info[_READS] = {}
    try:
        yield
    finally:
        del session.info[_READS]


def _summed(
    rows: list[tuple[Any, ...]], counters: Sequence[str], item: str | None, by: Sequence[str]
) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """What `statement` sums, from the rows of a shared read; groups with only zeros left out, as its HAVING does."""
    values_of = _picker([len(GRAIN) + COUNTS.index(name) for name in counters])
    group_of = _picker([GRAIN.index(name) for name in by])
    found: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for row in rows:
        values = values_of(row)
        if not any(values) or (item is not None and row[1] != item):
            continue
        group = group_of(row)
        entry = found.get(group)
        found[group] = values if entry is None else tuple(map(add, entry, values))
    return found


def _picker(indexes: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The values at `indexes` of a row, as a tuple (also for one index or none)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    if indexes:
        index = indexes[0]
        return lambda row: (row[index],)
    return lambda row: ()


def statement(
    counters: Sequence[str],
    *,
    first: date | None,
    last: date | None,
    org_ids: Collection[int] | None,
    item: str | None,
    by: Sequence[str],
) -> Select[Any]:
    """The query of `sums`."""
    groups = [_TABLE.c[name] for name in by]
    query = (
        select(*groups, *(func.coalesce(func.sum(_TABLE.c[name]), 0) for name in counters))
        .where(within(first or EARLIEST, last or LATEST))
        .group_by(*groups)
        .having(or_(*(func.sum(_TABLE.c[name]) > 0 for name in counters)))
    )
    if org_ids is not None:
        query = query.where(_TABLE.c.org_id.in_(list(org_ids)))
    if item is not None:
        query = query.where(_TABLE.c.item_id == item)
    return query
