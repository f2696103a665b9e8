"""Public working-day calendar over HTTP: which days are working days, and when a time limit expires."""

from flask import current_app
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from webargs.flaskparser import FlaskParser

from engine.workcalendar import SUPPORTED_YEARS, OutsideSupportedYears, WorkingCalendar, calendar_for

MAX_DAYS = 3650
MAX_RANGE_DAYS = 7305  # 20 years of 365.25 days


def _within_supported_years(day) -> None:
    if day.year not in SUPPORTED_YEARS:
        raise ValidationError(f"只支持{SUPPORTED_YEARS.start}年至{SUPPORTED_YEARS.stop - 1}年的日期")


def _date(data_key: str) -> fields.Date:
    return fields.Date(
        data_key=data_key,
        required=True,
        validate=_within_supported_years,
        error_messages={"required": "缺少此参数", "invalid": "日期格式应为 YYYY-MM-DD，例如 2026-09-30"},
    )


class DaysQuery(Schema):
    first = _date("from")
    last = _date("to")

    @validates_schema(skip_on_field_errors=True)
    def _range(self, data, **kwargs):
        if data["last"] < data["first"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="to")
        if (data["last"] - data["first"]).days >= MAX_RANGE_DAYS:
            raise ValidationError("日期范围不能超过20年", field_name="to")


class DueQuery(Schema):
    start = _date("start")
    days = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(0, MAX_DAYS, error=f"工作日数应为0到{MAX_DAYS}之间的整数"),
        error_messages={"required": "缺少此参数", "invalid": f"工作日数应为0到{MAX_DAYS}之间的整数"},
    )


class DayOut(Schema):
    date = fields.Date()
    working = fields.Boolean()
    reason = fields.String()
    provisional = fields.Boolean(metadata={"description": "该年尚无国务院通知，按法定节假日推算"})


class DueOut(Schema):
    start = fields.Date(metadata={"description": "受理日期"})
    days = fields.Integer(metadata={"description": "办理时限（工作日）"})
    due_date = fields.Date(metadata={"description": "最后一个办理日"})
    due_at = fields.DateTime(metadata={"description": "期限届满时刻（due_date 的24:00，北京时间）"})
    provisional = fields.Boolean(metadata={"description": "计算用到了尚无国务院通知的年份"})


class _QueryParser(FlaskParser):
    """Bad query parameters answer 400 with `errors` keyed by parameter, as the calendar's clients expect."""

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        abort(400, message="参数有误", errors=error.messages.get("query", error.messages))


blp = Blueprint("calendar", __name__, url_prefix="/api/calendar", description="工作日日历（公开，无需登录）")
blp.ARGUMENTS_PARSER = _QueryParser()


def calendar() -> WorkingCalendar:
    return calendar_for(current_app.config["HOLIDAYS_DIR"])


@blp.route("/days")
@blp.arguments(DaysQuery(), location="query", error_status_code=400, as_kwargs=True)
@blp.response(200, DayOut(many=True))
def days(first, last):
    """Every day from `from` to `to` (both included): working or not, and why."""
    return calendar().days(first, last)


@blp.route("/due")
@blp.arguments(DueQuery(), location="query", error_status_code=400, as_kwargs=True)
@blp.response(200, DueOut)
def due(start, days):
    """The time limit of `days` working days on a case accepted on `start` (次日起算)."""
    try:
        return calendar().due(start, days)
    except OutsideSupportedYears as exc:
        abort(400, message="参数有误", errors={"days": [f"期限超出了支持的年份（{exc.year}年）"]})
