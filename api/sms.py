"""The SMS outbox for administrators: counts by state and the latest messages of their scope."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.cases.applicants import masked_mobile
from engine.sms import listing, texts
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("sms", __name__, url_prefix="/api/sms-messages", description="短信通知")
blp.before_request(require_login)


class OutboxQuery(Schema):
    state = fields.String(
        metadata={"description": "pending 待发送 / sending 发送中 / sent 已发送 / failed 发送失败 / cancelled 已撤回"}
    )
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(1, listing.MAX_LISTED, error="每次最多列出 {max} 条，至少 {min} 条"),
    )


class SmsOut(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    case_no = fields.String(attribute="case.case_no")
    kind = fields.String()
    kind_label = fields.Function(lambda m: texts.kind_label(m.kind))
    mobile = fields.Function(lambda m: masked_mobile(m.mobile), metadata={"description": "已脱敏"})
    body = fields.String()
    state = fields.String()
    state_label = fields.Function(lambda m: texts.state_labels().get(m.state, m.state))
    attempts = fields.Integer()
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class OutboxOut(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "按状态的条数"})
    items = fields.List(fields.Nested(SmsOut), attribute="messages")


@blp.route("")
@blp.arguments(OutboxQuery(), location="query")
@blp.response(200, OutboxOut)
def outbox(query):
    """Messages to applicants of the administrator's scope: counts by state and the latest, newest first."""
    return listing.outbox_of(db.session, current_account(), query.get("state"), query["limit"])
