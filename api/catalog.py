"""The service-item catalogue (事项清单) over HTTP: filtered lists and one item with its flow."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.catalogue import queries
from server.extensions import db
from server.login import require_login

blp = Blueprint("catalog", __name__, url_prefix="/api/catalog", description="事项清单")
blp.before_request(require_login)


class ItemsQuery(Schema):
    region = fields.String(metadata={"description": "地区，如 丰城市"})
    level = fields.String(metadata={"description": "受理层级代码：city、county、township、village、station"})
    org = fields.String(metadata={"description": "单位编码：该单位可受理的事项（所在地区、层级）"})


class MaterialOut(Schema):
    name = fields.String()
    required = fields.Boolean(metadata={"description": "必须提交；false 且有 one_of 时为“具备一项即可”"})
    one_of = fields.String(allow_none=True)


class SourceOut(Schema):
    file = fields.String()
    annex = fields.String(allow_none=True)
    row = fields.Integer(metadata={"description": "附件中的序号"})
    section = fields.String(allow_none=True)


class FlowOut(Schema):
    process_key = fields.String()
    start_form = fields.String(allow_none=True)


def _labelled(codes, labels) -> list[dict]:
    return [{"code": code, "label": labels.get(code, code)} for code in codes]


class ItemOut(Schema):
    id = fields.String(attribute="item.id")
    region = fields.String(attribute="item.region")
    list_id = fields.String(attribute="item.list_id")
    list_title = fields.String(attribute="catalog_list.title")
    code = fields.String(attribute="item.code", allow_none=True)
    name = fields.String(attribute="item.name")
    category = fields.String(attribute="item.category")
    levels = fields.Function(
        lambda v: _labelled(v.item.levels, v.vocabulary.levels), metadata={"description": "可受理层级"}
    )
    pattern = fields.String(attribute="item.pattern")
    pattern_label = fields.Function(lambda v: v.vocabulary.patterns[v.item.pattern].label)
    stage = fields.String(attribute="item.stage", metadata={"description": "办理环节：全部办结 或 收件受理"})
    limit_days = fields.Integer(
        attribute="item.limit_days", allow_none=True, metadata={"description": "办理时限（工作日），0 为即时办结"}
    )
    flow_inferred = fields.Boolean(attribute="item.flow_inferred")


class ItemDetailOut(ItemOut):
    pattern_steps = fields.Function(lambda v: v.vocabulary.patterns[v.item.pattern].steps)
    limit_text = fields.String(attribute="item.limit_text", allow_none=True)
    stage_limits = fields.Function(
        lambda v: [
            {"stage": name, "label": v.vocabulary.stage_limits.get(name, name), "days": days}
            for name, days in v.item.stage_limits.items()
        ],
        metadata={"description": "分段时限（工作日），按流程顺序"},
    )
    level_limits = fields.Function(lambda v: dict(v.item.level_limits))
    materials = fields.List(fields.Nested(MaterialOut), attribute="item.materials")
    steps_text = fields.String(attribute="item.steps_text", allow_none=True)
    conditions = fields.String(attribute="item.conditions", allow_none=True)
    station_types = fields.Function(lambda v: _labelled(v.item.station_types, v.vocabulary.station_types))
    proxy_for = fields.String(attribute="item.proxy_for", allow_none=True)
    remark = fields.String(attribute="item.remark", allow_none=True)
    note = fields.String(attribute="item.note", allow_none=True)
    inferred = fields.Function(
        lambda v: sorted(v.item.inferred), metadata={"description": "清单未给出、由审校人员推定的字段"}
    )
    source = fields.Nested(SourceOut, attribute="item.source")
    supplements = fields.List(fields.Nested(SourceOut), attribute="item.supplements")
    flow = fields.Nested(FlowOut, allow_none=True, metadata={"description": "办理该事项的流程；尚未配置时为 null"})


@blp.route("/items")
@blp.arguments(ItemsQuery(), location="query", as_kwargs=True)
@blp.response(200, ItemOut(many=True))
def items(**filters):
    """Items of a region (`region`), acceptable at a level (`level`), or offered at a unit (`org`)."""
    return queries.find_items(db.session, **filters)


@blp.route("/items/<item_id>")
@blp.response(200, ItemDetailOut)
def item(item_id: str):
    """One item: materials, limits, stage limits, 办理环节, flow pattern and process, and its source row."""
    return queries.item_view(item_id)
