"""What an administrator may do to a running case: suspend, resume, terminate, retry a failed step.

Each function is one unit of work (commits on success) and records the action in the case history.
A suspended case keeps its open tasks with the state `suspended`: they leave every inbox and cannot
be claimed or completed until the case is resumed. Terminating cancels every task still waiting.
"""

import traceback

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.cases import history
from engine.cases.acceptance import RUNNING, STATUS_LABELS, save_progress
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.errors import Conflict, Invalid, NotFound, StepFailed
from engine.core.models import CaseInstance, Task, User
from engine.org.permissions import ensure_admin
from engine.tasks.projection import CANCELLED, OPEN
from engine.workflow import snapshot

SUSPENDED = "suspended"
TERMINATED = "terminated"
CASE_STATUS_LABELS = STATUS_LABELS | {SUSPENDED: "已挂起", TERMINATED: "已终止"}
ACTION_LABELS = {"suspended": "挂起", "resumed": "恢复", "terminated": "终止", "retried": "重试"}


def suspend(session: Session, user: User, case_id: int, reason: str = "") -> CaseInstance:
    case = _case_in(session, user, case_id, {RUNNING}, "只有办理中的办件可以挂起")
    _move_tasks(session, case, OPEN, SUSPENDED)
    case.status = SUSPENDED
    history.record(session, case, "suspended", user, detail={"reason": reason.strip()})
    session.commit()
    return case


def resume(session: Session, user: User, case_id: int) -> CaseInstance:
    case = _case_in(session, user, case_id, {SUSPENDED}, "只有已挂起的办件可以恢复")
    _move_tasks(session, case, SUSPENDED, OPEN)
    case.status = RUNNING
    history.record(session, case, "resumed", user)
    session.commit()
    return case


def terminate(session: Session, user: User, case_id: int, reason: str) -> CaseInstance:
    """End a case for good; the reason is mandatory since the applicant must be told why."""
    if not (reason or "").strip():
        raise Invalid("终止办件必须填写原因", {"reason": ["请填写终止原因"]})
    case = _case_in(session, user, case_id, {RUNNING, SUSPENDED}, "已办结或已终止的办件不能终止")
    now = clock.now()
    for task in _tasks(session, case, (OPEN, SUSPENDED)):
        task.state = CANCELLED
        task.completed_at = now
    case.status = TERMINATED
    case.completed_at = now
    history.record(session, case, "terminated", user, detail={"reason": reason.strip()})
    session.commit()
    return case


def retry(session: Session, user: User, case_id: int) -> CaseInstance:
    """Run the engine steps of a case that stopped on an error again, from its stored state.

    A script or timer step that raised left the workflow at its last good state (with `last_error`
    set); once the cause is fixed (a redeployed rule, loaded holidays) this carries the flow on.
    A failing retry keeps the state and records the new error.
    """
    case = _case_in(session, user, case_id, {RUNNING}, "只有办理中的办件可以重试")
    if not case.last_error:
        raise Conflict("该办件没有出错的环节，无需重试")
    item = catalog().get(case.item_id)
    try:
        spec, subprocess_specs = deployment.specs_of(case.definition)
        workflow = snapshot.load_state(case.state, spec, subprocess_specs)
        workflow.refresh_timers()
        workflow.do_engine_steps()
    except Exception as exc:
        session.rollback()
        message = f"{type(exc).__name__}: {exc}"
        case = session.get(CaseInstance, case_id)
        case.last_error = message
        history.record(session, case, "error", user, detail={"error": message, "trace": traceback.format_exc(limit=5)})
        session.commit()
        raise StepFailed("重试仍然出错，办件停留在当前环节") from exc
    case.last_error = None
    history.record(session, case, "retried", user)
    save_progress(session, case, item, workflow)
    session.commit()
    return case


def _case_in(session: Session, user: User, case_id: int, statuses: set[str], refusal: str) -> CaseInstance:
    ensure_admin(user)
    case = session.get(CaseInstance, case_id)
    if case is None:
        raise NotFound("办件不存在")
    if case.status not in statuses:
        raise Conflict(f"{refusal}（当前状态：{CASE_STATUS_LABELS.get(case.status, case.status)}）")
    return case


def _tasks(session: Session, case: CaseInstance, states: tuple[str, ...]) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.instance_id == case.id, Task.state.in_(states))))


def _move_tasks(session: Session, case: CaseInstance, from_state: str, to_state: str) -> None:
    for task in _tasks(session, case, (from_state,)):
        task.state = to_state
