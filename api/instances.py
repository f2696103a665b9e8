"""Cases (办件): start one at a window, read its state and history."""

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_account, require_login
from api.extensions import db
from api.schemas import CaseDetailOut, CaseOut
from engine.cases import acceptance, queries

blp = Blueprint("instances", __name__, url_prefix="/api/instances", description="办件")
blp.before_request(require_login)


@blp.route("", methods=["POST"])
@blp.response(201, CaseOut)
def start():
    """Accept an application (受理) and start its flow; the body is the `case_start` form."""
    return acceptance.start_case(db.session, current_account(), request.get_json(silent=True) or {})


@blp.route("/<int:case_id>")
@blp.response(200, CaseDetailOut)
def detail(case_id: int):
    """Status, item, current tasks (role, unit, assignee, due date) and the audit history."""
    return acceptance.case_view(db.session, current_account(), case_id)


_DATE_MESSAGES = {"invalid": "日期格式应为 YYYY-MM-DD，例如 2026-10-08"}


class CaseListQuery(Schema):
    item = fields.String(metadata={"description": "事项编码"})
    org = fields.String(metadata={"description": "受理单位编码（含下级单位）"})
    status = fields.String(
        validate=validate.OneOf(list(acceptance.STATUS_LABELS), error="状态应为 running 或 concluded")
    )
    overdue = fields.Boolean(
        load_default=False, truthy={"true", "1"}, falsy={"false", "0"}, error_messages={"invalid": "应为 true 或 false"}
    )
    due_before = fields.Date(error_messages=_DATE_MESSAGES, metadata={"description": "期限届满早于该日"})
    started_from = fields.Date(data_key="from", error_messages=_DATE_MESSAGES, metadata={"description": "受理日期起"})
    started_to = fields.Date(data_key="to", error_messages=_DATE_MESSAGES, metadata={"description": "受理日期止"})
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, error="页码应为正整数"),
        error_messages={"invalid": "页码应为正整数"},
    )
    per_page = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=200, error="每页条数应为1到200"),
        error_messages={"invalid": "每页条数应为1到200"},
    )


class CasePageOut(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(CaseOut))


@blp.route("", methods=["GET"])
@blp.arguments(CaseListQuery(), location="query")
@blp.response(200, CasePageOut)
def listing(query):
    """Cases the caller may see, newest first: by item, accepting unit, status, overdue, limit or start day."""
    page, per_page = query.pop("page"), query.pop("per_page")
    return queries.list_cases(db.session, current_account(), queries.CaseFilter(**query), page, per_page)
