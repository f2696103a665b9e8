"""Role inboxes and work on tasks: claim, release (unclaim), complete."""

from flask_smorest import Blueprint, abort
from marshmallow import fields, validate

from api import bodies
from api.schemas import PageOut, TaskDetailOut, TaskOut
from engine.tasks import work
from server.args import PageQuery
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="待办任务")
blp.before_request(require_login)


class InboxQuery(PageQuery):
    view = fields.String(
        load_default=work.CANDIDATE,
        validate=validate.OneOf([work.CANDIDATE, work.MINE], error="应为 candidate（待认领）或 mine（我的待办）"),
    )


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
@blp.doc(requestBody=bodies.COMPLETION)
@blp.response(200, TaskOut)
def complete(task_id: str):
    """Complete the caller's task; the body is `{"data": {...}}` as the task's form asks."""
    data = bodies.json_object().get("data") or {}
    if not isinstance(data, dict):
        abort(422, message="请求体格式有误", errors={"data": ["应为 JSON 对象：该任务表单的数据"]})
    return work.complete(db.session, current_account(), task_id, data)
