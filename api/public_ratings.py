"""The applicant's 好差评 over HTTP, without an account: 办件编号 plus the last six characters of the ID number."""

from flask import current_app
from flask_limiter.errors import RateLimitExceeded
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api import bodies
from engine.reporting import ratings
from server.extensions import db
from server.public import TOO_MANY_RATING_TRIES, rating_limit

blp = Blueprint("public_ratings", __name__, url_prefix="/api/public", description="好差评（申请人，公开，无需登录）")


class PublicRatingOut(Schema):
    case_no = fields.String(attribute="instance.case_no", metadata={"description": "办件编号"})
    level = fields.String(metadata={"description": "非常满意、满意、基本满意、不满意或非常不满意"})
    stage = fields.String(metadata={"description": "被评价的环节"})
    unit = fields.String(attribute="responsible_org.name", metadata={"description": "办理该环节的单位"})
    comment = fields.String(allow_none=True)
    recorded_at = fields.DateTime()
    follow_up = fields.Function(
        lambda rating: rating.rectification_id is not None,
        metadata={"description": "差评：该单位将整改，督办员将回访"},
    )


@blp.errorhandler(RateLimitExceeded)
def too_many_tries(exc: RateLimitExceeded):
    return {"code": 429, "status": "Too Many Requests", "message": TOO_MANY_RATING_TRIES}, 429


@blp.route("/ratings", methods=["POST"])
@blp.doc(requestBody=bodies.PUBLIC_RATING)
@blp.response(201, PublicRatingOut)
@blp.alt_response(404, description="未找到该办件，请核对办件编号和身份证号后六位（编号不存在与尾号不符答复相同）")
@blp.alt_response(409, description="该办件已评价（一次一评），或尚未办结")
@blp.alt_response(422, description="填写有误（errors 按字段说明）")
@blp.alt_response(429, description="同一地址每分钟最多提交10次")
@rating_limit
def rate():
    """The applicant rates a concluded case once; a 差评 opens 整改 at the unit whose stage was rated."""
    body = bodies.json_object()
    return ratings.rate_as_applicant(db.session, body, current_app.config.get("RATING_RECTIFICATION_DAYS"))
