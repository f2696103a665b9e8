"""Quartz cron timers (Activiti/Flowable `timeCycle` such as `0 0 9 * * ?`) as the repeating intervals SpiffWorkflow
runs: `R/<next occurrence>/<period>`.

SpiffWorkflow repeats a cycle at a fixed period from its first instant, so only the crons that fire at a fixed period
can be kept: every N seconds, minutes or hours (N dividing the minute, hour or day), every day at a time, and every
week on one weekday at a time. `period_of` says which a cron is (the converter refuses the others with the reason);
`cron_cycle`, offered to diagrams, computes the cycle from the engine clock when the timer is armed.
"""

import re
from datetime import timedelta

from engine.core.clock import SHANGHAI, clock

WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}  # Quartz numbers them 1-7
_NUMBER = re.compile(r"\d{1,2}")
_STEP = re.compile(r"(?:0|\*)/(\d{1,2})")
_ANY = {"*", "?"}


class CronRefused(ValueError):
    """A cron this product cannot run as a fixed-period cycle; the message says why, in Chinese."""


def _fields(expression: str) -> list[str]:
    parts = expression.upper().split()
    if len(parts) == 7 and parts[6] in _ANY:
        parts = parts[:6]
    if len(parts) != 6:
        raise CronRefused(f"“{expression}”不是 Quartz cron（秒 分 时 日 月 周，6 或 7 段）")
    return parts


def _number(text: str, top: int, what: str) -> int:
    if not _NUMBER.fullmatch(text) or int(text) > top:
        raise CronRefused(f"{what}“{text}”须为 0 至 {top} 的一个数")
    return int(text)


def _step(text: str, whole: int, what: str) -> int | None:
    found = _STEP.fullmatch(text)
    if found is None:
        return None
    step = int(found.group(1))
    if step == 0 or whole % step:
        raise CronRefused(f"每 {step} {what}不能整除，不是固定间隔")
    return step


def _plan(expression: str) -> tuple[timedelta, int, int, int, int | None, timedelta]:
    """(period, second, minute, hour, weekday or None, alignment step) of a fixed-period cron."""
    second, minute, hour, day, month, weekday = _fields(expression)
    if day not in _ANY or month != "*":
        raise CronRefused(f"“{expression}”按日期或月份触发，不是固定间隔，平台无法按周期运行")
    if (step := _step(second, 60, "秒")) is not None and {minute, hour} <= _ANY and weekday in _ANY:
        return timedelta(seconds=step), 0, 0, 0, None, timedelta(seconds=step)
    sec = _number(second, 59, "秒")
    if (step := _step(minute, 60, "分钟")) is not None and hour in _ANY and weekday in _ANY:
        return timedelta(minutes=step), sec, 0, 0, None, timedelta(minutes=step)
    mins = _number(minute, 59, "分")
    if (step := _step(hour, 24, "小时")) is not None and weekday in _ANY:
        return timedelta(hours=step), sec, mins, 0, None, timedelta(hours=step)
    if hour == "*" and weekday in _ANY:
        return timedelta(hours=1), sec, mins, 0, None, timedelta(hours=1)
    hours = _number(hour, 23, "时")
    if weekday in _ANY:
        return timedelta(days=1), sec, mins, hours, None, timedelta(days=1)
    day_number = WEEKDAYS.get(weekday) or (_number(weekday, 7, "星期") if weekday.isdigit() else None)
    if not day_number:
        raise CronRefused(f"星期“{weekday}”须为一天（如 MON 或 2），不是固定间隔")
    return timedelta(days=7), sec, mins, hours, day_number, timedelta(days=7)


def period_of(expression: str) -> timedelta:
    """The fixed period of a cron; CronRefused when it has none."""
    return _plan(expression)[0]


def cron_cycle(expression: str) -> str:
    """The repeating interval of a fixed-period cron, from its next occurrence after now (Asia/Shanghai)."""
    period, second, minute, hour, weekday, step = _plan(expression)
    now = clock.now().astimezone(SHANGHAI)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = midnight + timedelta(hours=hour, minutes=minute, seconds=second)
    if weekday is not None:
        first += timedelta(days=(weekday - 2 - first.weekday()) % 7)  # Quartz 2 is Monday, Python's 0
    if first <= now:
        first += step * ((now - first) // step + 1)
    if period >= timedelta(days=1):
        return f"R/{first.isoformat()}/P{period.days}D"
    return f"R/{first.isoformat()}/PT{int(period.total_seconds())}S"
