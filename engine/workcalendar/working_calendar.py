"""Working days and deadlines in China: official notices where published, the statutory rule elsewhere."""

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from workalendar.asia import China

from engine.workcalendar.statutory import StatutoryRules
from engine.workcalendar.year_file import YearSchedule, read_holidays_dir

SHANGHAI = ZoneInfo("Asia/Shanghai")
# From the first year after the 1999 decree took effect to the last year lunardate's tables cover.
SUPPORTED_YEARS = range(2000, 2100)

MAKE_UP_DAY = "调休上班"
WEEKEND = "周末"
WORKING_DAY = "工作日"


class OutsideSupportedYears(ValueError):
    """A date the calendar cannot classify: no notice, and outside the years the statutory rule covers."""

    def __init__(self, year: int):
        super().__init__(f"{year} is outside the supported years {SUPPORTED_YEARS.start}–{SUPPORTED_YEARS.stop - 1}")
        self.year = year


@dataclass(frozen=True)
class Day:
    date: date
    working: bool
    reason: str
    provisional: bool


@dataclass(frozen=True)
class Due:
    """A time limit of `days` working days on a case accepted on `start`.

    `due_date` is the last day allowed; `due_at` is the instant the limit expires (24:00 of due_date, i.e. the
    next midnight in Asia/Shanghai): a case still open at or after `due_at` is overdue.
    """

    start: date
    days: int
    due_date: date
    due_at: datetime
    provisional: bool


# workalendar ships no types, so its China calendar is Any to mypy.
class NoticeChina(China):  # type: ignore[misc]
    """workalendar's China calendar fed with our notices and the statutory rule: our data wins."""

    def __init__(self, days_off_of_year: Callable[[int], dict[date, str]], make_up_days: set[date]) -> None:
        super().__init__()
        self.extra_working_days = sorted(make_up_days)
        self._days_off_of_year = days_off_of_year

    def get_calendar_holidays(self, year: int) -> list[tuple[date, str]]:
        return sorted(self._days_off_of_year(year).items())


@dataclass(frozen=True)
class _YearIndex:
    """One year classified once, so that lookups bisect instead of walking day by day."""

    provisional: bool
    days: tuple[Day, ...]
    working: tuple[int, ...]


class WorkingCalendar:
    """Which days are working days, and when N-working-day time limits expire (次日起算, 24:00 of day N)."""

    def __init__(self, schedules: Mapping[int, YearSchedule], rules: StatutoryRules):
        self._schedules = dict(schedules)
        self._rules = rules
        self._make_up_days = {day for schedule in self._schedules.values() for day in schedule.make_up_days}
        self.workalendar = NoticeChina(self.days_off, self._make_up_days)
        self._years: dict[int, _YearIndex] = {}

    @classmethod
    def from_directory(cls, directory: Path) -> "WorkingCalendar":
        """The calendar of a holidays directory: its <year>.toml notices and its statutory.toml."""
        directory = Path(directory)
        return cls(read_holidays_dir(directory), StatutoryRules.from_file(directory / "statutory.toml"))

    def official_years(self) -> list[int]:
        return sorted(self._schedules)

    def is_provisional_year(self, year: int) -> bool:
        """True when no notice has been loaded for `year`, so its days off come from the statutory rule."""
        _check_supported(year)
        return year not in self._schedules

    def days_off(self, year: int) -> dict[date, str]:
        """Days off of `year` with their festival: from the notice if loaded, else from the statutory rule."""
        _check_supported(year)
        if year in self._schedules:
            return self._schedules[year].days_off
        return self._rules.days_off(year)

    def working_days_in(self, year: int) -> int:
        """How many working days `year` has (e.g. 248 in 2026)."""
        return len(self._index(year).working)

    def day(self, day: date) -> Day:
        index = self._index(day.year)
        return index.days[day.toordinal() - date(day.year, 1, 1).toordinal()]

    def days(self, first: date, last: date) -> list[Day]:
        """Every day from `first` to `last`, both included."""
        return [self.day(first + timedelta(days=offset)) for offset in range((last - first).days + 1)]

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (before it if n < 0), `day` itself not counted; n = 0 gives `day`."""
        if n == 0:
            return day
        year = day.year
        index = self._index(year)
        if n > 0:
            position = bisect_right(index.working, day.toordinal()) + n
            while position > len(index.working):
                position -= len(index.working)
                year += 1
                index = self._index(year)
            return date.fromordinal(index.working[position - 1])
        position = bisect_left(index.working, day.toordinal()) + n
        while position < 0:
            year -= 1
            index = self._index(year)
            position += len(index.working)
        return date.fromordinal(index.working[position])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start (e.g. overdue by)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = sum(len(self._index(year).working) for year in range(start.year, end.year))
        count += bisect_right(self._index(end.year).working, end.toordinal())
        return count - bisect_right(self._index(start.year).working, start.toordinal())

    def due(self, accepted_on: date | datetime, working_days: int) -> Due:
        """The time limit of a case accepted on `accepted_on` (a datetime is read in Asia/Shanghai).

        Counting starts the day after acceptance whatever day that was; 0 working days means same day.
        The result is provisional when any day counted lies in a year without a loaded notice (a same-day
        limit counts no day, so it never is).
        """
        if working_days < 0:
            raise ValueError(f"working_days must be 0 or more, not {working_days}")
        start = shanghai_date(accepted_on)
        due_date = self.add_working_days(start, working_days)
        counted_years = range((start + timedelta(days=1)).year, due_date.year + 1) if working_days else ()
        return Due(
            start=start,
            days=working_days,
            due_date=due_date,
            due_at=datetime.combine(due_date + timedelta(days=1), time(0), tzinfo=SHANGHAI),
            provisional=any(self.is_provisional_year(year) for year in counted_years),
        )

    def _index(self, year: int) -> _YearIndex:
        if year not in self._years:
            self._years[year] = self._classify(year)
        return self._years[year]

    def _classify(self, year: int) -> _YearIndex:
        provisional = self.is_provisional_year(year)
        days_off = self.days_off(year)
        first = date(year, 1, 1)
        days = []
        for offset in range((date(year + 1, 1, 1) - first).days):
            day = first + timedelta(days=offset)
            working = self.workalendar.is_working_day(day)
            days.append(Day(day, working, _reason(day, working, days_off, self._make_up_days), provisional))
        working_ordinals = tuple(day.date.toordinal() for day in days if day.working)
        return _YearIndex(provisional, tuple(days), working_ordinals)


def shanghai_date(moment: date | datetime) -> date:
    """The calendar day in Asia/Shanghai: aware datetimes are converted, naive ones read as Shanghai time."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(SHANGHAI)
        return moment.date()
    return moment


def _reason(day: date, working: bool, days_off: Mapping[date, str], make_up_days: set[date]) -> str:
    if day in days_off:
        return days_off[day]
    if day in make_up_days:
        return MAKE_UP_DAY
    return WORKING_DAY if working else WEEKEND


def _check_supported(year: int) -> None:
    if year not in SUPPORTED_YEARS:
        raise OutsideSupportedYears(year)
