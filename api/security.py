"""The security log (安全日志) for administrators: sign-ins, failures, lock-outs, password changes, log-outs,
accounts created and deactivated, refused access."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.org import security_log
from server.args import SecurityEventQuery
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("security_events", __name__, url_prefix="/api/security-events", description="安全日志（系统管理员）")
blp.before_request(require_login)


class SecurityEventOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String(metadata={"description": "事件类型，如 login、login_failed、locked、password_changed"})
    action_label = fields.String(metadata={"description": "事件类型的中文名称"})
    username = fields.String(allow_none=True, metadata={"description": "所涉用户名（登录时输入的用户名可能并不存在）"})
    user_id = fields.Integer(allow_none=True)
    org_code = fields.String(allow_none=True, metadata={"description": "所涉用户的单位编码"})
    org_name = fields.String(allow_none=True)
    remote_addr = fields.String(allow_none=True, metadata={"description": "请求来源地址"})
    detail = fields.Dict(metadata={"description": "其他说明：via（page 或 api）、reason、by（操作的管理员）等"})
    described = fields.List(fields.String(), metadata={"description": "detail 的中文说明，如「途径：网页」"})


class SecurityEventPageOut(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(SecurityEventOut))


@blp.route("", methods=["GET"])
@blp.arguments(SecurityEventQuery(), location="query")
@blp.response(200, SecurityEventPageOut)
@blp.alt_response(403, description="只有系统管理员可以查看")
def listing(query):
    """The security log, newest first: by event type (`action`), user name, and day range (`from`, `to`,
    inclusive, Asia/Shanghai), paginated (`page`, `per_page`)."""
    page, per_page = query.pop("page"), query.pop("per_page")
    action = query.pop("action", None)
    wanted = security_log.EventFilter(actions=[action] if action else [], **query)
    return security_log.events(db.session, current_account(), wanted, page, per_page)
