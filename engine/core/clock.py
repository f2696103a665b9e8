"""The one clock of the engine.

Every piece of engine code asks `clock.now()`; nothing else reads the wall clock. Tests and
`timers run --now` move it with `clock.freeze(instant)` and give it back with `clock.thaw()`;
`with clock.at(instant):` moves it for the current thread only (e.g. to re-evaluate a timer as of
the moment it was armed).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_local_instant: ContextVar[datetime | None] = ContextVar("clock_instant", default=None)


class Clock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current instant, time-zone aware, in Asia/Shanghai."""
        local = _local_instant.get()
        if local is not None:
            return local
        if self._frozen is not None:
            return self._frozen
        return datetime.now(SHANGHAI)

    def freeze(self, instant: datetime) -> None:
        self._frozen = _aware(instant)

    def thaw(self) -> None:
        self._frozen = None

    @contextmanager
    def at(self, instant: datetime) -> Iterator[None]:
        token = _local_instant.set(_aware(instant))
        try:
            yield
        finally:
            _local_instant.reset(token)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("the clock only takes time-zone aware instants")
    return instant.astimezone(SHANGHAI)


clock = Clock()
