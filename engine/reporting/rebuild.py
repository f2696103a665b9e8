"""The daily SLA counts computed from the raw rows — cases, tasks, audit events — and written over `sla_count`.

For existing data (after the migration that added the table) and for repair: `flask --app wsgi sla rebuild
[--since DAY]` recomputes the days from the first of `since`'s month on. Each count is what `engine.cases.tallies` adds as steps
happen, here from the columns the step wrote: an ended case by its `completed_at` and `due_at`, a stage by the
task's `created_at`, `due_at` and `completed_at`, a decision, a first 一次性告知 and a 不予受理 by their event.
The open tasks' counts (`open_task_count`, `engine.tasks.open_counts`) are a snapshot: rebuilt whole each time.
"""

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, case, delete, func, select, text, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine import workcalendar
from engine.cases import tallies
from engine.cases.lifecycle import NOT_ACCEPTED, TASK_COMPLETED, TASK_OPEN
from engine.cases.queries import day_start
from engine.core.models import AuditEvent, CaseInstance, OpenTaskCount, ProxyMandate, Rating, SlaCount, Task
from engine.core.uow import unit_of_work
from engine.reporting.sla import as_date, local_day
from engine.tasks import open_counts


def raw_rows(session: Session, since: date | None = None) -> tallies.Rows:
    """Every row of counts, day and month, from the first of `since`'s month (None: all time) on, as the raw rows
    give them."""
    start = since.replace(day=1) if since is not None else None
    facts: tallies.Facts = {}
    for compute in (_endings, _stages, _decisions, _first_notices, _not_accepted, _mandates):
        compute(session, start, facts)
    return tallies.rows_of(facts)


def rebuild(session: Session, since: date | None = None) -> int:
    """Replace the counts from the first of `since`'s month on with those of the raw rows; the rows written.

    On PostgreSQL the table is locked against writes first (reads go on): a step that already added to it is
    waited for and then read among the raw rows, one that adds later waits and adds what this rebuild did not see.
    """
    with unit_of_work(session):
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("LOCK TABLE sla_count, open_task_count IN EXCLUSIVE MODE"))
        emptied = delete(SlaCount)
        if since is not None:
            emptied = emptied.where(SlaCount.day >= since.replace(day=1))
        session.execute(emptied)
        rows = raw_rows(session, since)
        tallies.write_rows(session, rows)
        session.execute(delete(OpenTaskCount))
        open_counts.write(session, raw_open_counts(session))
    return len(rows)


def raw_open_counts(session: Session) -> dict[open_counts.Key, int]:
    """The open tasks with a limit per (limit, unit, stage, item), as the task rows give them."""
    due_at = cast(InstrumentedAttribute[datetime], Task.due_at)  # the condition leaves out tasks without a limit
    rows = session.execute(
        select(due_at, Task.org_id, Task.title, CaseInstance.item_id, func.count())
        .join(CaseInstance, CaseInstance.id == Task.instance_id)
        .where(Task.state == TASK_OPEN, due_at.is_not(None))
        .group_by(due_at, Task.org_id, Task.title, CaseInstance.item_id)
    )
    return {(due, org_id, stage, item_id): count for due, org_id, stage, item_id, count in rows}


def stored_open_counts(session: Session) -> dict[open_counts.Key, int]:
    """The rows of `open_task_count`, as `raw_open_counts` gives them."""
    rows = session.execute(
        select(
            OpenTaskCount.due_at, OpenTaskCount.org_id, OpenTaskCount.stage, OpenTaskCount.item_id, OpenTaskCount.tasks
        )
    )
    return {(due_at, org_id, stage, item_id): tasks for due_at, org_id, stage, item_id, tasks in rows}


def _from(column: Any, since: date | None) -> ColumnElement[bool]:
    return column >= day_start(since) if since is not None else true()


def _add(facts: tallies.Facts, key: tuple[Any, int, str, str], counts: dict[str, int]) -> None:
    entry = facts.setdefault((as_date(key[0]), key[1], key[2], key[3]), {})
    for name, value in counts.items():
        if value:
            entry[name] = entry.get(name, 0) + int(value)


def _endings(session: Session, since: date | None, facts: tallies.Facts) -> None:
    rectification = Rating.id.is_not(None)
    day = local_day(session, CaseInstance.completed_at)
    on_time = func.sum(case((CaseInstance.completed_at < CaseInstance.due_at, 1), else_=0))
    late = func.sum(case((CaseInstance.completed_at >= CaseInstance.due_at, 1), else_=0))
    rows = session.execute(
        select(day, CaseInstance.org_id, CaseInstance.item_id, rectification, func.count(), on_time, late)
        .select_from(CaseInstance)
        .outerjoin(Rating, Rating.rectification_id == CaseInstance.id)
        .where(CaseInstance.completed_at.is_not(None), _from(CaseInstance.completed_at, since))
        .group_by(day, CaseInstance.org_id, CaseInstance.item_id, rectification)
    )
    for day_value, org_id, item_id, rectified, count, on, off in rows:
        names = tallies.RECTIFIED if rectified else tallies.CLOSED
        _add(facts, (day_value, org_id, item_id, tallies.CASE_STAGE), dict(zip(names, (count, on, off), strict=True)))


def _stages(session: Session, since: date | None, facts: tallies.Facts) -> None:
    """Completed tasks per (day completed, unit, item, title, day created); only those day pairs go through the
    working-day calendar."""
    created, completed = local_day(session, Task.created_at), local_day(session, Task.completed_at)
    on_time = func.sum(case((Task.completed_at < Task.due_at, 1), else_=0))
    late = func.sum(case((Task.completed_at >= Task.due_at, 1), else_=0))
    rows = session.execute(
        select(completed, Task.org_id, CaseInstance.item_id, Task.title, created, func.count(), on_time, late)
        .join(CaseInstance, CaseInstance.id == Task.instance_id)
        .where(Task.state == TASK_COMPLETED, Task.completed_at.is_not(None), _from(Task.completed_at, since))
        .group_by(completed, Task.org_id, CaseInstance.item_id, Task.title, created)
    )
    calendar = workcalendar.default_calendar()
    for done_on, org_id, item_id, title, created_on, count, on, off in rows:
        days = calendar.working_days_between(as_date(created_on), as_date(done_on))
        counts = dict(zip(tallies.STAGES, (count, on, off, days * count), strict=True))
        _add(facts, (done_on, org_id, item_id, title), counts)


def _decisions(session: Session, since: date | None, facts: tallies.Facts) -> None:
    decision = AuditEvent.detail["decision"].as_string()
    day = local_day(session, AuditEvent.at)
    stage = func.coalesce(AuditEvent.task_title, tallies.CASE_STAGE)
    rows = session.execute(
        select(day, AuditEvent.org_id, CaseInstance.item_id, stage, decision, func.count())
        .join(CaseInstance, CaseInstance.id == AuditEvent.instance_id)
        .where(
            AuditEvent.action == "completed",
            AuditEvent.task_id.is_not(None),
            AuditEvent.org_id.is_not(None),
            decision.in_(tallies.DECISIONS),
            _from(AuditEvent.at, since),
        )
        .group_by(day, AuditEvent.org_id, CaseInstance.item_id, stage, decision)
    )
    for day_value, org_id, item_id, title, value, count in rows:
        _add(facts, (day_value, org_id, item_id, title), {tallies.DECISIONS[value]: count})


def _first_notices(session: Session, since: date | None, facts: tallies.Facts) -> None:
    first = (
        select(AuditEvent.instance_id, func.min(AuditEvent.at).label("at"))
        .join(Task, Task.id == AuditEvent.task_id)
        .where(AuditEvent.action == "completed", Task.form_key == tallies.NOTICE_FORM)
        .group_by(AuditEvent.instance_id)
        .subquery()
    )
    day = local_day(session, first.c.at)
    rows = session.execute(
        select(day, CaseInstance.org_id, CaseInstance.item_id, func.count())
        .join(CaseInstance, CaseInstance.id == first.c.instance_id)
        .where(_from(first.c.at, since))
        .group_by(day, CaseInstance.org_id, CaseInstance.item_id)
    )
    for day_value, org_id, item_id, count in rows:
        _add(facts, (day_value, org_id, item_id, tallies.CASE_STAGE), {"supplement": count})


def _not_accepted(session: Session, since: date | None, facts: tallies.Facts) -> None:
    day = local_day(session, AuditEvent.at)
    rows = session.execute(
        select(day, CaseInstance.org_id, CaseInstance.item_id, func.count())
        .join(CaseInstance, CaseInstance.id == AuditEvent.instance_id)
        .where(AuditEvent.action == NOT_ACCEPTED, _from(AuditEvent.at, since))
        .group_by(day, CaseInstance.org_id, CaseInstance.item_id)
    )
    for day_value, org_id, item_id, count in rows:
        _add(facts, (day_value, org_id, item_id, tallies.CASE_STAGE), {"not_accepted": count})


def _mandates(session: Session, since: date | None, facts: tallies.Facts) -> None:
    day = local_day(session, ProxyMandate.accepted_at)
    rows = session.execute(
        select(day, CaseInstance.org_id, CaseInstance.item_id, func.count())
        .join(CaseInstance, CaseInstance.id == ProxyMandate.instance_id)
        .where(_from(ProxyMandate.accepted_at, since))
        .group_by(day, CaseInstance.org_id, CaseInstance.item_id)
    )
    for day_value, org_id, item_id, count in rows:
        _add(facts, (day_value, org_id, item_id, tallies.CASE_STAGE), {"proxy": count})


def stored_rows(session: Session, since: date | None = None) -> tallies.Rows:
    """The rows of `sla_count` from the first of `since`'s month on, as `raw_rows` gives them (zeros left out)."""
    table = cast(Table, SlaCount.__table__)
    statement = select(table)
    if since is not None:
        statement = statement.where(table.c.day >= since.replace(day=1))
    rows: tallies.Rows = {}
    for row in session.execute(statement).mappings():
        counts = {name: row[name] for name in row.keys() if name not in tallies.KEY_COLUMNS and row[name]}
        if counts:
            rows[(row["span"], row["day"], row["org_id"], row["item_id"], row["stage"])] = counts
    return rows
