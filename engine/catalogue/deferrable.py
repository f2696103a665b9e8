"""Per-item rules of 容缺受理 and 补正, as reviewed data (`processes/catalog/rules/deferrable.toml`).

Which materials an item lets a window accept without (可容缺) on the applicant's promise, the 补正 period its
一次性告知书 states (days, natural or working), and how far ahead a promised date may lie. An item the file does
not name has no 可容缺 material and the default period.
"""

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from engine import workcalendar
from engine.catalogue.items import Item
from engine.core.clock import SHANGHAI

DATA_FILE = Path(__file__).resolve().parents[2] / "processes" / "catalog" / "rules" / "deferrable.toml"
NATURAL, WORKING = "natural", "working"
CALENDAR_WORDS = {NATURAL: "日", WORKING: "个工作日"}


@dataclass(frozen=True)
class Period:
    """A 补正 period: `days` counted from the day after the notice, in natural or working days."""

    days: int
    calendar: str

    def as_data(self) -> dict[str, Any]:
        """The workflow's `supplement` value, read by the 补正 timer (`sandbox.functions.supplement_due`)."""
        return {"days": self.days, "calendar": self.calendar}

    @property
    def text(self) -> str:
        return f"{self.days}{CALENDAR_WORDS[self.calendar]}"


@dataclass(frozen=True)
class ItemRules:
    deferrable: tuple[str, ...]
    period: Period
    promise_max_days: int


@cache
def _data() -> dict[str, Any]:
    return tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))


def rules_of(item: Item) -> ItemRules:
    data = _data()
    defaults, own = data["defaults"], data.get("item", {}).get(item.id, {})
    period = Period(
        int(own.get("supplement_days", defaults["supplement_days"])),
        str(own.get("supplement_calendar", defaults["supplement_calendar"])),
    )
    return ItemRules(tuple(own.get("deferrable", ())), period, int(defaults["promise_max_days"]))


def item_ids() -> list[str]:
    """The items the file names (for the data check)."""
    return list(_data().get("item", {}))


def period_end(start: datetime, period: Period) -> datetime:
    """When a period starting at `start` runs out: 24:00 of its last day, counted from the next day (民法典 §201);
    a natural-day period whose last day is not a working day ends with the next working day (§203)."""
    calendar = workcalendar.default_calendar()
    first = start.astimezone(SHANGHAI).date()
    if period.calendar == WORKING:
        last = calendar.add_working_days(first, period.days)
    else:
        last = first + timedelta(days=period.days)
        if not calendar.day(last).working:
            last = calendar.add_working_days(last, 1)
    return end_of(last)


def end_of(day: date) -> datetime:
    """24:00 of `day` in Shanghai, i.e. 00:00 of the next day: the instant a period ending that day runs out."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
