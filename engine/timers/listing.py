"""The timer listing administrators watch: what is waiting to fire and which timers failed to advance their case.

An administrator lists the timers of the cases of their scope (`engine.org.permissions.cases_in_scope`).
"""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine.cases.lifecycle import TIMER_WAITING
from engine.core.models import CaseInstance, Timer
from engine.org.permissions import Actor, cases_in_scope, ensure_admin, is_system_level

MAX_LISTED = 1000


def waiting_timers(session: Session, actor: Actor, incidents_only: bool = False, limit: int = 100) -> Sequence[Timer]:
    """Waiting timers of the cases of the actor's scope, earliest first; an incident is one whose firing failed and
    waits for its retry."""
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
    if not is_system_level(actor):
        statement = statement.where(Timer.instance_id.in_(select(CaseInstance.id).where(cases_in_scope(actor))))
    return session.scalars(statement).all()
