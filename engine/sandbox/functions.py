"""What BPMN expressions and scripts may call, and the sandboxed script engine that runs them.

Timer expressions are evaluated once, when the timer is armed (for a boundary timer: when its
task starts), so `now()` in a timer means "when this task started". All instants are ISO 8601
strings with +08:00, the form SpiffWorkflow timers take. For example, on a 初审 task:

    超期      stage_due(limits["township_review"], case_due)
    即将超期  working_days_before(stage_due(limits["township_review"], case_due), warn_days)
    通报      working_days_overdue(stage_due(limits["township_review"], case_due), 5)
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine

from engine import workcalendar
from engine.core.clock import clock
from engine.sandbox.restricted import make_script_engine

NO_DEADLINE = "9999-12-31T00:00:00+08:00"


def now() -> str:
    """The engine clock's current instant."""
    return clock.now().isoformat()


def working_days_after(start: date | datetime | str, n: int) -> str:
    """When a limit of n working days counted from the day after `start` expires (24:00 of the n-th)."""
    return workcalendar.working_days_after(start, n)


def working_days_before(instant: datetime | str, n: int) -> str:
    """00:00 of the day n working days before the day of `instant` (e.g. two days before expiry)."""
    if instant == NO_DEADLINE:
        return NO_DEADLINE
    day = workcalendar.shanghai_date(_instant(instant))
    earlier = workcalendar.default_calendar().add_working_days(day, -n)
    return datetime.combine(earlier, datetime.min.time(), workcalendar.SHANGHAI).isoformat()


def working_days_overdue(deadline: datetime | str, n: int) -> str:
    """When a task due at `deadline` (an expiry instant) has been overdue for n working days."""
    if deadline == NO_DEADLINE:
        return NO_DEADLINE
    last_allowed_day = workcalendar.shanghai_date(_instant(deadline) - timedelta(microseconds=1))
    return working_days_after(last_allowed_day, n)


def stage_due(limit_days: int | None, case_due: str | None = None) -> str:
    """A stage's limit counted from now, never later than the whole case's deadline.

    An item whose list sets neither (永州's lists give no time limits) has no deadline: the
    timer is armed at `NO_DEADLINE` and never fires.
    """
    if limit_days is None:
        return case_due or NO_DEADLINE
    due = working_days_after(clock.now(), limit_days)
    if case_due and _instant(case_due) < _instant(due):
        return _instant(case_due).isoformat()
    return due


def _instant(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def expression_functions() -> dict[str, Callable[..., str]]:
    """Domain functions offered to diagrams: the working-day calendar and the clock."""
    _warm_calendar()
    return {
        "now": now,
        "working_days_after": working_days_after,
        "working_days_before": working_days_before,
        "working_days_overdue": working_days_overdue,
        "stage_due": stage_due,
    }


def sample_task_data() -> dict[str, object]:
    """Stand-in task data to test-evaluate timer expressions when a diagram is deployed."""
    return {
        "limits": _AnyLimit(),
        "case_due": None,
        "warn_days": 2,
        "accepted_on": clock.now().date().isoformat(),
    }


class _AnyLimit(dict[str, int]):
    """Any stage name has a limit at deploy time; the real limits come from the item."""

    def __missing__(self, key: str) -> int:
        return 5

    def get(self, key: str, default: object = None) -> int:
        return self[key]


def _warm_calendar() -> None:
    """Read the holiday data and classify the years deadlines fall in now, outside any script's time budget."""
    calendar = workcalendar.default_calendar()
    this_year = clock.now().year
    for year in range(this_year - 1, this_year + 3):
        calendar.working_days_in(year)


@cache
def script_engine() -> PythonScriptEngine:
    return make_script_engine(expression_functions())
