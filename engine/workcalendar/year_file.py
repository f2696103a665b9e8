"""One year's official schedule, read from the State Council notice transcribed in holidays/<year>.toml."""

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from engine.workcalendar.tomldoc import HolidayDataError, TomlDocument, read_toml

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIELDS = {"year", "notice", "published", "off", "working"}
_YEAR_FILE = re.compile(r"^\d{4}\.toml$")
_Field = TypeVar("_Field")


@dataclass(frozen=True)
class YearSchedule:
    """Days off (with the festival the notice names) and make-up working days of one calendar year."""

    year: int
    notice: str
    published: date
    days_off: dict[date, str]
    make_up_days: dict[date, str]


def read_year_file(path: Path) -> YearSchedule:
    """Read and check one year file; any contradiction raises HolidayDataError naming the line."""
    doc = read_toml(path)
    unknown = sorted(doc.data.keys() - _FIELDS)
    if unknown:
        raise doc.error("", unknown[0], f"unknown field {unknown[0]!r} (expected: {', '.join(sorted(_FIELDS))})")
    year = _field(doc, "year", int)
    notice = _field(doc, "notice", str)
    published = _field(doc, "published", date)
    if not notice.strip():
        raise doc.error("", "notice", "notice must name the State Council notice, e.g. 国办发明电〔2025〕7号")
    days_off = _dated_names(doc, "off", year)
    make_up_days = _dated_names(doc, "working", year)
    for day in make_up_days:
        if day in days_off:
            raise doc.error("working", day.isoformat(), f"{day} is listed both as a day off and as a working day")
        if day.weekday() < 5:
            raise doc.error("working", day.isoformat(), f"{day} is a make-up working day but not a Saturday or Sunday")
    return YearSchedule(year, notice, published, days_off, make_up_days)


def read_holidays_dir(directory: Path) -> dict[int, YearSchedule]:
    """Every year file of a holidays directory, keyed by year; each file must be named after its year."""
    schedules = {}
    for path in sorted(Path(directory).glob("*.toml")):
        if path.name == "statutory.toml":
            continue
        if not _YEAR_FILE.match(path.name):
            raise HolidayDataError(path, 1, "a year file must be named after its year, e.g. 2027.toml")
        schedule = read_year_file(path)
        if path.stem != str(schedule.year):
            raise HolidayDataError(
                path, read_toml(path).line_of("", "year"), f"year = {schedule.year} but the file is named {path.name}"
            )
        schedules[schedule.year] = schedule
    return schedules


def _field(doc: TomlDocument, key: str, kind: type[_Field]) -> _Field:
    if key not in doc.data:
        raise doc.error("", key, f"missing field {key!r}")
    value = doc.data[key]
    if type(value) is not kind:
        raise doc.error("", key, f"{key} must be a {kind.__name__}, not {value!r}")
    return value


def _dated_names(doc: TomlDocument, table: str, year: int) -> dict[date, str]:
    """A `[table]` of `YYYY-MM-DD = "festival"` lines, every date inside `year`."""
    entries = doc.data.get(table)
    if not isinstance(entries, dict):
        raise doc.error("", table, f"missing table [{table}]")
    days = {}
    for key, name in entries.items():
        day = _parse_day(doc, table, key)
        if day.year != year:
            raise doc.error(table, key, f"{key} is outside {year}; every date of this file must be in {year}")
        if not isinstance(name, str) or not name.strip():
            raise doc.error(table, key, f"{key} must name its festival, e.g. {key} = \"春节\"")
        days[day] = name.strip()
    return days


def _parse_day(doc: TomlDocument, table: str, key: str) -> date:
    if _ISO_DATE.match(key):
        try:
            return date.fromisoformat(key)
        except ValueError:
            pass
    raise doc.error(table, key, f"{key!r} is not a valid date (write YYYY-MM-DD)")
