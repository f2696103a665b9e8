"""好差评 over HTTP: record a concluded case's rating (by id or by 办件编号) and read it back."""

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api import bodies
from api.schemas import OrgRef, UserRef
from engine.reporting import ratings
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("ratings", __name__, url_prefix="/api", description="好差评")
blp.before_request(require_login)


class RectificationRef(Schema):
    id = fields.Integer()
    case_no = fields.String()
    status = fields.String()
    org = fields.Nested(OrgRef)
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class RatingOut(Schema):
    instance_id = fields.Integer()
    case_no = fields.String(attribute="instance.case_no")
    level = fields.String(metadata={"description": "非常满意、满意、基本满意、不满意或非常不满意"})
    comment = fields.String(allow_none=True)
    stage = fields.String(allow_none=True, metadata={"description": "被评价的环节（申请人所选，默认最后一个环节）"})
    channel = fields.String(metadata={"description": "window：窗口评价器，工作人员登记；online：申请人在线评价"})
    recorded_at = fields.DateTime()
    recorded_by = fields.Nested(UserRef, allow_none=True, metadata={"description": "登记的工作人员（在线评价为空）"})
    responsible_org = fields.Nested(
        OrgRef, allow_none=True, metadata={"description": "办理被评价环节的单位，差评在此整改"}
    )
    rectification = fields.Nested(RectificationRef, allow_none=True, metadata={"description": "差评整改办件"})


def _rectification_days() -> int | None:
    return current_app.config.get("RATING_RECTIFICATION_DAYS")


@blp.route("/instances/<int:case_id>/rating", methods=["POST"])
@blp.doc(requestBody=bodies.RATING)
@blp.response(201, RatingOut)
def rate(case_id: int):
    """Record the rating the applicant gave at the window's 评价器 (the `rating` form, optional `stage`); a 差评
    opens 整改 at the unit whose stage was rated."""
    body = bodies.json_object()
    return ratings.rate_case(db.session, current_account(), case_id, body, _rectification_days())


@blp.route("/instances/<int:case_id>/rating")
@blp.response(200, RatingOut)
def rating(case_id: int):
    """A case's rating and, for a 差评, where its 整改 stands."""
    return ratings.rating_of(db.session, current_account(), case_id)


@blp.route("/ratings", methods=["POST"])
@blp.doc(requestBody=bodies.RATING_BY_CASE_NO)
@blp.response(201, RatingOut)
@blp.alt_response(422, description="填写有误；没有该编号的办件与无权查看的办件答复相同（errors.case_no）")
def rate_by_case_no():
    """Record a rating later, by the 办件编号 the applicant quotes: `{case_no, level, comment}`."""
    body = bodies.json_object()
    return ratings.rate_by_case_no(db.session, current_account(), body, _rectification_days())
