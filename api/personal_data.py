"""Applicants' personal data over HTTP: the full numbers of one case on asking (recorded), and who saw whose data."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.schemas import OrgRef, UserRef
from engine.cases import personal_data
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("personal_data", __name__, url_prefix="/api", description="申请人个人信息（完整证件号的查看与记录）")
blp.before_request(require_login)


class RevealedOut(Schema):
    case_id = fields.Integer()
    case_no = fields.String()
    name = fields.String(attribute="applicant.name")
    id_number = fields.String(attribute="applicant.id_number", metadata={"description": "完整身份证号"})
    mobile = fields.String(attribute="applicant.mobile", metadata={"description": "完整手机号"})


class ViewsQuery(Schema):
    # Checked by the engine, which names a missing or malformed number (422 on `id_number`).
    id_number = fields.String(load_default="", metadata={"description": "申请人身份证号（18位，末位可为X）"})


class DataViewOut(Schema):
    at = fields.DateTime()
    action = fields.String(
        metadata={"description": "personal_data_viewed（查看完整证件号）或 attachment_viewed（查看附件）"}
    )
    action_label = fields.String(attribute="label")
    case_id = fields.Integer()
    case_no = fields.String()
    user = fields.Nested(UserRef, allow_none=True)
    org = fields.Nested(OrgRef, allow_none=True)
    seen = fields.String(metadata={"description": "看到了什么：完整证件号和手机号，或某份附件"})


@blp.route("/instances/<int:case_id>/personal-data", methods=["POST"])
@blp.response(200, RevealedOut)
@blp.alt_response(403, description="调用者所在单位没有该办件的在办任务")
@blp.alt_response(404, description="办件不存在或无权查看")
def reveal(case_id: int):
    """显示完整证件号: the applicant's full ID number and mobile, for staff of a unit holding an open task of the
    case; who asked, when and at which unit is recorded in the case's history (`personal_data_viewed`)."""
    return personal_data.reveal(db.session, current_account(), case_id)


@blp.route("/personal-data-views")
@blp.arguments(ViewsQuery(), location="query", as_kwargs=True)
@blp.response(200, DataViewOut(many=True))
@blp.alt_response(403, description="只有系统管理员可以查询")
@blp.alt_response(422, description="身份证号缺失或有误（errors.id_number）")
def views(id_number: str):
    """Who saw an applicant's personal data (administrators): each showing of the full numbers and each opening
    of a scan, on the cases of that ID number within the caller's scope, newest first."""
    return personal_data.views_of(db.session, current_account(), id_number)
