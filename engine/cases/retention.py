"""What an ended case (concluded, not accepted, terminated) keeps in the database, so that years of cases stay small.

It keeps its history, task rows, records (移交, 出件, 委托, claims), fired timers and, instead of its workflow, what
its diagram draws (`engine.workflow.snapshot.dump_ended`: the steps done and the flows taken). It drops the rows of
its cancelled timers: each stage's boundary timers are cancelled as the stage ends, nothing reads them once the
case is over (the timer listing, 待补正 and the sweep read waiting ones), and they were most of its timer rows.
"""

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine.cases import lifecycle
from engine.core.models import CaseInstance, Timer


def is_slim(case: CaseInstance) -> bool:
    """Whether the case keeps only what its diagram draws instead of its workflow: once it has ended."""
    return case.status in lifecycle.ENDED


def drop_cancelled_timers(session: Session, case: CaseInstance) -> None:
    """Delete the ended case's cancelled timer rows (and the session's objects of them, "evaluate")."""
    session.execute(
        delete(Timer)
        .where(Timer.instance_id == case.id, Timer.state == lifecycle.TIMER_CANCELLED)
        .execution_options(synchronize_session="evaluate")
    )
