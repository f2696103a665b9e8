"""Deadlines as pages show them: the last allowed day beside the engine's one status rule.

Whether a limit is 即将超期 or 已超期 is decided only by `engine.deadlines.deadline_status`;
this module adds the calendar day a clerk reads (the day before the instant the limit expires).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine import workcalendar
from engine.cases import deadlines


@dataclass(frozen=True)
class Deadline:
    due_date: date | None
    status: deadlines.DeadlineStatus

    @property
    def overdue(self) -> bool:
        return self.status.state == deadlines.OVERDUE

    @property
    def warning(self) -> bool:
        return self.status.state == deadlines.WARNING

    @property
    def working_days_left(self) -> int | None:
        return self.status.working_days_left

    @property
    def label(self) -> str:
        return self.status.label


def deadline_of(due_at: datetime | None, warn_at: datetime | None = None) -> Deadline:
    """A task passes its own `warn_at`; a case has none, so the engine's default warning applies."""
    last_day = workcalendar.shanghai_date(due_at - timedelta(microseconds=1)) if due_at else None
    return Deadline(last_day, deadlines.deadline_status(due_at, warn_at))
