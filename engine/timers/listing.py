"""The timer listing administrators watch: what is waiting to fire and which timers failed to advance their case."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine.cases.lifecycle import TIMER_WAITING
from engine.core.models import Timer
from engine.org.permissions import Actor, ensure_admin

MAX_LISTED = 1000


def waiting_timers(session: Session, actor: Actor, incidents_only: bool = False, limit: int = 100) -> Sequence[Timer]:
    """Waiting timers, earliest first; an incident is one whose firing failed and waits for its retry."""
    ensure_admin(actor)
    statement = (
        select(Timer)
        .options(joinedload(Timer.instance))
        .where(Timer.state == TIMER_WAITING)
        .order_by(Timer.fire_at, Timer.id)
        .limit(min(limit, MAX_LISTED))
    )
    if incidents_only:
        statement = statement.where(Timer.attempts > 0)
    return session.scalars(statement).all()
