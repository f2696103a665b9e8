"""Recompute pending deadlines after a year's holiday notice is added.

A deadline that crossed a year without a notice was computed from the statutory holidays alone
(provisional). Once the notice is loaded, every pending deadline reaching into such a year is
computed again: each case's own limit from where its clock started, and each waiting timer by
re-evaluating its expression as of the instant it was armed. Cases whose dates changed record
the old and new dates in their history.
"""

from datetime import date, datetime
from typing import TypeAlias
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.bpmn import deployment
from engine.cases import history, lifecycle, overdue
from engine.cases.lifecycle import TASK_OPEN, TASK_PENDING, TIMER_HELD, TIMER_WAITING
from engine.cases.step import write_case
from engine.core.clock import SHANGHAI, clock
from engine.core.models import CaseInstance, Task, Timer
from engine.core.typing import Workflow
from engine.core.uow import unit_of_work
from engine.tasks import open_counts
from engine.workflow import data as workflow_data
from engine.workflow import snapshot

# The task column a timer of `Timer.kind` moves with it; a timer without a kind (None) moves none.
TASK_COLUMN: dict[str | None, str] = {"overdue": "due_at", "warning": "warn_at"}
PENDING_TIMERS = (TIMER_WAITING, TIMER_HELD)

Change: TypeAlias = dict[str, str]
"""One recomputed date as the case history records it: what, old and new (ISO 8601)."""


def recompute_pending_deadlines(session: Session, from_year: int) -> int:
    """Recompute every pending deadline falling in `from_year` or later; returns how many changed.
    One unit of work per case, so a case changed meanwhile is left for the next run, not lost."""
    since = datetime.combine(date(from_year, 1, 1), datetime.min.time(), SHANGHAI)
    with unit_of_work(session):
        case_ids = set(
            session.scalars(
                select(CaseInstance.id).where(CaseInstance.completed_at.is_(None), CaseInstance.due_at >= since)
            )
        )
        case_ids |= set(
            session.scalars(select(Timer.instance_id).where(Timer.state.in_(PENDING_TIMERS), Timer.fire_at >= since))
        )
    changed = 0
    for case_id in sorted(case_ids):
        with unit_of_work(session):
            case = session.get(CaseInstance, case_id)
            if case is not None and lifecycle.allows(case, "recompute"):
                changed += _recompute_case(session, case)
    return changed


def _recompute_case(session: Session, case: CaseInstance) -> int:
    changes: list[Change] = []
    spec, subprocess_specs = deployment.specs_of(case.definition)
    workflow = snapshot.load_state(case.state, spec, subprocess_specs)
    if case.due_at is not None and case.limit_days is not None and case.clock_from is not None:
        new_due = workcalendar.default_calendar().due(case.clock_from, case.limit_days).due_at
        if new_due != case.due_at:
            changes.append({"what": "办件时限", "old": case.due_at.isoformat(), "new": new_due.isoformat()})
            moved = session.scalars(
                select(Task).where(
                    Task.instance_id == case.id, Task.state.in_(TASK_PENDING), Task.due_at == case.due_at
                )
            ).all()
            open_now = [row for row in moved if row.state == TASK_OPEN]
            open_counts.change(
                session,
                case.item_id,
                closed=[(row.due_at, row.org_id, row.title) for row in open_now],
                opened=[(new_due, row.org_id, row.title) for row in open_now],
            )
            for row in moved:
                row.due_at = new_due
            case.due_at = new_due
            workflow_data.set_case_due(workflow, new_due.isoformat())
    timers = session.scalars(select(Timer).where(Timer.instance_id == case.id, Timer.state.in_(PENDING_TIMERS))).all()
    for timer in timers:
        change = _recompute_timer(session, workflow, timer)
        if change:
            changes.append(change)
    if changes:
        write_case(session, case, workflow)
        overdue.note_next_deadline(session, case)
        history.record(session, case, "deadline_recomputed", detail={"changes": changes})
    return len(changes)


def _recompute_timer(session: Session, workflow: Workflow, timer: Timer) -> Change | None:
    task = workflow.get_task_from_id(UUID(timer.task_id))
    with clock.at(timer.armed_at):
        value = workflow.script_engine.evaluate(task, task.task_spec.event_definition.expression)
    new_fire_at = datetime.fromisoformat(value)
    if new_fire_at == timer.fire_at:
        return None
    old = timer.fire_at
    task.internal_data["event_value"] = value
    timer.fire_at = new_fire_at
    column = TASK_COLUMN.get(timer.kind)
    if column:
        watched_ids = [str(c.id) for c in task.parent.children if c is not task]
        for row in session.scalars(select(Task).where(Task.id.in_(watched_ids), Task.state.in_(TASK_PENDING))):
            setattr(row, column, new_fire_at)
    return {"what": timer.title, "old": old.isoformat(), "new": new_fire_at.isoformat()}
