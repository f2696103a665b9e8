"""Request-argument schemas both faces read: the REST query strings and the pages' filter forms."""

from calendar import monthrange
from datetime import date

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from engine.cases import lifecycle, queries
from engine.core.errors import Invalid
from engine.org import security_log

DATE_MESSAGES = {"invalid": "日期格式应为 YYYY-MM-DD，例如 2026-10-08"}


def _search_text(value: str) -> None:
    """The engine's rule of a search text (`queries.search_text`), as a field error."""
    try:
        queries.search_text(value)
    except Invalid as exc:
        raise ValidationError(exc.errors["q"]) from None


MAX_PAGE = 100_000
"""The last page a listing may ask for: with 200 a page, an offset far inside what any store takes."""
MAX_PER_PAGE = 200
PAGE_MESSAGE = f"页码应为1到{MAX_PAGE}的整数"
PER_PAGE_MESSAGE = f"每页条数应为1到{MAX_PER_PAGE}"


def page_number(raw: object) -> int:
    """A page's `?page=` as the pages read it: a bad or out-of-range value is the nearest page there is."""
    try:
        number = int(str(raw))
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


class PageQuery(Schema):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE, error=PAGE_MESSAGE),
        error_messages={"invalid": PAGE_MESSAGE},
        metadata={"description": "页码，从1起"},
    )
    per_page = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=MAX_PER_PAGE, error=PER_PAGE_MESSAGE),
        error_messages={"invalid": PER_PAGE_MESSAGE},
        metadata={"description": "每页条数"},
    )


class CaseListQuery(PageQuery):
    q = fields.String(
        validate=_search_text,
        metadata={
            "description": "查找：办件编号（完整或开头部分）、申请人姓名（完整）、身份证号（18位）或手机号（11位）",
            "maxLength": queries.SEARCH_MAX_LENGTH,
        },
    )
    item = fields.String(metadata={"description": "事项编码"})
    org = fields.String(metadata={"description": "受理单位编码（含下级单位）"})
    status = fields.String(
        validate=validate.OneOf(
            list(lifecycle.STATUS_LABELS), error="状态应为 running、suspended、concluded 或 terminated"
        )
    )
    overdue = fields.Boolean(
        load_default=False, truthy={"true", "1"}, falsy={"false", "0"}, error_messages={"invalid": "应为 true 或 false"}
    )
    due_before = fields.Date(error_messages=DATE_MESSAGES, metadata={"description": "期限届满早于该日"})
    started_from = fields.Date(data_key="from", error_messages=DATE_MESSAGES, metadata={"description": "受理日期起"})
    started_to = fields.Date(data_key="to", error_messages=DATE_MESSAGES, metadata={"description": "受理日期止"})


class SlaQuery(Schema):
    """The period is either from/to or a month (考核 per month), which stands for its first to its last day."""

    first = fields.Date(data_key="from", error_messages=DATE_MESSAGES)
    last = fields.Date(data_key="to", error_messages=DATE_MESSAGES)
    month = fields.String(
        validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM，例如 2026-11"),
        metadata={"description": "统计月份（YYYY-MM），代替起止日期"},
    )
    org = fields.String(metadata={"description": "单位编码（含下级单位）"})
    item = fields.String(metadata={"description": "事项编码"})

    @validates_schema(skip_on_field_errors=True)
    def ordered(self, data, **kwargs):
        if data.get("month") and (data.get("first") or data.get("last")):
            raise ValidationError("按月统计时不再填写起止日期", field_name="month")
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="to")

    @post_load
    def month_as_period(self, data, **kwargs):
        month = data.pop("month", None)
        if month:
            year, number = (int(part) for part in month.split("-"))
            data["first"] = date(year, number, 1)
            data["last"] = date(year, number, monthrange(year, number)[1])
        return data


class SecurityEventQuery(PageQuery):
    """The security log's filters (`GET /api/security-events`, /admin/security)."""

    action = fields.String(
        validate=validate.OneOf(list(security_log.ACTION_LABELS), error="未知事件类型"),
        metadata={
            "description": "事件类型：" + "、".join(f"{k}（{v}）" for k, v in security_log.ACTION_LABELS.items())
        },
    )
    username = fields.String(validate=validate.Length(max=60), metadata={"description": "用户名（完整）"})
    since = fields.Date(data_key="from", error_messages=DATE_MESSAGES, metadata={"description": "日期起（含）"})
    until = fields.Date(data_key="to", error_messages=DATE_MESSAGES, metadata={"description": "日期止（含）"})

    @validates_schema(skip_on_field_errors=True)
    def ordered(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("结束日期不能早于开始日期", field_name="to")
