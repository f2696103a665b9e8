"""容缺受理 and 补正 over HTTP: the window records 容缺补交, and reads its 待补正 list with the days left."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api import bodies
from api.schemas import PromiseOut
from engine.cases import promises, supplements
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("deferral", __name__, url_prefix="/api", description="容缺受理与补正")
blp.before_request(require_login)


class PendingOut(Schema):
    case_id = fields.Integer()
    case_no = fields.String()
    item_name = fields.String()
    applicant_name = fields.String()
    applicant_id = fields.String(metadata={"description": "已脱敏"})
    kind = fields.String(metadata={"description": "supplement（一次性告知后待补正）或 deferred（容缺受理待补交）"})
    kind_label = fields.String()
    materials = fields.List(fields.String(), metadata={"description": "待补的材料"})
    last_day = fields.Date(metadata={"description": "补正期限或承诺补交日期的最后一天"})
    days_left = fields.Integer(metadata={"description": "剩余天数（补正按事项规定的自然日或工作日计）"})
    overdue = fields.Boolean()
    status = fields.String(metadata={"description": "剩余N天、今日到期、补正期满或逾期未补"})


class PendingList(Schema):
    items = fields.List(fields.Nested(PendingOut))


@blp.route("/pending-supplements")
@blp.response(200, PendingList)
@blp.alt_response(403, description="调用者不是窗口人员或系统管理员")
def pending():
    """待补正: the cases the caller's window waits on for 补正 or 容缺补交, the nearest last day first
    (an administrator: the windows of the scope)."""
    return {"items": supplements.pending_supplements(db.session, current_account())}


@blp.route("/instances/<int:case_id>/deferred-materials", methods=["POST"])
@blp.doc(requestBody=bodies.DEFERRED_SUPPLY)
@blp.response(200, PromiseOut)
@blp.alt_response(403, description="调用者不是受理单位的窗口人员")
@blp.alt_response(404, description="办件不存在、不在调用者范围内，或不是容缺受理")
@blp.alt_response(409, description="材料已全部补交，或办件不在办理中")
@blp.alt_response(422, description="补交材料不是待补交的容缺材料（errors 按字段说明）")
def supply(case_id: int):
    """容缺补交: `{"received": [material names]}` brought in by the applicant; once none is outstanding the case
    may conclude."""
    return promises.supply(db.session, current_account(), case_id, bodies.json_object())
