"""Step limits (环节时限) of an item's flow: read and adjusted by the administrators of the item's region; a case
opening a step afterwards gets the adjusted limit (the rules are engine.tasks.step_limit_admin's)."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.tasks import step_limit_admin, step_limits
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("step_limits", __name__, url_prefix="/api/step-limits", description="环节时限（系统管理员）")
blp.before_request(require_login)


class ItemQuery(Schema):
    item = fields.String(
        required=True, validate=validate.Length(max=64), metadata={"description": "事项编号，如 fc-t-10"}
    )


class StepLimitIn(Schema):
    item = fields.String(required=True, validate=validate.Length(max=64))
    step = fields.String(
        required=True, validate=validate.Length(max=300), metadata={"description": "环节路径，如 hand_over/hand_over"}
    )
    days = fields.Raw(required=True, metadata={"description": "工作日数，0 为当日24:00前"})


class LimitOut(Schema):
    days = fields.Integer()
    source = fields.String(metadata={"description": "list / default / adjusted"})
    label = fields.String(metadata={"description": "清单时限 / 默认时限 / 已调整"})
    inferred = fields.Boolean(metadata={"description": "无文件依据，由评审人员推定"})
    bounded_by_case = fields.Boolean(metadata={"description": "不晚于办件的办结期限"})
    note = fields.String(metadata={"description": "默认时限的依据"})


class StepOut(Schema):
    step = fields.String(attribute="step.path")
    process = fields.String(attribute="step.process_key")
    title = fields.String()
    stage = fields.String(attribute="step.stage", allow_none=True)
    form_key = fields.String(attribute="step.form_key", allow_none=True)
    limit = fields.Nested(LimitOut, allow_none=True)
    default = fields.Nested(LimitOut, allow_none=True)
    adjustable = fields.Boolean()
    override_id = fields.Integer(attribute="override.id", allow_none=True)


class ItemStepsOut(Schema):
    item = fields.Dict(metadata={"description": "id, name, region"})
    steps = fields.List(fields.Nested(StepOut))


class OverrideOut(Schema):
    id = fields.Integer()
    region = fields.String()
    item = fields.String(attribute="item_id")
    process = fields.String(attribute="process_key")
    step = fields.String()
    days = fields.Integer()
    label = fields.Constant(step_limits.LABELS[step_limits.ADJUSTED])
    set_by = fields.String()
    set_at = fields.DateTime()


@blp.route("", methods=["GET"])
@blp.arguments(ItemQuery(), location="query")
@blp.response(200, ItemStepsOut)
def item_steps(query):
    """Every human step of the item's flow with its limit (an item of another region: 404)."""
    item, rows = step_limit_admin.steps_of(db.session, current_account(), query["item"])
    return {"item": {"id": item.id, "name": item.name, "region": item.region}, "steps": rows}


@blp.route("", methods=["POST"])
@blp.arguments(StepLimitIn())
@blp.response(200, OverrideOut)
def adjust(body):
    """Adjust one step's default limit for the item (a step the list times: 422)."""
    return step_limit_admin.set_limit(db.session, current_account(), body["item"], body["step"], body["days"])


@blp.route("/<int:override_id>", methods=["DELETE"])
@blp.response(204)
def remove(override_id: int):
    """Drop an adjustment: the default applies again (another region's: 404)."""
    step_limit_admin.remove(db.session, current_account(), override_id)
