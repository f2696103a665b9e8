"""How close a task is to its limit, for the inbox badges (即将超期 / 已超期).

Until the engine offers one deadline-status function, this reads `due_at` (midnight after the last
working day) against the working-day calendar; the warning window is issue 4's default of 2 working days.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine import workcalendar
from engine.clock import clock

WARNING_WORKING_DAYS = 2


@dataclass(frozen=True)
class DeadlineStatus:
    due_date: date | None
    working_days_left: int | None
    overdue: bool
    warning: bool

    @property
    def label(self) -> str:
        if self.overdue:
            return "已超期"
        if self.warning:
            return "即将超期"
        return ""


def deadline_status(due_at: datetime | None) -> DeadlineStatus:
    if due_at is None:
        return DeadlineStatus(None, None, False, False)
    now = clock.now()
    last_day = (due_at - timedelta(microseconds=1)).date()
    left = workcalendar.default_calendar().working_days_between(now.date(), last_day)
    overdue = now >= due_at
    return DeadlineStatus(last_day, left, overdue, not overdue and left < WARNING_WORKING_DAYS)
