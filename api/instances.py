"""Cases (办件): start one at a window, read its state and history."""

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.schemas import CaseDetailOut, CaseOut
from engine.cases import acceptance, casefile, queries
from server.args import CaseListQuery
from server.extensions import db
from server.login import current_account, require_login

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
    """The case with its file (办件卷宗): the application laid out, materials received, every decision with
    its opinion and amounts, deadlines; current tasks and the audit history."""
    return casefile.case_file(db.session, current_account(), case_id)


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
