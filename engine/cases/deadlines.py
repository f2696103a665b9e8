"""Deadlines seen by people: how much time a task has left, and the clock rules of 补正.

The instants themselves come from the diagrams' timers and the working-day calendar; this module
only reads them (`deadline_status`) and applies the clock rule a task declares with its spiff
property `clock`: `pause` (一次性告知 issued: the case clock stops while the applicant supplements)
or `restart` (补正 received: the whole limit is counted afresh from the next day).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, overload

from sqlalchemy.orm import Session

from engine import workcalendar
from engine.cases import history
from engine.catalogue.items import Item
from engine.core.clock import clock
from engine.core.models import CaseInstance
from engine.core.typing import TaskSpec
from engine.org.routing import level_of

DEFAULT_WARN_DAYS = 2
NORMAL, WARNING, OVERDUE = "normal", "warning", "overdue"
LABELS = {NORMAL: "", WARNING: "即将超期", OVERDUE: "已超期"}


@dataclass(frozen=True)
class DeadlineStatus:
    """How a limit stands now; `due_date` is the last allowed day a clerk reads (the instant's eve)."""

    state: str
    working_days_left: int | None
    due_date: date | None = None

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def overdue(self) -> bool:
        return self.state == OVERDUE

    @property
    def warning(self) -> bool:
        return self.state == WARNING


def deadline_status(due_at: datetime | None, warn_at: datetime | None, now: datetime | None = None) -> DeadlineStatus:
    """即将超期 from the warning instant (or two working days before), 已超期 from the due instant.

    `working_days_left` counts today when it is a working day; once overdue it is minus the
    working days since the last allowed day.
    """
    if due_at is None:
        return DeadlineStatus(NORMAL, None)
    now = now or clock.now()
    cal = workcalendar.default_calendar()
    today = workcalendar.shanghai_date(now)
    last_day = workcalendar.shanghai_date(due_at - timedelta(microseconds=1))
    if now >= due_at:
        return DeadlineStatus(OVERDUE, -cal.working_days_between(last_day, today), last_day)
    left = cal.working_days_between(today, last_day) + (1 if cal.day(today).working else 0)
    warned = now >= warn_at if warn_at is not None else left <= DEFAULT_WARN_DAYS
    return DeadlineStatus(WARNING if warned else NORMAL, left, last_day)


def provisional_between(start: datetime, due_at: datetime | None) -> bool:
    """暂定: a limit counted through a year whose holiday notice is not loaded yet (the statutory rule's
    days stand in for it, so the date may move once the State Council publishes the notice)."""
    if due_at is None:
        return False
    cal = workcalendar.default_calendar()
    first, last = workcalendar.shanghai_date(start).year, workcalendar.shanghai_date(due_at).year
    return any(cal.is_provisional_year(year) for year in range(first, last + 1))


def clock_rule(task_spec: TaskSpec) -> str | None:
    rule: str | None = getattr(task_spec, "extensions", {}).get("properties", {}).get("clock")
    return rule


def apply_clock_rule(
    session: Session, case: CaseInstance, item: Item | None, task_spec: TaskSpec, data: dict[str, Any]
) -> None:
    """Stop or restart the case clock as the completed task declares; `data` flows on to the diagram."""
    rule = clock_rule(task_spec)
    if rule == "pause":
        history.record(session, case, "clock_paused", detail={"due_at": _iso(case.due_at)})
        case.due_at = None
        data["case_due"] = None
    elif rule == "restart" and item is not None:
        limit = item.limit_at(level_of(case.org))
        if limit is None:
            return
        due = workcalendar.default_calendar().due(clock.now(), limit)
        history.record(
            session,
            case,
            "clock_restarted",
            detail={"due_at": due.due_at.isoformat(), "limit_days": limit, "provisional": due.provisional},
        )
        case.due_at = due.due_at
        case.clock_from = clock.now()
        case.limit_days = limit
        data["case_due"] = due.due_at.isoformat()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def working_days_suspended(suspended_at: datetime, resumed_at: datetime) -> int:
    """Working days a suspension took from the case clock: those after the day it was suspended,
    up to and including the day it was resumed (the clock stops for the whole of them)."""
    cal = workcalendar.default_calendar()
    return max(
        0, cal.working_days_between(workcalendar.shanghai_date(suspended_at), workcalendar.shanghai_date(resumed_at))
    )


@overload
def moved_by_working_days(instant: datetime, days: int) -> datetime: ...
@overload
def moved_by_working_days(instant: None, days: int) -> None: ...
@overload
def moved_by_working_days(instant: datetime | None, days: int) -> datetime | None: ...
def moved_by_working_days(instant: datetime | None, days: int) -> datetime | None:
    """A pending instant put off by `days` working days: the last day it allows moves on that many
    working days, the time of day stays (a deadline at 24:00 stays at 24:00)."""
    if instant is None or days == 0:
        return instant
    cal = workcalendar.default_calendar()
    last_day = workcalendar.shanghai_date(instant - timedelta(microseconds=1))
    return instant + (cal.add_working_days(last_day, days) - last_day)
