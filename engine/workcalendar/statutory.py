"""Days off that 全国年节及纪念日放假办法 fixes by law, for years whose yearly notice is not out yet."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lunardate import LunarDate

from engine.workcalendar.solar_terms import qingming
from engine.workcalendar.tomldoc import TomlDocument, read_toml

_SOLAR = re.compile(r"^(\d{2})-(\d{2})$")
_LUNAR = re.compile(r"^农历(\d{2})-(\d{2})$")
_NEW_YEARS_EVE = "除夕"
_QINGMING = "清明"
_VERSION_FIELDS = {"since", "decree"}


@dataclass(frozen=True)
class StatutoryVersion:
    """One version of the decree: from which year it applies and how each festival's days are found."""

    since: int
    decree: str
    festivals: dict[str, tuple[str, ...]]


class StatutoryRules:
    """All versions of the decree, read from holidays/statutory.toml."""

    def __init__(self, versions: list[StatutoryVersion]):
        self._versions = sorted(versions, key=lambda version: version.since)

    @classmethod
    def from_file(cls, path: Path) -> "StatutoryRules":
        doc = read_toml(path)
        tables = doc.data.get("versions")
        if not isinstance(tables, list) or not tables:
            raise doc.error("", "versions", "expected one or more [[versions]] tables")
        return cls([_version(doc, index, table) for index, table in enumerate(tables)])

    def version_for(self, year: int) -> StatutoryVersion:
        applicable = [version for version in self._versions if version.since <= year]
        if not applicable:
            raise ValueError(f"no statutory holiday rule applies to {year}")
        return applicable[-1]

    def days_off(self, year: int) -> dict[date, str]:
        """Every statutory day off of `year`, named after its festival ("中秋节、国庆节" when two coincide)."""
        days: dict[date, str] = {}
        for festival, specs in self.version_for(year).festivals.items():
            for spec in specs:
                day = _resolve(spec, year)
                days[day] = f"{days[day]}、{festival}" if day in days else festival
        return days


def _version(doc: TomlDocument, index: int, table: dict[str, Any]) -> StatutoryVersion:
    where = f"versions[{index}]"
    since, decree = table.get("since"), table.get("decree")
    if type(since) is not int:
        raise doc.error(where, "since", "since must be the first year the version applies to, e.g. 2025")
    if not isinstance(decree, str) or not decree.strip():
        raise doc.error(where, "decree", "decree must name the State Council decree, e.g. 国务院令第795号")
    festivals: dict[str, tuple[str, ...]] = {}
    for festival, specs in table.items():
        if festival in _VERSION_FIELDS:
            continue
        if not isinstance(specs, list) or not specs or not all(isinstance(spec, str) for spec in specs):
            raise doc.error(where, festival, f"{festival} must list its days, e.g. [\"10-01\", \"10-02\"]")
        for spec in specs:
            if not _is_valid_spec(spec):
                raise doc.error(where, festival, f"{spec!r} is not MM-DD, 农历MM-DD, 除夕 or 清明")
        festivals[festival] = tuple(specs)
    return StatutoryVersion(since, decree.strip(), festivals)


def _is_valid_spec(spec: str) -> bool:
    """Whether `spec` resolves in a leap year (the most permissive one for solar dates)."""
    try:
        _resolve(spec, 2024)
    except ValueError:
        return False
    return True


def _resolve(spec: str, year: int) -> date:
    """The Gregorian date in `year` that a day written as in statutory.toml falls on."""
    if spec == _NEW_YEARS_EVE:
        new_year: date = LunarDate(year, 1, 1).to_solar_date()  # lunardate is untyped
        return new_year - timedelta(days=1)
    if spec == _QINGMING:
        return qingming(year)
    if solar := _SOLAR.match(spec):
        return date(year, int(solar[1]), int(solar[2]))
    if lunar := _LUNAR.match(spec):
        day: date = LunarDate(year, int(lunar[1]), int(lunar[2])).to_solar_date()
        return day
    raise ValueError(f"unknown day {spec!r}")
