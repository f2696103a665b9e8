"""The open tasks per due instant × unit × stage × item (`open_task_count`), kept as tasks open and leave the open
state, so that 时效统计's open tasks past their limit now (`engine.reporting.sla`) sum a few thousand rows
instead of counting among a province's million open tasks.

A projection of the task rows, as they are of the workflow. A task counts while it is open and has a limit;
every writer of a task's state or limit hands the change to `change` inside its unit of work:
`tasks.projection.project_tasks` (opened, cancelled), `cases.step.complete_task`, `cases.step.move_tasks`
(挂起, 恢复, 终止) and `timers.recompute` (a limit moved by a holiday notice). The changes of a unit of work are
added up and written as it commits, with one upsert (INSERT … ON CONFLICT DO UPDATE on PostgreSQL and SQLite
alike) of rows in one order for every writer, so that concurrent steps never lose a count nor wait on each
other crosswise (a step completing one stage and opening another touches two rows); a rolled-back unit of work
writes none. A row whose count reaches zero is deleted, so a stage's earliest limit is its earliest row.
`engine.reporting.rebuild` computes the same rows from the task rows (`flask --app wsgi sla rebuild | check`).
"""

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import cast

from sqlalchemy import Executable, Table, and_, bindparam, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

from engine.core.models import OpenTaskCount

# A task as counted: its limit, unit and stage (title).
Counted = tuple[datetime | None, int, str]
Key = tuple[datetime, int, str, str]
KEY_COLUMNS = ("due_at", "org_id", "stage", "item_id")
_TABLE = cast(Table, OpenTaskCount.__table__)
# The changes of the unit of work in progress, in its session's `info`.
_PENDING = "yibao.open_task_deltas"
_DELETE_EMPTY = _TABLE.delete().where(
    and_(*(_TABLE.c[name] == bindparam(f"k_{name}") for name in KEY_COLUMNS)), _TABLE.c.tasks <= 0
)


def change(session: Session, item_id: str, *, opened: Iterable[Counted] = (), closed: Iterable[Counted] = ()) -> None:
    """Count the tasks of a case of `item_id` that became open, and uncount those that left the open state (the
    values each had while open), as the unit of work commits; tasks without a limit count nothing."""
    deltas: dict[Key, int] = session.info.setdefault(_PENDING, {})
    for sign, tasks in ((1, opened), (-1, closed)):
        for due_at, org_id, stage in tasks:
            if due_at is not None:
                key = (due_at, org_id, stage, item_id)
                deltas[key] = deltas.get(key, 0) + sign


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    deltas = session.info.pop(_PENDING, None)
    if deltas:
        write(session, deltas)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """A unit of work that ends without committing (rolled back, closed) leaves nothing for the next one."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def write(session: Session, deltas: dict[Key, int]) -> None:
    """Add the counts to their rows with one statement, then delete the rows a decrease brought to zero."""
    changed = sorted((key, delta) for key, delta in deltas.items() if delta)
    if not changed:
        return
    connection = session.connection()
    rows = [dict(zip(KEY_COLUMNS, key, strict=True)) | {"tasks": delta} for key, delta in changed]
    connection.execute(_upsert(session.get_bind().dialect.name), rows)
    decreased = [
        {f"k_{name}": value for name, value in zip(KEY_COLUMNS, key, strict=True)}
        for key, delta in changed
        if delta < 0
    ]
    if decreased:
        connection.execute(_DELETE_EMPTY, decreased)


@cache
def _upsert(dialect: str) -> Executable:
    """INSERT of a row's count that adds it to the row already there, built once per dialect."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE).values({name: bindparam(name) for name in (*KEY_COLUMNS, "tasks")})
    return statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS), set_={"tasks": _TABLE.c.tasks + statement.excluded.tasks}
    )
