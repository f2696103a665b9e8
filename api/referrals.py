"""首问负责 over HTTP: record a referral and list those the caller's unit (or scope) made or received."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api import bodies
from api.schemas import OrgRef, UserRef
from engine.cases import referrals
from engine.cases.applicants import masked_id_number, masked_mobile
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("referrals", __name__, url_prefix="/api", description="首问负责")
blp.before_request(require_login)


class ReferralOut(Schema):
    id = fields.Integer()
    org = fields.Nested(OrgRef, metadata={"description": "首问（登记）单位"})
    referred_to = fields.Nested(OrgRef, metadata={"description": "转介单位"})
    item_id = fields.String(allow_none=True, metadata={"description": "事项编号；单纯咨询为空"})
    item_name = fields.String(allow_none=True)
    applicant_name = fields.String()
    id_number = fields.Function(lambda r: masked_id_number(r.id_number), metadata={"description": "已脱敏"})
    mobile = fields.Function(lambda r: masked_mobile(r.mobile) or None, metadata={"description": "已脱敏"})
    question = fields.String(metadata={"description": "咨询或申请内容"})
    recorded_by = fields.Nested(UserRef)
    recorded_at = fields.DateTime()


class ReferralList(Schema):
    items = fields.List(fields.Nested(ReferralOut))


@blp.route("/referrals", methods=["POST"])
@blp.doc(requestBody=bodies.REFERRAL)
@blp.response(201, ReferralOut)
@blp.alt_response(422, description="填写有误（errors 按字段给出）；未知事项或单位编码同样答复")
def record():
    """Record a 首问负责 referral at the caller's window unit (`referral` form)."""
    return referrals.record_referral(db.session, current_account(), bodies.json_object())


@blp.route("/referrals")
@blp.response(200, ReferralList)
def listing():
    """The latest 50 referrals the caller's unit made or received, newest first; an administrator's, those of the scope."""
    return {"items": referrals.recent_referrals(db.session, current_account())}
