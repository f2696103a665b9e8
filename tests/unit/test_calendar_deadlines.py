"""Deadline arithmetic: 次日起算, expiry at 24:00 of the N-th working day, Asia/Shanghai whatever the server."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine import workcalendar
from engine.workcalendar import (
    PROJECT_HOLIDAYS_DIR,
    SHANGHAI,
    OutsideSupportedYears,
    WorkingCalendar,
    working_days_after,
)


@pytest.fixture(scope="module")
def calendar():
    return WorkingCalendar.from_directory(PROJECT_HOLIDAYS_DIR)


def _midnight_after(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI) + timedelta(days=1)


@pytest.mark.parametrize(
    "accepted, n, due",
    [
        (date(2026, 9, 30), 20, date(2026, 11, 3)),  # across 国庆节 and the 10/10 make-up Saturday
        (date(2026, 2, 13), 5, date(2026, 2, 27)),  # across 春节, the 2/14 make-up Saturday counts
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # accepted on a Saturday: counting starts Sunday
        (date(2026, 3, 7), 0, date(2026, 3, 7)),  # same-day (当场办结) even on a Saturday
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # the make-up Saturday is the first working day
        (date(2022, 12, 30), 1, date(2023, 1, 3)),  # 2022-12-31 to 2023-01-02 off
    ],
)
def test_worked_examples(calendar, accepted, n, due):
    result = calendar.due(accepted, n)
    assert (result.start, result.days, result.due_date) == (accepted, n, due)
    assert result.due_at == _midnight_after(due)
    assert result.due_at.isoformat().endswith("T00:00:00+08:00")
    assert result.provisional is False


def test_saturday_acceptance_counts_from_sunday_like_friday_acceptance_would_not(calendar):
    saturday, friday = date(2026, 3, 7), date(2026, 3, 6)
    assert calendar.due(saturday, 3).due_date == date(2026, 3, 11)
    assert calendar.due(friday, 3).due_date == date(2026, 3, 11)
    assert calendar.due(date(2026, 3, 9), 3).due_date == date(2026, 3, 12)


def test_a_datetime_is_read_in_shanghai(calendar):
    late_utc = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # 2026-10-01 01:00 in Shanghai
    assert calendar.due(late_utc, 1).start == date(2026, 10, 1)
    assert calendar.due(datetime(2026, 9, 30, 23, 59), 1).start == date(2026, 9, 30)
    new_york = datetime(2026, 9, 30, 12, 0, tzinfo=ZoneInfo("America/New_York"))  # 2026-10-01 00:00 Shanghai
    assert calendar.due(new_york, 0).due_at == _midnight_after(date(2026, 10, 1))


def test_expiry_instant_decides_overdue(calendar):
    due = calendar.due(date(2026, 9, 30), 20)
    last_minute = datetime(2026, 11, 3, 23, 59, 59, tzinfo=SHANGHAI)
    assert last_minute < due.due_at <= last_minute + timedelta(seconds=1)


def test_negative_limits_are_refused(calendar):
    with pytest.raises(ValueError):
        calendar.due(date(2026, 1, 5), -1)


@pytest.mark.parametrize(
    "start, end",
    [
        (date(2026, 9, 30), date(2026, 11, 3)),
        (date(2022, 6, 1), date(2026, 12, 31)),
        (date(2026, 10, 1), date(2026, 10, 7)),
        (date(2026, 10, 7), date(2026, 10, 7)),
    ],
)
def test_working_days_between_counts_the_half_open_interval(calendar, start, end):
    walked = sum(calendar.day(start + timedelta(days=k)).working for k in range(1, (end - start).days + 1))
    assert calendar.working_days_between(start, end) == walked
    assert calendar.working_days_between(end, start) == -walked


def test_add_and_between_agree_in_both_directions(calendar):
    for offset in range(0, 1500, 7):
        start = date(2025, 11, 1) + timedelta(days=offset)
        for n in (1, 5, 20, 60, 250):
            later = calendar.add_working_days(start, n)
            earlier = calendar.add_working_days(start, -n)
            assert calendar.day(later).working and calendar.day(earlier).working
            assert calendar.working_days_between(start, later) == n
            # (earlier, start] holds the n - 1 working days strictly between them, plus start if it works.
            assert calendar.working_days_between(start, earlier) == -(n - 1 + calendar.day(start).working)


def test_provisional_year_follows_the_statutory_rule(calendar):
    assert calendar.is_provisional_year(2027) and 2027 not in calendar.official_years()
    lunar_new_year = date(2027, 2, 6)  # 正月初一 of 丁未 year
    for day in (lunar_new_year - timedelta(days=1), lunar_new_year, lunar_new_year + timedelta(days=2)):
        assert (calendar.day(day).working, calendar.day(day).reason) == (False, "春节")
    assert calendar.day(lunar_new_year + timedelta(days=3)).working  # 初四 is not a statutory day off
    assert [calendar.day(date(2027, 5, d)).reason for d in (1, 2)] == ["劳动节", "劳动节"]
    assert calendar.day(date(2027, 10, 4)).working  # only 10/1–10/3 are statutory
    assert calendar.day(date(2027, 3, 1)).provisional


def test_provisional_results_are_marked(calendar):
    assert calendar.due(date(2027, 3, 1), 5).provisional
    assert calendar.due(date(2027, 3, 1), 0).provisional is False  # same day: no day of 2027 is counted
    assert calendar.due(date(2026, 12, 30), 1).provisional is False  # 12/31 is in 2026
    assert calendar.due(date(2026, 12, 30), 2).provisional  # 2027's days decide
    assert calendar.due(date(2026, 12, 29), 3).due_date == date(2027, 1, 4)  # 2027-01-01 statutory 元旦


def test_pre_2025_statutory_rule_for_years_without_a_notice(calendar):
    assert calendar.is_provisional_year(2021)
    assert calendar.day(date(2021, 5, 3)).working  # one-day 劳动节 before 2025 (5/3 is a Monday)
    assert not calendar.day(date(2021, 2, 12)).working  # 正月初一 2021
    assert calendar.day(date(2021, 2, 11)).working  # 除夕 was not a statutory day off in 2014–2024


def test_years_outside_the_supported_range_are_refused(calendar):
    with pytest.raises(OutsideSupportedYears):
        calendar.day(date(2100, 1, 4))
    with pytest.raises(OutsideSupportedYears):
        calendar.due(date(2099, 12, 30), 10)


def test_working_days_after_gives_a_timer_string(monkeypatch):
    monkeypatch.setattr(workcalendar, "holidays_dir", PROJECT_HOLIDAYS_DIR)
    assert working_days_after("2026-09-30", 20) == "2026-11-04T00:00:00+08:00"
    assert working_days_after(date(2026, 2, 13), 5) == "2026-02-28T00:00:00+08:00"
    assert working_days_after("2026-09-30T20:00:00-04:00", 0) == "2026-10-02T00:00:00+08:00"


def test_server_time_zone_does_not_matter(calendar):
    script = (
        "from datetime import date, datetime, timezone\n"
        "from engine.workcalendar import default_calendar\n"
        "c = default_calendar()\n"
        "print(c.due(date(2026, 9, 30), 20).due_at.isoformat())\n"
        "print(c.due(datetime(2026, 9, 30, 17, tzinfo=timezone.utc), 1).due_date)\n"
        "print(c.due(datetime(2026, 9, 30, 23, 30), 0).due_date)\n"
    )
    expected = [
        calendar.due(date(2026, 9, 30), 20).due_at.isoformat(),
        str(calendar.due(date(2026, 10, 1), 1).due_date),
        "2026-09-30",
    ]
    for zone in ("America/New_York", "UTC", "Pacific/Kiritimati"):
        env = {**os.environ, "TZ": zone}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.split() == expected, zone
