"""Role inboxes and work on tasks: claim, release (unclaim), complete."""

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.schemas import PageOut, TaskDetailOut, TaskOut
from engine.tasks import work
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="待办任务")
blp.before_request(require_login)


class InboxQuery(Schema):
    view = fields.String(load_default=work.CANDIDATE, validate=validate.OneOf([work.CANDIDATE, work.MINE]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


@blp.route("")
@blp.arguments(InboxQuery(), location="query")
@blp.response(200, PageOut)
def inbox(query):
    """待认领 (`view=candidate`) or 我的待办 (`view=mine`), earliest due first."""
    return work.inbox(db.session, current_account(), query["view"], query["page"], query["per_page"])


@blp.route("/<task_id>")
@blp.response(200, TaskDetailOut)
def detail(task_id: str):
    """A task with its case context and the JSON Schema of its form."""
    return work.task_for(db.session, current_account(), task_id)


@blp.route("/<task_id>/claim", methods=["POST"])
@blp.response(200, TaskOut)
def claim(task_id: str):
    """Claim a task; claiming one's own task again changes nothing."""
    return work.claim(db.session, current_account(), task_id)


@blp.route("/<task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskOut)
def unclaim(task_id: str):
    """Give a claimed task back to the candidates."""
    return work.release(db.session, current_account(), task_id)


@blp.route("/<task_id>/complete", methods=["POST"])
@blp.response(200, TaskOut)
def complete(task_id: str):
    """Complete the caller's task; the body is `{"data": {...}}` as the task's form asks."""
    body = request.get_json(silent=True) or {}
    return work.complete(db.session, current_account(), task_id, body.get("data") or {})
