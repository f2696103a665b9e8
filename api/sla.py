"""SLA figures (时效统计) over HTTP, for administrators and 督办员."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.schemas import OrgRef
from engine.reporting import sla
from server.args import SlaQuery
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("sla", __name__, url_prefix="/api/sla", description="时效统计")
blp.before_request(require_login)


class Timeliness(Schema):
    total = fields.Integer()
    on_time = fields.Integer(metadata={"description": "按时办结"})
    late = fields.Integer(metadata={"description": "超期办结"})
    without_limit = fields.Integer(metadata={"description": "无办理时限"})
    on_time_rate = fields.Float(allow_none=True)


class UnitTimeliness(Schema):
    org = fields.Nested(OrgRef)
    concluded = fields.Nested(Timeliness)


class ItemRef(Schema):
    id = fields.String()
    name = fields.String()


class ItemTimeliness(Schema):
    item = fields.Nested(ItemRef)
    concluded = fields.Nested(Timeliness)


class OverdueGroup(Schema):
    stage = fields.String(metadata={"description": "环节"})
    org = fields.Nested(OrgRef)
    count = fields.Integer()
    earliest_due_at = fields.DateTime()


class StageDuration(Schema):
    stage = fields.String(metadata={"description": "环节"})
    tasks = fields.Integer()
    average_working_days = fields.Float(metadata={"description": "平均用时（工作日）"})


class RatingDistribution(Schema):
    levels = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()
    poor = fields.Integer(metadata={"description": "差评（不满意、非常不满意）"})
    poor_rate = fields.Float(allow_none=True)


class ReferralCounts(Schema):
    made = fields.Integer(metadata={"description": "本范围单位登记的首问转介"})
    received = fields.Integer(metadata={"description": "转介到本范围单位的首问"})


class SlaOut(Schema):
    scope = fields.Nested(OrgRef, allow_none=True, metadata={"description": "统计单位（含下级）；空为全部"})
    first = fields.Date(data_key="from", allow_none=True, attribute="from")
    last = fields.Date(data_key="to", allow_none=True, attribute="to")
    item = fields.String(allow_none=True)
    as_of = fields.DateTime(metadata={"description": "统计时刻（超期任务以此为准）"})
    concluded = fields.Nested(Timeliness, metadata={"description": "办结办件按时/超期"})
    rectifications = fields.Nested(Timeliness, metadata={"description": "差评整改办件按时/超期"})
    overdue_tasks = fields.List(fields.Nested(OverdueGroup), metadata={"description": "当前超期未办任务"})
    stages = fields.List(fields.Nested(StageDuration))
    ratings = fields.Nested(RatingDistribution)
    referrals = fields.Nested(ReferralCounts, metadata={"description": "期间内首问负责转介（登记与收到）"})
    by_unit = fields.List(
        fields.Nested(UnitTimeliness), metadata={"description": "统计单位的各直属下级单位（含其下级）的办结按时/超期"}
    )
    by_item = fields.List(fields.Nested(ItemTimeliness), metadata={"description": "有办结办件的各事项的按时/超期"})


@blp.route("")
@blp.arguments(SlaQuery(), location="query", as_kwargs=True)
@blp.response(200, SlaOut)
def figures(first=None, last=None, org=None, item=None):
    """Concluded on time vs late, overdue open tasks by stage and unit, working days per stage, 好差评."""
    user, filters = current_account(), sla.SlaFilter(first, last, org, item)
    return sla.sla_figures(db.session, user, filters) | sla.sla_breakdowns(db.session, user, filters)
