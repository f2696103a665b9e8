"""The yearly upkeep of the working-day calendar: what it covers, and loading a new year's notice.

`load_notice` is the one way a notice is installed, whether from `flask calendar load` or the calendar
page: check the file, copy it into the holidays directory as <year>.toml, forget the calendars read so
far and recompute the pending deadlines that reach into that year.
"""

import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from engine import workcalendar
from engine.core.errors import Forbidden
from engine.org import security_log
from engine.org.permissions import Actor, ensure_admin, ensure_may_load_notice
from engine.timers.recompute import recompute_pending_deadlines
from engine.workcalendar import SUPPORTED_YEARS, HolidayDataError
from engine.workcalendar.tomldoc import read_toml
from engine.workcalendar.year_file import YearSchedule, read_year_file


@dataclass(frozen=True)
class LoadedNotice:
    schedule: YearSchedule
    target: Path
    replaced: bool
    working_days: int
    recomputed: int


@dataclass(frozen=True)
class YearOverview:
    """One year as the calendar uses it: the notice's days, or the statutory rule's (provisional)."""

    year: int
    provisional: bool
    notice: str | None
    published: date | None
    days_off: list[tuple[date, str]]
    make_up_days: list[tuple[date, str]]
    working_days: int


def load_notice(session: Session, actor: Actor, directory: str | Path, source: Path) -> LoadedNotice:
    """Install a checked year file as `actor` (a system-level administrator, or the system: notices are national);
    HolidayDataError names the file and line of any problem. Commits."""
    ensure_admin(actor)
    try:
        ensure_may_load_notice(actor)
    except Forbidden:
        security_log.record_alone(session, security_log.SCOPE_REFUSED, user=actor, scope="载入放假安排（全国统一）")
        raise
    schedule = read_year_file(source)
    if schedule.year not in SUPPORTED_YEARS:
        raise HolidayDataError(
            source,
            read_toml(source).line_of("", "year"),
            f"只支持{SUPPORTED_YEARS.start}年至{SUPPORTED_YEARS.stop - 1}年，而文件写的是{schedule.year}年",
        )
    target = Path(directory) / f"{schedule.year}.toml"
    replaced = target.exists()
    if not (replaced and target.samefile(source)):
        shutil.copyfile(source, target)
    workcalendar.reload_default_calendar()
    working_days = workcalendar.calendar_for(directory).working_days_in(schedule.year)
    recomputed = recompute_pending_deadlines(session, schedule.year)
    return LoadedNotice(schedule, target, replaced, working_days, recomputed)


def covered_years(directory: str | Path) -> tuple[range, list[int]]:
    """The years the calendar can answer for, and those of them with a loaded notice."""
    return SUPPORTED_YEARS, workcalendar.calendar_for(directory).official_years()


def year_overview(directory: str | Path, year: int) -> YearOverview:
    calendar = workcalendar.calendar_for(directory)
    days_off = sorted(calendar.days_off(year).items())
    working_days = calendar.working_days_in(year)
    if calendar.is_provisional_year(year):
        return YearOverview(year, True, None, None, days_off, [], working_days)
    schedule = read_year_file(Path(directory) / f"{year}.toml")
    return YearOverview(
        year,
        False,
        schedule.notice,
        schedule.published,
        days_off,
        sorted(schedule.make_up_days.items()),
        working_days,
    )


MAX_NAME_LENGTH = 100
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def uploaded_notice_name(filename: str | None) -> str | None:
    """What an uploaded notice is called in messages: the base name of the name the browser sent (directories,
    forward or backward, dropped); None when that is no file name — empty, "." or "..", a control character, or
    longer than `MAX_NAME_LENGTH`. The upload is read from a scratch file of the caller's naming, never this one."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", "..") or len(name) > MAX_NAME_LENGTH or _UNPRINTABLE.search(name):
        return None
    return name
