"""Timers and their incidents, for administrators."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.timers import listing
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("timers", __name__, url_prefix="/api/timers", description="定时器与异常")
blp.before_request(require_login)


class TimerQuery(Schema):
    incidents = fields.Boolean(load_default=False, metadata={"description": "只看触发失败、等待重试的定时器"})
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(1, listing.MAX_LISTED, error="每次最多列出 {max} 个，至少 {min} 个"),
    )


class TimerOut(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    case_no = fields.String(attribute="instance.case_no")
    title = fields.String()
    kind = fields.String(allow_none=True)
    state = fields.String()
    fire_at = fields.DateTime()
    attempts = fields.Integer()
    retry_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


@blp.route("")
@blp.arguments(TimerQuery(), location="query")
@blp.response(200, TimerOut(many=True))
def waiting(query):
    """Waiting timers, earliest first; `incidents=true` keeps those whose case failed to advance."""
    return listing.waiting_timers(db.session, current_account(), query["incidents"], query["limit"])
