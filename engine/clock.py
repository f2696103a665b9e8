"""The one clock of the engine.

Every piece of engine code asks `clock.now()`; nothing else reads the wall clock. Tests and
`timers run --now` move it with `clock.freeze(instant)` and give it back with `clock.thaw()`.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current instant, time-zone aware, in Asia/Shanghai."""
        if self._frozen is not None:
            return self._frozen
        return datetime.now(SHANGHAI)

    def freeze(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("the clock only takes time-zone aware instants")
        self._frozen = instant.astimezone(SHANGHAI)

    def thaw(self) -> None:
        self._frozen = None


clock = Clock()
