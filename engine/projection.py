"""Keeps the task table in step with the workflow: one row per user task waiting on a person."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.bpmn_validation import form_key_of
from engine.catalog import Item
from engine.clock import clock
from engine.models import CaseInstance, Task
from engine.routing import route

OPEN = "open"
COMPLETED = "completed"
CANCELLED = "cancelled"


def stage_of(task_spec) -> str | None:
    return task_spec.extensions.get("properties", {}).get("stage")


def task_due_at(item: Item, stage: str | None, case: CaseInstance):
    """A stage's own limit from the day it starts, never later than the whole case's limit."""
    if stage and stage in item.stage_limits:
        stage_due = workcalendar.default_calendar().due(clock.now(), item.stage_limits[stage]).due_at
        return min(stage_due, case.due_at) if case.due_at else stage_due
    return case.due_at


def project_tasks(session: Session, case: CaseInstance, item: Item, waiting: list) -> list[Task]:
    """Cancel rows whose task no longer waits, add rows for newly waiting tasks; returns new rows."""
    waiting_by_id = {str(t.id): t for t in waiting}
    rows = session.scalars(select(Task).where(Task.instance_id == case.id, Task.state == OPEN)).all()
    known = {row.id for row in rows}
    for row in rows:
        if row.id not in waiting_by_id:
            row.state = CANCELLED
    created = []
    for task_id, spiff_task in waiting_by_id.items():
        if task_id in known:
            continue
        spec = spiff_task.task_spec
        role, unit = route(session, spec.lane, case.org)
        row = Task(
            id=task_id,
            instance_id=case.id,
            spec_name=spec.name,
            title=spec.bpmn_name or spec.name,
            role=role,
            org_id=unit.id,
            form_key=form_key_of(spec),
            state=OPEN,
            created_at=clock.now(),
            due_at=task_due_at(item, stage_of(spec), case),
        )
        session.add(row)
        created.append(row)
    return created
