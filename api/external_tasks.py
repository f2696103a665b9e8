"""External tasks waiting for workers and their incidents, for administrators (the workers' own interface is
/engine-rest)."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.tasks import external
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("external_tasks", __name__, url_prefix="/api/external-tasks", description="外部任务与故障")
blp.before_request(require_login)


class ExternalTaskQuery(Schema):
    incidents = fields.Boolean(load_default=False, metadata={"description": "只看重试次数已用尽的外部任务（故障）"})


class ExternalTaskAdminOut(Schema):
    id = fields.String()
    instance_id = fields.Integer()
    case_no = fields.String(attribute="business_key", allow_none=True)
    activity = fields.String(attribute="activity_name")
    topic = fields.String()
    worker_id = fields.String(allow_none=True)
    lock_expires_at = fields.DateTime(allow_none=True)
    retries = fields.Integer(allow_none=True)
    error_message = fields.String(allow_none=True)
    error_details = fields.String(allow_none=True)
    created_at = fields.DateTime()


@blp.route("")
@blp.arguments(ExternalTaskQuery(), location="query")
@blp.response(200, ExternalTaskAdminOut(many=True))
def waiting(query):
    """External tasks of the administrator's scope, oldest first; `incidents=true` keeps those with no retries left."""
    return external.admin_listing(db.session, current_account(), query["incidents"])
