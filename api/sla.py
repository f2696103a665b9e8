"""SLA figures (时效统计) over HTTP, for administrators and 督办员."""

from urllib.parse import quote

from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.schemas import OrgRef
from engine.reporting import assessment, sla, workbook
from server import dumping, replica
from server.args import SlaQuery
from server.login import current_account, require_login

blp = Blueprint("sla", __name__, url_prefix="/api/sla", description="时效统计")
blp.before_request(require_login)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX = {"content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}


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


class StageTimeliness(Schema):
    completed = fields.Integer(metadata={"description": "期间内已办任务"})
    on_time = fields.Integer(metadata={"description": "在环节期限前办完"})
    late = fields.Integer(metadata={"description": "超过环节期限办完"})
    without_limit = fields.Integer(metadata={"description": "无环节期限"})
    on_time_rate = fields.Float(allow_none=True)
    avg_working_days = fields.Float(allow_none=True, metadata={"description": "平均用时（工作日）"})


class UnitStage(StageTimeliness):
    unit = fields.Nested(OrgRef, metadata={"description": "办理该环节的单位"})
    stage = fields.String(metadata={"description": "环节"})


class UnitAssessment(Schema):
    unit = fields.Nested(OrgRef)
    concluded = fields.Nested(Timeliness, metadata={"description": "本单位受理、期间内办结的办件"})
    stages = fields.Nested(StageTimeliness, metadata={"description": "本单位办理的各环节合计"})
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Float(allow_none=True),
        metadata={
            "description": "比率无数据时为空；审核通过/不通过、不予受理、容缺、补正、首问、代办、好差评等（键见 count_columns）"
        },
    )


class CountColumn(Schema):
    key = fields.String()
    label = fields.String()
    rate = fields.Boolean(metadata={"description": "比率（0–1）"})


class OverdueCase(Schema):
    case_no = fields.String()
    item_name = fields.String()
    unit = fields.Nested(OrgRef, metadata={"description": "受理单位"})
    started_at = fields.DateTime()
    due_at = fields.DateTime(metadata={"description": "办理期限届满时刻"})
    due_on = fields.Date(metadata={"description": "办理期限的最后一天"})
    completed_at = fields.DateTime(allow_none=True, metadata={"description": "空为尚未办结"})
    overdue_working_days = fields.Integer(metadata={"description": "超期工作日"})


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
    stages = fields.List(fields.Nested(UnitStage), metadata={"description": "期间内各单位各环节的按时率与平均用时"})
    ratings = fields.Nested(RatingDistribution)
    referrals = fields.Nested(ReferralCounts, metadata={"description": "期间内首问负责转介（登记与收到）"})
    by_unit = fields.List(
        fields.Nested(UnitTimeliness),
        metadata={"description": "范围内各受理单位（本单位受理的办件，不含下级）的办结按时/超期；合计即 concluded"},
    )
    by_item = fields.List(fields.Nested(ItemTimeliness), metadata={"description": "有办结办件的各事项的按时/超期"})
    units = fields.List(
        fields.Nested(UnitAssessment), metadata={"description": "考核：范围内各单位（按环节按时率排名）"}
    )
    count_columns = fields.List(fields.Nested(CountColumn), metadata={"description": "units.counts 的各项名称"})
    overdue_cases = fields.List(
        fields.Nested(OverdueCase), metadata={"description": "期间内超期办结的办件和当前已超期未办结的办件"}
    )


# A province's report holds 30,000 fields: dumped by `server.dumping` from the schema the route documents.
DUMP_SLA = dumping.dumper(SlaOut())


@blp.route("")
@blp.arguments(SlaQuery(), location="query", as_kwargs=True)
@blp.response(200, SlaOut)
def figures(first=None, last=None, org=None, item=None):
    """Concluded on time vs late, overdue open tasks, 考核 per unit and per stage (on-time rate, working days),
    review decisions and the rules' counts, 好差评, overdue cases."""
    report = assessment.report(replica.stale_ok(), current_account(), sla.SlaFilter(first, last, org, item))
    return jsonify(DUMP_SLA(report))


@blp.route("/export.xlsx")
@blp.arguments(SlaQuery(), location="query", as_kwargs=True)
@blp.doc(responses={"200": {"description": "Excel 工作簿（概况、各单位考核、各环节时效、超期办件）", **XLSX}})
def export(first=None, last=None, org=None, item=None):
    """The same figures as `GET /api/sla` as an Excel workbook."""
    report = assessment.report(replica.stale_ok(), current_account(), sla.SlaFilter(first, last, org, item))
    name = quote(f"考核统计-{report['scope'].code if report['scope'] else '全部'}-{first or ''}-{last or ''}.xlsx")
    headers = {"Content-Type": XLSX_TYPE, "Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
    return workbook.assessment_workbook(report), 200, headers
