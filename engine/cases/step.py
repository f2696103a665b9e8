"""Writing a step of a case: the one place that stores what a step changed.

A step (acceptance, a completion, a timer, an administrator's action, a recomputation) runs inside
one unit of work (`engine.core.uow`) and is written here in a fixed order: the case row first, with
one UPDATE that names the version the step read (a mismatch is `StaleDataError`, a 409 from the unit
of work), then the task rows, then the timer rows, the messages the case waits for and the texts to the
applicant of the tasks it opened (`engine.sms`), then what the listings read: the units the case is listed
under (`engine.cases.scopes`) and its next deadline (`engine.cases.overdue`, also after moving task rows);
audit events, and their texts, are appended as the step records them. Rows are written with plain
statements, so the session's object bookkeeping is told here, and only here, what each statement wrote
(`set_committed_value`).
"""

from collections.abc import Collection, Iterator, Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine.bpmn.drawn import drawn
from engine.cases import history, lifecycle, overdue, promises, retention, scopes
from engine.cases.waits import sync_waits
from engine.catalogue.items import Item
from engine.core.clock import clock
from engine.core.errors import Conflict
from engine.core.models import CaseInstance, ExternalTask, Task, Timer, User
from engine.core.typing import SpiffTask, Workflow
from engine.sms import outbox
from engine.tasks import open_counts
from engine.tasks.projection import TaskRow, project_external_tasks, project_tasks
from engine.timers.table import sync_timers
from engine.workflow import snapshot, stored
from engine.workflow.thrown import take_uncaught_error

# What a step may change on the case row besides its workflow state.
STEP_COLUMNS = ("status", "completed_at", "due_at", "clock_from", "limit_days", "last_error")
_CASES = cast(Table, CaseInstance.__table__)
_AT_VERSION = _CASES.update().where(_CASES.c.id == bindparam("case_id"), _CASES.c.version == bindparam("read_version"))
_WRITE_CASE = _AT_VERSION.values({c: bindparam(c) for c in (*STEP_COLUMNS, "version")})
_WRITE_CASE_AND_STATE = _AT_VERSION.values({c: bindparam(c) for c in (*STEP_COLUMNS, "state", "version")})


def write_step(session: Session, case: CaseInstance, item: Item | None, workflow: Workflow) -> list[TaskRow]:
    """Store the workflow after a step: the case (concluded when its flow ended, unless a 容缺 promise is still
    open; not accepted when its flow threw `not_accepted`), its waiting tasks, its timers (a concluded case's
    cancelled ones dropped), the messages it waits for, the SMS its new tasks send, the units that may list it
    and its next deadline. Returns the task rows the step created."""
    if case.status == lifecycle.RUNNING and take_uncaught_error(workflow, lifecycle.NOT_ACCEPTED):
        workflow.cancel()  # 补正 period passed: the application ends 不予受理, whatever the flow would do next
        lifecycle.transition(case, "not_accept")
        case.completed_at = clock.now()
        history.record(session, case, lifecycle.NOT_ACCEPTED)
    if workflow.is_completed() and case.status == lifecycle.RUNNING:
        promises.ensure_may_conclude(session, case, workflow.data)
        lifecycle.transition(case, "conclude")
        case.completed_at = clock.now()
        history.record(session, case, "concluded")
    write_case(session, case, workflow)
    ready, waiting = snapshot.pending_tasks(workflow)
    created = project_tasks(session, case, item, ready)
    project_external_tasks(session, case, ready)
    sync_timers(session, case, workflow, waiting)
    if retention.is_slim(case):
        retention.drop_cancelled_timers(session, case)
    sync_waits(session, case, workflow, waiting)
    outbox.note_opened(session, case, _opened(ready, created))
    scopes.note_units(session, case, {case.org_id, *(row["org_id"] for row in created)})
    overdue.note_next_deadline(session, case)
    return created


def _opened(ready: list[SpiffTask], created: list[TaskRow]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each task the step opened as its form and its data, once its timers are written."""
    data = {str(task.id): task.data for task in ready}
    for row in created:
        yield row["form_key"], data.get(row["id"], {})


def write_case(session: Session, case: CaseInstance, workflow: Workflow | None = None) -> None:
    """Write the case row as the step left it (and its workflow state, when given) with one UPDATE,
    refused when another unit of work changed the case since this one read it."""
    read_version = case.version
    values: dict[str, Any] = {c: getattr(case, c) for c in STEP_COLUMNS} | {"version": read_version + 1}
    statement = _WRITE_CASE
    if workflow is not None:
        text = (
            snapshot.dump_ended(drawn(workflow).as_dict()) if retention.is_slim(case) else snapshot.dump_state(workflow)
        )
        values["state"] = stored.encode(text)
        statement = _WRITE_CASE_AND_STATE
    written = session.connection().execute(statement, {"case_id": case.id, "read_version": read_version, **values})
    if written.rowcount != 1:
        raise StaleDataError(f"办件 {case.case_no} 已被其他操作修改")
    for key, value in values.items():
        set_committed_value(case, key, value)


_TASKS = cast(Table, Task.__table__)
_COMPLETE_TASK = (
    _TASKS.update()
    .where(_TASKS.c.id == bindparam("task_id"), _TASKS.c.state == lifecycle.TASK_OPEN)
    .values(state=lifecycle.TASK_COMPLETED, completed_at=bindparam("at"), completed_by_id=bindparam("user_id"))
)
_TAKE_TASK = (
    update(Task)
    .where(Task.id == bindparam("task_id"), Task.state == lifecycle.TASK_OPEN, Task.assignee_id.is_(None))
    .values(assignee_id=bindparam("user_id"))
    .execution_options(synchronize_session=False)
)


_TASKS_IN_STATES = select(Task.due_at, Task.org_id, Task.title, Task.state).where(
    Task.instance_id == bindparam("case_id"), Task.state.in_(bindparam("states", expanding=True))
)


def complete_task(session: Session, task: Task, user: User) -> None:
    """Mark the open task completed by `user` now; a task no longer open is a conflict."""
    now = clock.now()
    done = session.connection().execute(_COMPLETE_TASK, {"task_id": task.id, "user_id": user.id, "at": now})
    if done.rowcount != 1:
        raise Conflict("该任务已办结或已取消")
    open_counts.change(session, task.instance.item_id, closed=[(task.due_at, task.org_id, task.title)])
    for key, value in (("state", lifecycle.TASK_COMPLETED), ("completed_at", now), ("completed_by_id", user.id)):
        set_committed_value(task, key, value)


def take_task(session: Session, task: Task, user: User) -> None:
    """Give an open, unclaimed task to `user`; one already taken is a conflict."""
    # An UPDATE's result is a CursorResult; Session.execute is typed for any statement.
    taken = cast(CursorResult[Any], session.execute(_TAKE_TASK, {"task_id": task.id, "user_id": user.id})).rowcount
    if taken != 1:
        raise Conflict("该任务已被他人认领或已办结")
    set_committed_value(task, "assignee_id", user.id)
    set_committed_value(task, "assignee", user)


def move_tasks(session: Session, case: CaseInstance, from_states: tuple[str, ...], to_state: str) -> None:
    """Move the case's task rows, user and external, in `from_states` to `to_state` (suspend, resume, terminate)."""
    moved = session.execute(_TASKS_IN_STATES, {"case_id": case.id, "states": list(from_states)}).all()
    if to_state == lifecycle.TASK_OPEN:
        open_counts.change(session, case.item_id, opened=[row[:3] for row in moved if row.state != to_state])
    else:
        open_counts.change(session, case.item_id, closed=[row[:3] for row in moved if row.state == lifecycle.TASK_OPEN])
    _move_rows(session, Task, case, from_states, to_state)
    _move_rows(session, ExternalTask, case, from_states, to_state)
    overdue.note_next_deadline(session, case)


def move_timers(session: Session, case: CaseInstance, from_states: tuple[str, ...], to_state: str) -> None:
    """Move the case's timer rows in `from_states` to `to_state` (hold, release, cancel)."""
    _move_rows(session, Timer, case, from_states, to_state)


def _move_rows(
    session: Session,
    table: type[Task] | type[ExternalTask] | type[Timer],
    case: CaseInstance,
    from_states: Collection[str],
    to_state: str,
) -> None:
    """One UPDATE; the rows the session already holds are updated too ("evaluate"), so no reader
    in this unit of work sees an old state."""
    session.execute(
        update(table)
        .where(table.instance_id == case.id, table.state.in_(from_states))
        .values(state=to_state)
        .execution_options(synchronize_session="evaluate")
    )
