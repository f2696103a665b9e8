"""Keeps the task tables in step with the workflow: one row per user task waiting on a person, one per
external service task waiting on a worker (`external_task`, Camunda's external task)."""

from datetime import date, datetime
from typing import Any, TypeAlias, cast

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from engine.bpmn.external import is_external
from engine.bpmn.validation import form_key_of
from engine.cases.deadlines import DEFAULT_WARN_DAYS
from engine.cases.lifecycle import TASK_CANCELLED, TASK_OPEN, TASK_PENDING
from engine.catalogue.flows import flow_for
from engine.catalogue.items import Item
from engine.core.clock import clock
from engine.core.models import CaseInstance, ExternalTask, Task
from engine.core.typing import SpiffTask
from engine.org.routing import route
from engine.sandbox.functions import NO_DEADLINE
from engine.tasks import open_counts
from engine.tasks.step_limits import Step, StepLimit, due_instants, limit_of
from engine.timers.table import timer_kind
from engine.workflow.steps import step_path

TaskRow: TypeAlias = dict[str, Any]
"""A row of the task table as `project_tasks` inserts it: column name to value."""


def deadline_of(spiff_task: SpiffTask, kind: str = "overdue") -> datetime | None:
    """When the task's own timer of `kind` fires: a boundary timer with spiff property `deadline`."""
    parent = spiff_task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    for sibling in parent.children:
        value = sibling.internal_data.get("event_value")
        if sibling is not spiff_task and timer_kind(sibling.task_spec) == kind and value and value != NO_DEADLINE:
            # The engine's deadline timers carry an instant (ISO 8601), so this is a datetime.
            due: datetime = TimerEventDefinition.parse_time_or_duration(value)
            return due
    return None


def task_deadlines(
    session: Session, item: Item | None, spiff_task: SpiffTask, case: CaseInstance
) -> tuple[datetime | None, datetime | None, StepLimit | None]:
    """(due, warning, limit) of a task opening now. Its own deadline timers win where the diagram arms them
    (they read the same limits, see `step_limits.stage_limits_of`); every other task is timed by its step limit."""
    process_key, path = step_path(spiff_task)
    step = Step.of(process_key, path, spiff_task.task_spec)
    limit = limit_of(session, item, step, spiff_task.workflow.spec.name)
    due = deadline_of(spiff_task)
    if due is not None:
        return (min(due, case.due_at) if case.due_at else due), deadline_of(spiff_task, "warning"), limit
    warn_days = flow_for(item).warn_days if item is not None else DEFAULT_WARN_DAYS
    due, warn = due_instants(limit, clock.now(), case.due_at, warn_days)
    return due, warn, limit


def watched_task(spiff_task: SpiffTask) -> SpiffTask | None:
    """For a task reached from a boundary timer (e.g. 催办), the activity that timer watches."""
    node = spiff_task.parent
    while node is not None:
        if isinstance(node.task_spec, BoundaryEventSplit):
            return next(
                (
                    c
                    for c in node.children
                    if getattr(c.task_spec, "lane", None) and not hasattr(c.task_spec, "event_definition")
                ),
                None,
            )
        node = node.parent
    return None


_TASKS = cast(Table, Task.__table__)
# Rows of tasks not yet done, open or held while the case is suspended: never added a second time.
_PENDING_TASK_IDS_OF_CASE = select(Task.id).where(
    Task.instance_id == bindparam("case_id"), Task.state.in_(bindparam("states", expanding=True))
)
_INSERT_TASKS = _TASKS.insert()


def project_tasks(session: Session, case: CaseInstance, item: Item | None, waiting: list[SpiffTask]) -> list[TaskRow]:
    """Cancel rows whose task no longer waits, add rows for newly waiting tasks; returns the new rows.

    The table is a projection the workflow state can always rebuild, so new rows go in with one
    plain INSERT rather than through the session's bookkeeping of objects.
    """
    waiting_by_id = {str(t.id): t for t in waiting if not is_external(t.task_spec)}
    known = set(session.scalars(_PENDING_TASK_IDS_OF_CASE, {"case_id": case.id, "states": list(TASK_PENDING)}))
    gone = known - waiting_by_id.keys()
    cancelled_open: list[open_counts.Counted] = []
    if gone:
        for row in session.scalars(select(Task).where(Task.id.in_(gone))):
            if row.state == TASK_OPEN:
                cancelled_open.append((row.due_at, row.org_id, row.title))
            row.state = TASK_CANCELLED
    created: list[TaskRow] = []
    for task_id, spiff_task in waiting_by_id.items():
        if task_id in known:
            continue
        spec = spiff_task.task_spec
        watched = watched_task(spiff_task)
        responsible = (
            route(session, watched.task_spec.lane, case.org, data=watched.data)[1] if watched is not None else None
        )
        role, unit = route(session, spec.lane, case.org, responsible, spiff_task.data)
        due_at, warn_at, limit = task_deadlines(session, item, spiff_task, case)
        created.append(
            {
                "id": task_id,
                "instance_id": case.id,
                "spec_name": spec.name,
                "title": spec.bpmn_name or spec.name,
                "role": role,
                "org_id": unit.id,
                "form_key": form_key_of(spec),
                "state": TASK_OPEN,
                "assignee_id": None,
                "created_at": clock.now(),
                "due_at": due_at,
                "warn_at": warn_at,
                "limit_days": limit.days if limit else None,
                "limit_source": limit.source if limit else None,
                "limit_inferred": bool(limit and limit.inferred),
                "completed_at": None,
                "completed_by_id": None,
            }
        )
    if created:
        session.connection().execute(_INSERT_TASKS, created)
    opened = [(row["due_at"], row["org_id"], row["title"]) for row in created]
    open_counts.change(session, case.item_id, opened=opened, closed=cancelled_open)
    return created


_EXTERNAL = cast(Table, ExternalTask.__table__)
_PENDING_EXTERNAL_IDS_OF_CASE = select(ExternalTask.id).where(
    ExternalTask.instance_id == bindparam("case_id"), ExternalTask.state.in_(bindparam("states", expanding=True))
)
_INSERT_EXTERNAL = _EXTERNAL.insert()


def project_external_tasks(session: Session, case: CaseInstance, waiting: list[SpiffTask]) -> None:
    """Cancel external-task rows whose task no longer waits (e.g. an interrupting boundary event took the
    flow elsewhere), add a row, unlocked, for each external task newly waiting, with its data as variables."""
    waiting_by_id = {str(t.id): t for t in waiting if is_external(t.task_spec)}
    params = {"case_id": case.id, "states": list(TASK_PENDING)}
    known = set(session.scalars(_PENDING_EXTERNAL_IDS_OF_CASE, params))
    gone = known - waiting_by_id.keys()
    if gone:
        cancelled: dict[str, Any] = {
            "state": TASK_CANCELLED,
            "worker_id": None,
            "variables": {},
        }  # as a completed one's (external.py)
        session.execute(_EXTERNAL.update().where(_EXTERNAL.c.id.in_(gone)).values(**cancelled))
    rows = [
        {
            "id": task_id,
            "instance_id": case.id,
            "business_key": case.case_no,
            "process_key": spiff_task.workflow.spec.name,
            "activity_id": spiff_task.task_spec.bpmn_id or spiff_task.task_spec.name,
            "activity_name": spiff_task.task_spec.bpmn_name or spiff_task.task_spec.name,
            "topic": spiff_task.task_spec.topic,
            "state": TASK_OPEN,
            "variables": jsonable(spiff_task.data),
            "priority": spiff_task.task_spec.priority,
            "worker_id": None,
            "lock_expires_at": None,
            "retries": None,
            "retry_at": None,
            "error_message": None,
            "error_details": None,
            "created_at": clock.now(),
            "completed_at": None,
        }
        for task_id, spiff_task in waiting_by_id.items()
        if task_id not in known
    ]
    if rows:
        session.connection().execute(_INSERT_EXTERNAL, rows)


def jsonable(value: Any) -> Any:
    """Task data as plain JSON for a worker: amounts (`Decimal`) and dates as text, the rest as it is."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
