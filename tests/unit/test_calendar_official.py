"""Every day of 2022–2026 against the State Council notices, transcribed here independently of holidays/."""

from datetime import date, timedelta

import pytest

from engine.workcalendar import PROJECT_HOLIDAYS_DIR, WorkingCalendar

# From /work/shared/notes/holiday-notices.md: festival -> (first day off, last day off); make-up working days.
NOTICES = {
    2022: (
        {
            "元旦": ("01-01", "01-03"),
            "春节": ("01-31", "02-06"),
            "清明节": ("04-03", "04-05"),
            "劳动节": ("04-30", "05-04"),
            "端午节": ("06-03", "06-05"),
            "中秋节": ("09-10", "09-12"),
            "国庆节": ("10-01", "10-07"),
        },
        ["01-29", "01-30", "04-02", "04-24", "05-07", "10-08", "10-09"],
    ),
    2023: (
        {
            "元旦": ("01-01", "01-02"),
            "春节": ("01-21", "01-27"),
            "清明节": ("04-05", "04-05"),
            "劳动节": ("04-29", "05-03"),
            "端午节": ("06-22", "06-24"),
            "中秋节、国庆节": ("09-29", "10-06"),
        },
        ["01-28", "01-29", "04-23", "05-06", "06-25", "10-07", "10-08"],
    ),
    2024: (
        {
            "元旦": ("01-01", "01-01"),
            "春节": ("02-10", "02-17"),
            "清明节": ("04-04", "04-06"),
            "劳动节": ("05-01", "05-05"),
            "端午节": ("06-10", "06-10"),
            "中秋节": ("09-15", "09-17"),
            "国庆节": ("10-01", "10-07"),
        },
        ["02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12"],
    ),
    2025: (
        {
            "元旦": ("01-01", "01-01"),
            "春节": ("01-28", "02-04"),
            "清明节": ("04-04", "04-06"),
            "劳动节": ("05-01", "05-05"),
            "端午节": ("05-31", "06-02"),
            "国庆节、中秋节": ("10-01", "10-08"),
        },
        ["01-26", "02-08", "04-27", "09-28", "10-11"],
    ),
    2026: (
        {
            "元旦": ("01-01", "01-03"),
            "春节": ("02-15", "02-23"),
            "清明节": ("04-04", "04-06"),
            "劳动节": ("05-01", "05-05"),
            "端午节": ("06-19", "06-21"),
            "中秋节": ("09-25", "09-27"),
            "国庆节": ("10-01", "10-07"),
        },
        ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"],
    ),
}
# 2023's 元旦 began on Saturday 2022-12-31 (2023 notice); that day belongs to the 2022 file.
EARLY_START = {date(2022, 12, 31): "元旦"}
WORKING_DAYS_PER_YEAR = {2022: 249, 2023: 249, 2024: 251, 2025: 248, 2026: 248}


def _day(year: int, month_day: str) -> date:
    return date.fromisoformat(f"{year}-{month_day}")


def _expected_days_off() -> dict[date, str]:
    days = dict(EARLY_START)
    for year, (festivals, _) in NOTICES.items():
        for name, (first, last) in festivals.items():
            day = _day(year, first)
            while day <= _day(year, last):
                days[day] = name
                day += timedelta(days=1)
    return days


DAYS_OFF = _expected_days_off()
MAKE_UP = {_day(year, month_day) for year, (_, days) in NOTICES.items() for month_day in days}


@pytest.fixture(scope="module")
def calendar():
    return WorkingCalendar.from_directory(PROJECT_HOLIDAYS_DIR)


def _all_days(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_every_day_of_the_year_follows_the_notice(calendar, year):
    for day in _all_days(year):
        result = calendar.day(day)
        if day in DAYS_OFF:
            expected = (False, DAYS_OFF[day])
        elif day in MAKE_UP:
            expected = (True, "调休上班")
        elif day.weekday() >= 5:
            expected = (False, "周末")
        else:
            expected = (True, "工作日")
        assert (result.working, result.reason) == expected, day
        assert result.date == day and result.provisional is False


@pytest.mark.parametrize("year, total", sorted(WORKING_DAYS_PER_YEAR.items()))
def test_working_days_per_year(calendar, year, total):
    assert calendar.working_days_in(year) == total
    assert sum(calendar.day(day).working for day in _all_days(year)) == total


def test_make_up_days_are_weekends_and_days_off_cover_the_notices(calendar):
    assert all(day.weekday() >= 5 for day in MAKE_UP)
    assert {day for year in NOTICES for day in calendar.days_off(year)} == set(DAYS_OFF)


def test_the_notices_are_official_and_recorded(calendar):
    assert calendar.official_years() == sorted(NOTICES)
    assert not any(calendar.is_provisional_year(year) for year in NOTICES)


def test_2022_12_31_is_off_for_new_year_2023(calendar):
    day = calendar.day(date(2022, 12, 31))
    assert (day.working, day.reason) == (False, "元旦")
    assert calendar.add_working_days(date(2022, 12, 30), 1) == date(2023, 1, 3)
