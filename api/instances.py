"""Cases (办件): start one at a window, read its state and history."""
from flask import request
from flask_smorest import Blueprint

from api.auth import current_account, require_login
from api.extensions import db
from api.schemas import CaseDetailOut, CaseOut
from engine import cases

blp = Blueprint("instances", __name__, url_prefix="/api/instances", description="办件")
blp.before_request(require_login)


@blp.route("", methods=["POST"])
@blp.response(201, CaseOut)
def start():
    """Accept an application (受理) and start its flow; the body is the `case_start` form."""
    return cases.start_case(db.session, current_account(), request.get_json(silent=True) or {})


@blp.route("/<int:case_id>")
@blp.response(200, CaseDetailOut)
def detail(case_id: int):
    """Status, item, current tasks (role, unit, assignee, due date) and the audit history."""
    return cases.case_view(db.session, current_account(), case_id)
