"""Timers and their incidents, for administrators."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from engine.cases.lifecycle import TIMER_WAITING as WAITING
from engine.core.models import Timer
from engine.org.permissions import ensure_admin
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("timers", __name__, url_prefix="/api/timers", description="定时器与异常")
blp.before_request(require_login)


class TimerQuery(Schema):
    incidents = fields.Boolean(load_default=False, metadata={"description": "只看触发失败、等待重试的定时器"})
    limit = fields.Integer(load_default=100)


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
def listing(query):
    """Waiting timers, earliest first; `incidents=true` keeps those whose case failed to advance."""
    ensure_admin(current_account())
    statement = select(Timer).where(Timer.state == WAITING).order_by(Timer.fire_at).limit(min(query["limit"], 1000))
    if query["incidents"]:
        statement = statement.where(Timer.attempts > 0)
    return db.session.scalars(statement).all()
