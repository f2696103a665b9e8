"""Timers of BPMN diagrams, on the engine's clock, kept in an indexed table and fired exactly once.

SpiffWorkflow evaluates a timer expression once, stores the instant in the task, and compares it
with the engine's clock (`engine.workflow.timer_clock` binds its timer module to it, so a frozen
clock in tests or `timers run --now` decides). We copy every waiting timer into the `timer` table
after each step, so a sweep loads only the cases whose timer is due, and announce one due soon to the
sleeping timer workers (`engine.timers.wakeups`).

A marker (`is_marker`: a 即将超期 whose path only ends) fires from its row alone; the row is then the record
that it went off, so the sync never arms it again while its boundary event still waits in the workflow.
"""

import traceback
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import CursorResult, Row, Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from engine.cases import history
from engine.cases.lifecycle import TIMER_CANCELLED, TIMER_FIRED, TIMER_WAITING
from engine.core.clock import clock
from engine.core.errors import Conflict
from engine.core.models import CaseInstance, Timer
from engine.core.typing import SpiffTask, TaskSpec, Workflow
from engine.timers import wakeups

MAX_BACKOFF = timedelta(hours=6)
_TIMERS = cast(Table, Timer.__table__)
# Its waiting timers, and the markers that already went off (so they are not armed again).
_TIMERS_OF_CASE = select(Timer.id, Timer.task_id, Timer.kind, Timer.title, Timer.fire_at, Timer.state).where(
    Timer.instance_id == bindparam("case_id"),
    or_(Timer.state == TIMER_WAITING, and_(Timer.marker, Timer.state == TIMER_FIRED)),
)
_INSERT_TIMER = _TIMERS.insert()
_ONE_TIMER = _TIMERS.update().where(_TIMERS.c.id == bindparam("timer_id"))
_MOVE_TIMER = _ONE_TIMER.values(fire_at=bindparam("new_fire_at"))
_FIRE_TIMER = _ONE_TIMER.values(state=TIMER_FIRED, fired_at=bindparam("fired_at"))
_CANCEL_TIMERS = (
    _TIMERS.update().where(_TIMERS.c.id.in_(bindparam("timer_ids", expanding=True))).values(state=TIMER_CANCELLED)
)
# Keyed by `Timer.kind`, which a timer without the `deadline` property leaves empty (None).
KIND_LABELS: dict[str | None, str] = {"warning": "即将超期", "overdue": "已超期", "escalation": "超期通报"}


def timer_kind(task_spec: TaskSpec) -> str | None:
    """What a timer means for deadlines: spiff property `deadline` = warning | overdue | escalation."""
    kind: str | None = getattr(task_spec, "extensions", {}).get("properties", {}).get("deadline")
    return kind


def is_marker(task_spec: TaskSpec) -> bool:
    """A 即将超期 (`deadline = warning`) on a non-interrupting boundary whose only path is a plain end event: going
    off changes nothing in the workflow, so the sweep fires it from its row (`sweep.fire`) without loading it."""
    if timer_kind(task_spec) != "warning" or not isinstance(task_spec, BoundaryEvent) or task_spec.cancel_activity:
        return False
    paths = [spec for spec in task_spec.outputs if not isinstance(spec, BoundaryEventJoin)]
    return not _has_scripts(task_spec) and all(
        isinstance(spec, EndEvent) and isinstance(spec.event_definition, NoneEventDefinition) and not _has_scripts(spec)
        for spec in paths
    )


def _has_scripts(task_spec: TaskSpec) -> bool:
    return bool(
        getattr(task_spec, "prescript", None)
        or getattr(task_spec, "postscript", None)
        or getattr(task_spec, "data_output_associations", None)
    )


def armed_timers(waiting_tasks: list[SpiffTask]) -> list[tuple[SpiffTask, datetime]]:
    """The timer events among waiting tasks, with the instant each fires at (already evaluated)."""
    found: list[tuple[SpiffTask, datetime]] = []
    for task in waiting_tasks:
        definition = getattr(task.task_spec, "event_definition", None)
        value = task.internal_data.get("event_value")
        if isinstance(definition, TimerEventDefinition) and value is not None:
            fire_at = next_instant(value)
            if fire_at is not None:
                found.append((task, fire_at))
    return found


def next_instant(value: str | dict[str, Any]) -> datetime | None:
    """When an evaluated timer fires next: its instant, or a cycle's next one (none once its repetitions are done).

    SpiffWorkflow keeps a cycle (`timeCycle`, R/…) as {"cycles": left, "next": ISO instant, "duration": seconds}."""
    if isinstance(value, dict):
        return datetime.fromisoformat(value["next"]) if value.get("cycles") != 0 else None
    instant: datetime = TimerEventDefinition.parse_time_or_duration(value)
    return instant


def is_cycle(task: SpiffTask) -> bool:
    """A repeating timer (`timeCycle`): it fires once per repetition and stays armed until they are done."""
    return isinstance(getattr(task.task_spec, "event_definition", None), CycleTimerEventDefinition)


def sync_timers(session: Session, case: CaseInstance, workflow: Workflow, waiting_tasks: list[SpiffTask]) -> None:
    """Make the timer table hold exactly the case's waiting timers.

    A step arms and cancels several timers and never reads their rows back as objects, so they
    are written with plain statements: new ones in one INSERT, cancelled ones in one UPDATE. A fired
    marker is left as it is, however its boundary event stands in the workflow.
    """
    armed = {str(task.id): (task, fire_at) for task, fire_at in armed_timers(waiting_tasks)}
    rows = session.execute(_TIMERS_OF_CASE, {"case_id": case.id}).all()
    connection = session.connection()
    cancelled: list[int] = []
    announced: list[datetime] = []
    for row in rows:
        if row.state == TIMER_FIRED:
            armed.pop(row.task_id, None)
            continue
        if row.task_id in armed:
            fire_at = _as_instant(armed.pop(row.task_id)[1])
            if fire_at != row.fire_at:
                connection.execute(_MOVE_TIMER, {"timer_id": row.id, "new_fire_at": fire_at})
                announced.append(fire_at)
            continue
        task = workflow.get_task_from_id(UUID(row.task_id))
        if task is not None and task.state == TaskState.COMPLETED:
            connection.execute(_FIRE_TIMER, {"timer_id": row.id, "fired_at": clock.now()})
            _record_fired(session, case, row)
        else:
            cancelled.append(row.id)
    if cancelled:
        connection.execute(_CANCEL_TIMERS, {"timer_ids": cancelled})
    if armed:
        now = clock.now()
        connection.execute(
            _INSERT_TIMER,
            [
                {
                    "instance_id": case.id,
                    "task_id": task_id,
                    "kind": timer_kind(task.task_spec),
                    "marker": is_marker(task.task_spec),
                    "title": task.task_spec.bpmn_name or task.task_spec.name,
                    "fire_at": _as_instant(fire_at),
                    "armed_at": now,
                    "state": TIMER_WAITING,
                    "attempts": 0,
                    "retry_at": None,
                    "last_error": None,
                    "fired_at": None,
                }
                for task_id, (task, fire_at) in armed.items()
            ],
        )
        announced.extend(_as_instant(fire_at) for _task, fire_at in armed.values())
    if announced:
        wakeups.announce(connection, min(announced))


def fire_marker(session: Session, case: CaseInstance, timer: Timer) -> None:
    """A marker went off: its row from waiting to fired, and its event. On SQLite, which has no SKIP LOCKED, two
    workers may pick the same row: the one whose UPDATE finds it no longer waiting has a conflict, not a second
    event."""
    moved = session.execute(
        update(Timer)
        .where(Timer.id == timer.id, Timer.state == TIMER_WAITING)
        .values(state=TIMER_FIRED, fired_at=clock.now())
        .execution_options(synchronize_session="evaluate")
    )
    if cast(CursorResult[Any], moved).rowcount != 1:
        raise Conflict("定时器已由其他定时器服务触发")
    _record_fired(session, case, timer)


def mark_fired(session: Session, case: CaseInstance, timer: Timer) -> None:
    """The timer went off: say so on its row and in the case history (即将超期, 已超期, 通报)."""
    timer.state = TIMER_FIRED
    timer.fired_at = clock.now()
    _record_fired(session, case, timer)


def _record_fired(
    session: Session, case: CaseInstance, timer: Timer | Row[int, str, str | None, str, datetime, str]
) -> None:
    history.record(
        session,
        case,
        "timer_fired",
        detail={
            "timer": timer.title,
            "kind": timer.kind,
            "label": KIND_LABELS.get(timer.kind, timer.title),
            "fire_at": timer.fire_at.isoformat(),
        },
    )


def due_timers(session: Session, limit: int) -> list[Timer]:
    """Due timers, each locked for this worker; other workers skip them (PostgreSQL SKIP LOCKED)."""
    now = clock.now()
    query = (
        select(Timer)
        .where(Timer.state == TIMER_WAITING, Timer.fire_at <= now)
        .where((Timer.retry_at.is_(None)) | (Timer.retry_at <= now))
        .order_by(Timer.fire_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Timer)
    return list(session.scalars(query))


def record_incident(session: Session, timer_id: int, exc: Exception) -> None:
    """A timer whose case failed to advance: keep the error, retry later with exponential back-off."""
    timer = session.get_one(Timer, timer_id)
    timer.attempts += 1
    timer.last_error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
    timer.retry_at = clock.now() + min(timedelta(minutes=2**timer.attempts), MAX_BACKOFF)


def _as_instant(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
