"""The Chinese working-day calendar and deadline arithmetic (工作日、办理时限); no Flask here.

Official days come from holidays/<year>.toml (the State Council's yearly notices); years without a notice
follow holidays/statutory.toml and every result depending on them is marked provisional.
"""

import os
import time
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from engine.workcalendar.tomldoc import HolidayDataError
from engine.workcalendar.working_calendar import (
    SHANGHAI,
    SUPPORTED_YEARS,
    Day,
    Due,
    OutsideSupportedYears,
    WorkingCalendar,
    shanghai_date,
)

PROJECT_HOLIDAYS_DIR = Path(__file__).resolve().parents[2] / "holidays"
holidays_dir: Path = PROJECT_HOLIDAYS_DIR
"""The directory of the product's calendar; the application names it with `configure` (settings: HOLIDAYS_DIR)."""

__all__ = [
    "SHANGHAI",
    "SUPPORTED_YEARS",
    "Day",
    "Due",
    "HolidayDataError",
    "OutsideSupportedYears",
    "WorkingCalendar",
    "calendar_for",
    "configure",
    "default_calendar",
    "reload_default_calendar",
    "shanghai_date",
    "working_days_after",
]


def calendar_for(directory: str | Path) -> WorkingCalendar:
    """The calendar of a holidays directory, read once and shared until one of its files changes.

    A notice dropped into the directory (or edited) is therefore picked up without a restart.
    """
    resolved = Path(directory).resolve()
    return _calendar_of(str(resolved), _fingerprint(resolved))


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every data file: any added or edited file changes it."""
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return ()
    return tuple(
        sorted(
            (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
            for entry in entries
            if entry.name.endswith(".toml")
        )
    )


@lru_cache(maxsize=8)
def _calendar_of(resolved_directory: str, fingerprint: tuple[tuple[str, int, int], ...]) -> WorkingCalendar:
    return WorkingCalendar.from_directory(Path(resolved_directory))


FRESHNESS_SECONDS = 1.0
_recent: dict[str, tuple[float, WorkingCalendar]] = {}


def configure(directory: str | Path) -> None:
    """Name the holidays directory of the product's calendar (create_app passes the HOLIDAYS_DIR setting)."""
    global holidays_dir
    holidays_dir = Path(directory)


def default_calendar() -> WorkingCalendar:
    """The product's calendar: the directory named by `configure`, else the project's holidays/.

    Deadline arithmetic asks for it many times per request, so the folder is looked at again
    at most once a second: a notice dropped into it is picked up within that second.
    """
    directory = str(holidays_dir)
    now = time.monotonic()
    recent = _recent.get(directory)
    if recent is None or now - recent[0] > FRESHNESS_SECONDS:
        recent = _recent[directory] = (now, calendar_for(directory))
    return recent[1]


def reload_default_calendar() -> None:
    """Forget every calendar read so far (files changed within the file system's time resolution)."""
    _recent.clear()
    _calendar_of.cache_clear()


def working_days_after(start: date | datetime | str, n: int) -> str:
    """For BPMN timer expressions: when a limit of n working days counted from `start` expires.

    `start` may be a date, a datetime or an ISO 8601 string (task data is JSON); the answer is the ISO 8601
    instant with +08:00, a string because SpiffWorkflow timers only accept strings.
    """
    if isinstance(start, str):
        start = datetime.fromisoformat(start)
    return default_calendar().due(start, n).due_at.isoformat()
