"""When a timer worker wakes: at the next due instant, or earlier when a step arms a timer due sooner.

A worker sweeps, asks `next_due` (the earliest waiting timer, retry of an incident or 容缺 promise to chase),
and sleeps until then, at most `MAX_SLEEP` seconds. On PostgreSQL it sleeps LISTENing on `CHANNEL`: the step
that arms or moves a timer due within `MAX_SLEEP` sends a NOTIFY in its own transaction (`announce`), which
PostgreSQL delivers at commit, so no worker sleeps past a timer armed after it planned. A timer armed further
ahead needs no NOTIFY: every worker plans again within `MAX_SLEEP`. SQLite has no NOTIFY: a worker there polls
each second (`POLL`). A diagram's first parse in a process takes most of a second, so a worker parses the
latest versions when it starts (`warm_up`) and, before each sleep, those of the timers it will soon advance
through their workflow (`prepare`): no firing waits for a parse.
"""

import logging
import time
from datetime import datetime, timedelta
from typing import Protocol

import psycopg
from sqlalchemy import Connection, Engine, func, or_, select, text
from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.cases.lifecycle import RUNNING, TIMER_WAITING
from engine.core.clock import clock
from engine.core.models import CaseInstance, ProcessDefinition, Promise, Timer
from engine.core.uow import unit_of_work

log = logging.getLogger("yibao.timers")

CHANNEL = "yibao_timers"
MAX_SLEEP = 30.0
"""Seconds a worker sleeps at most: the safety cap, and how far ahead an armed timer is announced."""
POLL = 1.0
"""Seconds between looks on SQLite, and between reconnection attempts on a lost PostgreSQL connection."""
BUSY_PAUSE = 0.2
"""Seconds to wait when a timer is due but the sweep fired nothing: another worker holds it, or it conflicted."""


def announce(connection: Connection, fire_at: datetime) -> None:
    """Tell sleeping workers, at the commit of this step, that a timer is due at `fire_at`, when that is sooner
    than they would look again anyway."""
    if connection.dialect.name == "postgresql" and fire_at <= clock.now() + timedelta(seconds=MAX_SLEEP):
        connection.execute(
            text("SELECT pg_notify(:channel, :instant)"), {"channel": CHANNEL, "instant": fire_at.isoformat()}
        )


def next_due(session: Session) -> datetime | None:
    """The earliest instant the sweep has work: a waiting timer's, an incident's retry, a promise's day passing."""
    with unit_of_work(session):
        candidates = (
            session.scalar(
                select(Timer.fire_at)
                .where(Timer.state == TIMER_WAITING, or_(Timer.retry_at.is_(None), Timer.retry_at < Timer.fire_at))
                .order_by(Timer.fire_at)
                .limit(1)
            ),
            session.scalar(
                select(func.min(Timer.retry_at)).where(
                    Timer.state == TIMER_WAITING, Timer.retry_at.is_not(None), Timer.retry_at >= Timer.fire_at
                )
            ),
            session.scalar(
                select(func.min(Promise.due_at))
                .join(CaseInstance, CaseInstance.id == Promise.instance_id)
                .where(Promise.state == "open", Promise.chased_at.is_(None), CaseInstance.status == RUNNING)
            ),
        )
    found = [instant for instant in candidates if instant is not None]
    return min(found) if found else None


def warm_up(session: Session) -> None:
    """Parse (once per process) the latest version of every diagram, of the base and of each region."""
    latest = select(func.max(ProcessDefinition.id)).group_by(ProcessDefinition.process_key, ProcessDefinition.region)
    with unit_of_work(session):
        for definition in session.scalars(select(ProcessDefinition).where(ProcessDefinition.id.in_(latest))):
            deployment.specs_of(definition)


def prepare(session: Session, seconds: float) -> None:
    """Parse (once per process) the diagrams of the cases whose non-marker timers are due within `seconds`."""
    soon = clock.now() + timedelta(seconds=seconds)
    with unit_of_work(session):
        definitions = session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.id.in_(
                    select(CaseInstance.definition_id)
                    .join(Timer, Timer.instance_id == CaseInstance.id)
                    .where(Timer.state == TIMER_WAITING, Timer.fire_at <= soon, Timer.marker.is_(False))
                )
            )
        ).all()
        for definition in definitions:
            deployment.specs_of(definition)


def pause(due: datetime | None, progressed: bool, cap: float) -> float:
    """Seconds to sleep before the next sweep: until `due`, at most `cap`; none when due and the last sweep did
    something (more may be due), a short pause when due and it did nothing (another worker has it)."""
    if due is None:
        return cap
    seconds = (due - clock.now()).total_seconds()
    if seconds <= 0:
        return 0.0 if progressed else BUSY_PAUSE
    return min(seconds, cap)


class Waker(Protocol):
    cap: float
    """The longest sleep this waker allows."""

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when woken early (an announcement, or a reconnection to plan again after)."""
        ...

    def close(self) -> None: ...


class Poller:
    """SQLite: no notifications, so a worker looks again each second."""

    cap = POLL

    def wait(self, seconds: float) -> bool:
        time.sleep(max(0.0, min(seconds, self.cap)))
        return False

    def close(self) -> None:
        pass


class Listener:
    """PostgreSQL: LISTEN on a connection of its own (autocommit, outside the pool), reconnecting when it is lost.

    It listens before the worker first plans, so an announcement made while the worker sweeps waits on the
    connection and wakes the next `wait` at once. Announcements made while the connection was down are not
    heard: after reconnecting, `wait` returns at once so the worker plans afresh."""

    def __init__(self, conninfo: str, cap: float = MAX_SLEEP) -> None:
        self.cap = cap
        self._conninfo = conninfo
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._connect()

    def _connect(self) -> bool:
        try:
            self._connection = psycopg.connect(self._conninfo, autocommit=True)
            self._connection.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            log.warning("timer wake-ups: cannot listen: %s", exc)
            self.close()
            return False
        return True

    def wait(self, seconds: float) -> bool:
        seconds = max(0.0, min(seconds, self.cap))
        if self._connection is None:
            if self._connect():
                return True
            time.sleep(min(seconds, POLL))
            return False
        try:
            woken = any(True for _ in self._connection.notifies(timeout=seconds, stop_after=1))
            if woken:
                for _ in self._connection.notifies(timeout=0):
                    pass  # several announcements wake a worker once
            return woken
        except psycopg.OperationalError as exc:
            log.warning("timer wake-ups: connection lost: %s", exc)
            self.close()
            return True

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def waker_for(bind: Engine, cap: float = MAX_SLEEP) -> Waker:
    """A Listener on PostgreSQL (on the same database as `bind`), a Poller elsewhere."""
    if bind.dialect.name != "postgresql":
        return Poller()
    return Listener(bind.url.set(drivername="postgresql").render_as_string(hide_password=False), cap)
