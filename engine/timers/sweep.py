"""The timer service: fire every due timer once, each in its own transaction.

Several workers may sweep one PostgreSQL database: a timer row is locked with SKIP LOCKED while
its case advances, and the case's version counter refuses a second advance of the same state.
A case that fails to advance is an incident on its timer, retried with back-off; it never stops
the sweep.
"""

from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.bpmn import deployment
from engine.cases.acceptance import save_progress
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.models import Timer
from engine.timers.table import CANCELLED, WAITING, due_timers, mark_fired, record_incident
from engine.workflow import snapshot


@dataclass
class Sweep:
    fired: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def sweep(session: Session, max_timers: int = 10_000) -> Sweep:
    """Fire timers due at `clock.now()` until none is left (or `max_timers` were handled)."""
    result = Sweep()
    failed_ids: set[int] = set()
    for _ in range(max_timers):
        timers = [t for t in due_timers(session, 1 + len(failed_ids)) if t.id not in failed_ids]
        if not timers:
            session.rollback()
            break
        timer = timers[0]
        timer_id = timer.id
        try:
            went_off = fire(session, timer)
            session.commit()
            result.fired += went_off
        except (StaleDataError, OperationalError):
            session.rollback()
            failed_ids.add(timer_id)
        except Exception as exc:
            session.rollback()
            record_incident(session, timer_id, exc)
            session.commit()
            failed_ids.add(timer_id)
            result.failed += 1
            result.errors.append(f"timer {timer_id}: {type(exc).__name__}: {exc}")
    return result


def fire(session: Session, timer) -> int:
    """Advance the timer's case past the timer; the caller commits.

    The sweep decides that the timer is due (by the engine clock, at or after its instant) and
    tells SpiffWorkflow so, rather than letting it compare with its own idea of now. Other timers
    of the case due by then go off in the same step; returns how many went off.
    """
    case = timer.instance
    spec, subprocess_specs = deployment.specs_of(case.definition)
    workflow = snapshot.load_state(case.state, spec, subprocess_specs)
    task = workflow.get_task_from_id(UUID(timer.task_id))
    if task is None or task.state != TaskState.WAITING:
        timer.state = CANCELLED
        return 0
    due_with_it = session.scalar(
        select(func.count())
        .select_from(Timer)
        .where(Timer.instance_id == case.id, Timer.state == WAITING, Timer.fire_at <= clock.now())
    )
    task._set_internal_data(event_fired=True)
    workflow.refresh_timers()
    workflow.do_engine_steps()
    if task.state == TaskState.WAITING:
        raise RuntimeError(f"定时器“{timer.title}”未能触发")
    mark_fired(session, case, timer)
    save_progress(session, case, _item_of(case), workflow)
    return due_with_it


def _item_of(case):
    try:
        return catalog().get(case.item_id)
    except KeyError:
        return None
