"""Administrators' actions on a case: suspend, resume, terminate (with a reason), retry a failed step."""

from flask_smorest import Blueprint

from api import bodies
from api.schemas import CaseOut
from engine.cases import admin
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("admin", __name__, url_prefix="/api/admin", description="办件管理（系统管理员）")
blp.before_request(require_login)


def _reason() -> str:
    reason = bodies.json_object().get("reason", "")
    return reason if isinstance(reason, str) else ""


@blp.route("/instances/<int:case_id>/suspend", methods=["POST"])
@blp.doc(requestBody=bodies.reason_body(required=False))
@blp.response(200, CaseOut)
def suspend(case_id: int):
    """Suspend a running case: its open tasks leave every inbox until it is resumed. Body: `{"reason": "…"}`."""
    return admin.suspend(db.session, current_account(), case_id, _reason())


@blp.route("/instances/<int:case_id>/resume", methods=["POST"])
@blp.response(200, CaseOut)
def resume(case_id: int):
    """Resume a suspended case."""
    return admin.resume(db.session, current_account(), case_id)


@blp.route("/instances/<int:case_id>/terminate", methods=["POST"])
@blp.doc(requestBody=bodies.reason_body(required=True))
@blp.response(200, CaseOut)
def terminate(case_id: int):
    """Terminate a case and cancel its waiting tasks; `{"reason": "…"}` is required (422 without)."""
    return admin.terminate(db.session, current_account(), case_id, _reason())


@blp.route("/instances/<int:case_id>/retry", methods=["POST"])
@blp.response(200, CaseOut)
def retry(case_id: int):
    """Run a case's engine steps again after an error (409 when nothing failed)."""
    return admin.retry(db.session, current_account(), case_id)
