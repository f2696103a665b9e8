"""`flask calendar ...`: working days and deadlines for scripts and administrators, and loading a new notice."""

from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup
from marshmallow import Schema, ValidationError

from api.calendar import DaysQuery, DueQuery
from engine.org.permissions import SYSTEM
from engine.workcalendar import HolidayDataError, OutsideSupportedYears, calendar_for
from engine.workcalendar.upkeep import load_notice
from server.extensions import db

calendar = AppGroup("calendar", help="工作日日历：查询工作日、计算办理期限、载入新一年的放假通知。")


def _refuse(message: str) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(2)


def _parsed(schema: Schema, arguments: dict, names: dict[str, str]) -> dict:
    """Arguments checked by the same rules as the HTTP API; refusals name the argument as typed."""
    try:
        return schema.load(arguments)
    except ValidationError as exc:
        _refuse("\n".join(f"{names[key]}: {'；'.join(messages)}" for key, messages in exc.messages.items()))


def _calendar():
    try:
        return calendar_for(current_app.config["HOLIDAYS_DIR"])
    except HolidayDataError as exc:
        _refuse(str(exc))


@calendar.command("days")
@click.argument("first", metavar="FROM")
@click.argument("last", metavar="TO")
def days(first: str, last: str) -> None:
    """Print FROM..TO one line per day: date, working|off, reason[, provisional]."""
    query = _parsed(DaysQuery(), {"from": first, "to": last}, {"from": "FROM", "to": "TO"})
    for day in _calendar().days(query["first"], query["last"]):
        fields = [day.date.isoformat(), "working" if day.working else "off", day.reason]
        click.echo("\t".join(fields + (["provisional"] if day.provisional else [])))


@calendar.command("due", context_settings={"ignore_unknown_options": True})
@click.argument("start", metavar="START")
@click.argument("n", metavar="N")
def due(start: str, n: str) -> None:
    """Print the due date and expiry instant of N working days counted from START (次日起算)."""
    query = _parsed(DueQuery(), {"start": start, "days": n}, {"start": "START", "days": "N"})
    try:
        result = _calendar().due(query["start"], query["days"])
    except OutsideSupportedYears as exc:
        _refuse(f"N: 期限超出了支持的年份（{exc.year}年）")
    fields = [result.due_date.isoformat(), result.due_at.isoformat()]
    click.echo("\t".join(fields + (["provisional"] if result.provisional else [])))


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(file: Path) -> None:
    """Check a year file (format: holidays/README.md) and install it as holidays/<year>.toml."""
    try:
        loaded = load_notice(db.session, SYSTEM, current_app.config["HOLIDAYS_DIR"], file)
    except HolidayDataError as exc:
        _refuse(str(exc))
    action = "替换" if loaded.replaced else "载入"
    click.echo(
        f"已{action}{loaded.schedule.year}年放假安排（{loaded.schedule.notice}）：{loaded.target}，"
        f"全年{loaded.working_days}个工作日"
    )
    click.echo(f"已按新的放假安排重算 {loaded.recomputed} 个待办时限")
