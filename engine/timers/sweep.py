"""The timer service: fire every due timer once, each in its own transaction.

Several workers may sweep one PostgreSQL database: a timer row is locked with SKIP LOCKED while
its case advances, and the case's version counter refuses a second advance of the same state.
A case that fails to advance is an incident on its timer, retried with back-off; it never stops
the sweep. A marker (`table.is_marker`, a 即将超期 whose path only ends) goes off from its row: its event is
recorded and the case's version moves on, but the workflow is neither loaded nor stored, which halves
the cost of the sweep per timer (`bench/timers.py`).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.cases import lifecycle, promises
from engine.cases.lifecycle import SUSPENDED, TIMER_CANCELLED, TIMER_HELD, TIMER_WAITING
from engine.cases.step import write_case, write_step
from engine.catalogue.flows import catalog
from engine.catalogue.items import Item
from engine.core.clock import clock
from engine.core.errors import Conflict, Unavailable
from engine.core.models import CaseInstance, Timer
from engine.core.uow import unit_of_work
from engine.timers.table import due_timers, fire_marker, is_cycle, mark_fired, record_incident
from engine.workflow import snapshot

log = logging.getLogger("yibao.timers")


@dataclass
class Sweep:
    fired: int = 0
    failed: int = 0
    chased: int = 0  # 容缺 promises whose day passed (催补)
    errors: list[str] = field(default_factory=list)


def sweep(session: Session, max_timers: int = 10_000) -> Sweep:
    """Chase the 容缺 promises due at `clock.now()`, then fire timers due until none is left (or `max_timers`
    were handled)."""
    result = Sweep(chased=promises.chase_due(session))
    failed_ids: set[int | None] = set()
    for _ in range(max_timers):
        timer_id: int | None = None  # None until a due timer is picked
        try:
            with unit_of_work(session):
                timers = [t for t in due_timers(session, 1 + len(failed_ids)) if t.id not in failed_ids]
                if not timers:
                    break
                timer_id = timers[0].id
                result.fired += fire(session, timers[0])
        except (Conflict, Unavailable) as exc:
            if timer_id is None:
                log.warning("sweep stopped: %s", exc)
                break
            failed_ids.add(timer_id)  # its case moved meanwhile: the next sweep sees it afresh
        except Exception as exc:
            if timer_id is None:
                raise  # no timer was picked: the sweep itself failed, there is no case to blame
            log.warning("timer %s: incident: %s: %s", timer_id, type(exc).__name__, exc)
            with unit_of_work(session):
                record_incident(session, timer_id, exc)
            failed_ids.add(timer_id)
            result.failed += 1
            result.errors.append(f"timer {timer_id}: {type(exc).__name__}: {exc}")
    if result.fired or result.failed:
        log.info("sweep at %s: %d fired, %d failed", clock.now().isoformat(), result.fired, result.failed)
    return result


def fire(session: Session, timer: Timer) -> int:
    """Let the timer go off, inside the caller's unit of work: from its row when it is a marker, else by
    advancing its case (`advance`); returns how many timers went off."""
    case = timer.instance
    if not lifecycle.allows(case, "fire_timer"):
        timer.state = TIMER_HELD if case.status == SUSPENDED else TIMER_CANCELLED
        return 0
    if timer.marker:
        fire_marker(session, case, timer)
        write_case(session, case)  # the version guard: a step of the case meanwhile makes this a conflict
        return 1
    return advance(session, case, timer)


def advance(session: Session, case: CaseInstance, timer: Timer) -> int:
    """Advance the running case past the timer through its workflow.

    The sweep decides that the timer is due (by the engine clock, at or after its instant) and
    tells SpiffWorkflow so, rather than letting it compare with its own idea of now. Other timers
    of the case due by then go off in the same step; returns how many went off.
    """
    spec, subprocess_specs = deployment.specs_of(case.definition)
    workflow = snapshot.load_state(case.state, spec, subprocess_specs)
    task = workflow.get_task_from_id(UUID(timer.task_id))
    if task is None or task.state != TaskState.WAITING:
        timer.state = TIMER_CANCELLED
        return 0
    due_with_it = (
        session.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.instance_id == case.id, Timer.state == TIMER_WAITING, Timer.fire_at <= clock.now())
        )
        or 0
    )
    before = task.internal_data.get("event_value")
    if is_cycle(task):
        task.internal_data["event_value"] = _due_now(before)  # the sweep, not SpiffWorkflow's now, decides
    else:
        task._set_internal_data(event_fired=True)
    workflow.refresh_timers()
    workflow.do_engine_steps()
    if task.state == TaskState.WAITING and not (is_cycle(task) and task.internal_data.get("event_value") != before):
        raise RuntimeError(f"定时器“{timer.title}”未能触发")
    mark_fired(session, case, timer)
    write_step(session, case, _item_of(case), workflow)
    return due_with_it


def _due_now(cycle: dict[str, Any]) -> dict[str, Any]:
    """A cycle whose next repetition is at latest now, so that SpiffWorkflow fires it (it compares strictly)."""
    due = min(datetime.fromisoformat(cycle["next"]), clock.now() - timedelta(microseconds=1))
    return {**cycle, "next": due.isoformat()}


def _item_of(case: CaseInstance) -> Item | None:
    try:
        return catalog().get(case.item_id)
    except KeyError:
        return None
