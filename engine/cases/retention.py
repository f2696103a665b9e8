"""What an ended case (concluded, not accepted, terminated) keeps in the database, so that years of cases stay small.

It keeps its history, task rows, records (移交, 出件, 委托, claims), fired timers and a slimmed workflow state
(`engine.workflow.snapshot.slimmed`: the task tree the case diagram marks, without data). It drops the rows of
its cancelled timers: each stage's boundary timers are cancelled as the stage ends, nothing reads them once the
case is over (the timer listing, 待补正 and the sweep read waiting ones), and they were most of its timer rows.
"""

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine.cases import lifecycle
from engine.core.models import CaseInstance, Timer


def is_slim(case: CaseInstance) -> bool:
    """Whether the case's workflow state is stored slimmed: once the case has ended."""
    return case.status in lifecycle.ENDED


def drop_cancelled_timers(session: Session, case: CaseInstance) -> None:
    """Delete the ended case's cancelled timer rows (and the session's objects of them, "evaluate")."""
    session.execute(
        delete(Timer)
        .where(Timer.instance_id == case.id, Timer.state == lifecycle.TIMER_CANCELLED)
        .execution_options(synchronize_session="evaluate")
    )
