"""What an administrator may do to a case: suspend, resume, terminate, retry a failed step.

Only to a case of their scope (`engine.org.permissions.scope_root`): any other answers 404 as a missing one.

Each function is one unit of work and records the action in the case history; the lifecycle
(`engine.cases.lifecycle`) decides which action a status allows. A suspended case stops its clock:
its open tasks leave every inbox (`suspended`), its timers are held, and resuming puts every pending
deadline — the case's, its tasks' and its timers' — off by the working days it spent suspended.
Terminating cancels every task and timer still pending.
"""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.cases import history, lifecycle, money, retention, waits
from engine.cases.deadlines import moved_by_working_days, working_days_suspended
from engine.cases.lifecycle import (
    TASK_CANCELLED,
    TASK_OPEN,
    TASK_PENDING,
    TASK_SUSPENDED,
    TIMER_CANCELLED,
    TIMER_HELD,
    TIMER_WAITING,
)
from engine.cases.step import move_tasks, move_timers, write_case, write_step
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.errors import Conflict, DomainError, Invalid, NotFound, StepFailed
from engine.core.models import AuditEvent, CaseInstance, Task, Timer, User
from engine.core.typing import Workflow
from engine.core.uow import unit_of_work
from engine.org import security_log
from engine.org.permissions import ensure_admin, may_see_case
from engine.workflow import data as workflow_data
from engine.workflow import snapshot

log = logging.getLogger("yibao.steps")
ACTION_LABELS = {"suspended": "挂起", "resumed": "恢复", "terminated": "终止", "retried": "重试"}
ACTIONS = ("suspend", "resume", "retry", "terminate")


def offered_actions(case: CaseInstance) -> list[str]:
    """The administrator's actions the case's status allows now (the lifecycle's table), retry only after an error:
    what the case page offers, so that a concluded case offers none."""
    return [action for action in ACTIONS if lifecycle.allows(case, action) and (action != "retry" or may_retry(case))]


def may_retry(case: CaseInstance) -> bool:
    """Only a step that stopped on an error is retried."""
    return bool(case.last_error)


def suspend(session: Session, user: User, case_id: int, reason: str = "") -> CaseInstance:
    case = _case_for(session, user, case_id, "挂起")
    with unit_of_work(session):
        lifecycle.transition(case, "suspend")
        write_case(session, case)
        move_tasks(session, case, (TASK_OPEN,), TASK_SUSPENDED)
        move_timers(session, case, (TIMER_WAITING,), TIMER_HELD)
        history.record(session, case, "suspended", user, detail={"reason": reason.strip()})
    return case


def resume(session: Session, user: User, case_id: int) -> CaseInstance:
    """Carry the case on where it stopped, every pending deadline put off by the days suspended."""
    case = _case_for(session, user, case_id, "恢复")
    with unit_of_work(session):
        lifecycle.transition(case, "resume")
        days = working_days_suspended(_suspended_since(session, case), clock.now())
        workflow = _put_off(session, case, days) if days else None
        write_case(session, case, workflow)
        move_tasks(session, case, (TASK_SUSPENDED,), TASK_OPEN)
        move_timers(session, case, (TIMER_HELD,), TIMER_WAITING)
        history.record(session, case, "resumed", user, detail={"working_days_suspended": days})
    return case


def terminate(session: Session, user: User, case_id: int, reason: str) -> CaseInstance:
    """End a case for good; the reason is mandatory since the applicant must be told why."""
    case = _case_for(session, user, case_id, "终止")
    if not (reason or "").strip():
        raise Invalid("终止办件必须填写原因", {"reason": ["请填写终止原因"]})
    with unit_of_work(session):
        lifecycle.transition(case, "terminate")
        case.completed_at = clock.now()
        write_case(session, case)
        move_tasks(session, case, TASK_PENDING, TASK_CANCELLED)
        move_timers(session, case, (TIMER_WAITING, TIMER_HELD), TIMER_CANCELLED)
        retention.drop_cancelled_timers(session, case)
        waits.clear(session, case)
        money.release_invoices(session, case.id)
        history.record(session, case, "terminated", user, detail={"reason": reason.strip()})
    return case


def retry(session: Session, user: User, case_id: int) -> CaseInstance:
    """Run the engine steps of a case that stopped on an error again, from its stored state.

    A script or timer step that raised left the workflow at its last good state (with `last_error`
    set); once the cause is fixed (a redeployed rule, loaded holidays) this carries the flow on.
    A failing retry keeps the state and records the new error.
    """
    case = _case_for(session, user, case_id, "重试")
    lifecycle.ensure_allowed(case, "retry")
    if not may_retry(case):
        raise Conflict("该办件没有出错的环节，无需重试")
    item = catalog().get(case.item_id)
    case_no = case.case_no
    try:
        with unit_of_work(session):
            spec, subprocess_specs = deployment.specs_of(case.definition)
            workflow = snapshot.load_state(case.state, spec, subprocess_specs)
            workflow.refresh_timers()
            workflow.do_engine_steps()
            case.last_error = None
            history.record(session, case, "retried", user)
            write_step(session, case, item, workflow)
    except DomainError:
        raise
    except Exception as exc:
        log.warning("retry failed: case %s: %s: %s", case_no, type(exc).__name__, exc)
        with unit_of_work(session):
            case = session.get_one(CaseInstance, case_id)
            case.last_error = history.error_text(exc)
            history.record(session, case, history.ERROR, user, detail=history.failure(exc))
        raise StepFailed("重试仍然出错，办件停留在当前环节") from exc
    return case


def _case_for(session: Session, user: User, case_id: int, right: str) -> CaseInstance:
    """The case, if it lies in the administrator's scope (`may_see_case`); else 404 as if it did not exist, the
    refusal kept in the security log. Read before the action's unit of work, which a refusal never opens."""
    ensure_admin(user)
    case = session.get(CaseInstance, case_id)
    if case is None:
        raise NotFound("办件不存在")
    task_orgs = set(session.scalars(select(Task.org_id).where(Task.instance_id == case.id)))
    if not may_see_case(user, case.org_id, task_orgs):
        security_log.record_alone(session, security_log.SCOPE_REFUSED, user=user, scope=f"{right}办件 {case.case_no}")
        raise NotFound("办件不存在")
    return case


def _suspended_since(session: Session, case: CaseInstance) -> datetime:
    at = session.scalar(
        select(AuditEvent.at)
        .where(AuditEvent.instance_id == case.id, AuditEvent.action == "suspended")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return at or clock.now()


def _put_off(session: Session, case: CaseInstance, days: int) -> Workflow:
    """Move the case deadline, its held timers and its suspended tasks' deadlines on by `days`
    working days, in the rows and in the workflow; returns the workflow to store."""
    spec, subprocess_specs = deployment.specs_of(case.definition)
    workflow = snapshot.load_state(case.state, spec, subprocess_specs)
    case.due_at = moved_by_working_days(case.due_at, days)
    case.clock_from = moved_by_working_days(case.clock_from, days)
    workflow_data.set_case_due(workflow, case.due_at.isoformat() if case.due_at else None)
    for timer in session.scalars(select(Timer).where(Timer.instance_id == case.id, Timer.state == TIMER_HELD)):
        timer.fire_at = moved_by_working_days(timer.fire_at, days)
        timer.armed_at = moved_by_working_days(timer.armed_at, days)
        workflow_data.set_timer_instant(workflow, timer.task_id, timer.fire_at.isoformat())
    for task in session.scalars(select(Task).where(Task.instance_id == case.id, Task.state == TASK_SUSPENDED)):
        task.due_at = moved_by_working_days(task.due_at, days)
        task.warn_at = moved_by_working_days(task.warn_at, days)
    return workflow
