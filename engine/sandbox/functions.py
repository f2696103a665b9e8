"""What BPMN expressions and scripts may call, and the sandboxed script engine that runs them.

Timer expressions are evaluated once, when the timer is armed (for a boundary timer: when its
task starts), so `now()` in a timer means "when this task started". All instants are ISO 8601
strings with +08:00, the form SpiffWorkflow timers take. For example, on a 初审 task:

    超期      stage_due(limits["township_review"], case_due)
    即将超期  working_days_before(stage_due(limits["township_review"], case_due), warn_days)
    通报      working_days_overdue(stage_due(limits["township_review"], case_due), 5)

They run in the server's process (an expression in the sandbox worker calls them back there), so
each bounds its own cost: a count of working days is a whole number from 0 to MAX_WORKING_DAYS
(366, about a year and a half of working days), and the calendar itself refuses a date outside the years it covers.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine

from engine import workcalendar
from engine.catalogue.deferrable import Period, period_end
from engine.core.clock import clock
from engine.sandbox.cron import cron_cycle
from engine.sandbox.limits import MAX_WORKING_DAYS, ScriptTooExpensive
from engine.sandbox.restricted import make_script_engine

NO_DEADLINE = "9999-12-31T00:00:00+08:00"


def now() -> str:
    """The engine clock's current instant."""
    return clock.now().isoformat()


def working_days_after(start: date | datetime | str, n: int) -> str:
    """When a limit of n working days counted from the day after `start` expires (24:00 of the n-th)."""
    return workcalendar.working_days_after(start, _working_days("working_days_after", n))


def working_days_before(instant: datetime | str, n: int) -> str:
    """00:00 of the day n working days before the day of `instant` (e.g. two days before expiry)."""
    if instant == NO_DEADLINE:
        return NO_DEADLINE
    n = _working_days("working_days_before", n)
    day = workcalendar.shanghai_date(_instant(instant))
    earlier = workcalendar.default_calendar().add_working_days(day, -n)
    return datetime.combine(earlier, datetime.min.time(), workcalendar.SHANGHAI).isoformat()


def working_days_overdue(deadline: datetime | str, n: int) -> str:
    """When a task due at `deadline` (an expiry instant) has been overdue for n working days."""
    if deadline == NO_DEADLINE:
        return NO_DEADLINE
    n = _working_days("working_days_overdue", n)
    last_allowed_day = workcalendar.shanghai_date(_instant(deadline) - timedelta(microseconds=1))
    return working_days_after(last_allowed_day, n)


def stage_due(limit_days: int | None, case_due: str | None = None) -> str:
    """A stage's limit counted from now, never later than the whole case's deadline.

    An item whose list sets neither (永州's lists give no time limits) has no deadline: the
    timer is armed at `NO_DEADLINE` and never fires.
    """
    if limit_days is None:
        return case_due or NO_DEADLINE
    due = workcalendar.working_days_after(clock.now(), _working_days("stage_due", limit_days))
    if case_due and _instant(case_due) < _instant(due):
        return _instant(case_due).isoformat()
    return due


def supplement_due(supplement: dict[str, object], deadline_days: int | None = None) -> str:
    """When the 补正 period told now runs out: the item's period (`supplement` in the case data), or the shorter
    one the 一次性告知 stated (`deadline_days`, in the same kind of days)."""
    days = supplement.get("days")
    if not isinstance(days, int) or isinstance(days, bool):
        raise TypeError("supplement_due 需要事项的补正期限（supplement.days）")
    if deadline_days is not None:
        days = min(days, _working_days("supplement_due", deadline_days))
    return period_end(
        clock.now(), Period(_working_days("supplement_due", days), str(supplement.get("calendar")))
    ).isoformat()


def _working_days(function: str, n: object) -> int:
    """`n` if it is a count of working days a diagram may ask for."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{function} 的工作日天数必须是整数，实际是 {type(n).__name__}")
    if not 0 <= n <= MAX_WORKING_DAYS:
        shown = n if n.bit_length() <= 64 else "一个过大的数"
        raise ScriptTooExpensive(
            f"{function} 的工作日天数须在 0 到 {MAX_WORKING_DAYS} 之间，实际是 {shown}",
            f"{function} takes 0 to {MAX_WORKING_DAYS} working days",
        )
    return n


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
        "supplement_due": supplement_due,
        "cron_cycle": cron_cycle,
    }


def sample_task_data() -> dict[str, object]:
    """Stand-in task data to test-evaluate timer expressions when a diagram is deployed."""
    return {
        "limits": _AnyLimit(),
        "params": _AnyLimit(),
        "case_due": None,
        "warn_days": 2,
        "accepted_on": clock.now().date().isoformat(),
        "supplement": {"days": 30, "calendar": "natural"},
        "deadline_days": None,
    }


class _AnyLimit(dict[str, int]):
    """Any stage name (or flow parameter) has a figure at deploy time; the real ones come from the item."""

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
