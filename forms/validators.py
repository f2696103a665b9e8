"""Marshmallow validators that speak to clerks in 简体中文."""

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, validate

SHANGHAI = ZoneInfo("Asia/Shanghai")
_checked_on: ContextVar[dt.date | None] = ContextVar("forms_checked_on", default=None)


def _wall_clock_day() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


_default_today: Callable[[], dt.date] = _wall_clock_day


def today_in_china() -> dt.date:
    """The clerk's calendar day (Asia/Shanghai) a form is checked on.

    The `today` given to `forms.registry.clean` (or `on_day`); without one, the day of the clock the
    application named with `today_from` (the engine's, so a frozen clock holds here too), else the wall clock's.
    """
    day = _checked_on.get()
    return day if day is not None else _default_today()


@contextmanager
def on_day(day: dt.date) -> Iterator[None]:
    """Check forms as of `day` (the current thread and task only)."""
    token = _checked_on.set(day)
    try:
        yield
    finally:
        _checked_on.reset(token)


def today_from(provider: Callable[[], dt.date] | None) -> None:
    """The clerk's day when a caller of `clean` gives none (None: the wall clock in Asia/Shanghai)."""
    global _default_today
    _default_today = provider or _wall_clock_day


class TextLength(validate.Length):
    """Length of a text, counted in characters."""

    message_min = "不能少于 {min} 个字"
    message_max = "不能超过 {max} 个字"
    message_all = "应为 {min} 至 {max} 个字"
    message_equal = "应为 {equal} 个字"


class ItemCount(validate.Length):
    """Number of entries in a list."""

    message_min = "至少填写 {min} 项"
    message_max = "最多填写 {max} 项"
    message_all = "应填写 {min} 至 {max} 项"
    message_equal = "应填写 {equal} 项"


class Between(validate.Range):
    """Bounds of a whole number such as a count of copies or days."""

    message_min = "应{min_op} {{min}}"
    message_max = "应{max_op} {{max}}"
    message_all = "应{min_op} {{min}} 且{max_op} {{max}}"

    message_gte = "不小于"
    message_gt = "大于"
    message_lte = "不大于"
    message_lt = "小于"


class OneOf(validate.OneOf):
    """A value from a fixed list; the message lists the labels a clerk sees."""

    default_message = "请从以下选项中选择：{labels}"

    def __init__(self, choices, labels=None, *, error=None):
        super().__init__(choices, labels, error=error)
        self.labels_text = "、".join(str(label) for label in self.labels)


def not_in_future(day: dt.date) -> None:
    """Refuse dates after today: visits, invoices and payments have already happened."""
    if day > today_in_china():
        raise ValidationError("日期不能晚于今天")
