"""What vendor diagrams' candidate groups mean in a region (候选组对照): read and kept by the region's administrators;
an upload with `?convert=vendor` by the region's designers applies it over the national table."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.org import group_roles
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("group_roles", __name__, url_prefix="/api/group-roles", description="候选组对照（系统管理员）")
blp.before_request(require_login)


class GroupRoleIn(Schema):
    region = fields.String(
        required=True, validate=validate.Length(max=100), metadata={"description": "地区，如 丰城市"}
    )
    group = fields.String(
        required=True, validate=validate.Length(max=100), metadata={"description": "流程图中的候选组，如 deptLeader"}
    )
    role = fields.String(
        required=True, validate=validate.Length(max=40), metadata={"description": "角色代码，如 township_clerk"}
    )


class RegionQuery(Schema):
    region = fields.String(required=True, validate=validate.Length(max=100))


class GroupRoleOut(Schema):
    id = fields.Integer()
    region = fields.String()
    group = fields.String(attribute="group_name")
    role = fields.String()
    lane = fields.Method("lane_name", metadata={"description": "角色对应的泳道名称"})
    set_by = fields.String()
    set_at = fields.DateTime()

    def lane_name(self, entry) -> str:
        return group_roles.lane_of(entry.role)


class GroupTableOut(Schema):
    region = fields.String()
    entries = fields.List(fields.Nested(GroupRoleOut), metadata={"description": "本地区设置的候选组（优先）"})
    national = fields.Dict(metadata={"description": "全国对照表：候选组（小写）→ 角色代码"})
    roles = fields.Dict(metadata={"description": "可选角色：角色代码 → 泳道名称"})


@blp.route("", methods=["GET"])
@blp.arguments(RegionQuery(), location="query")
@blp.response(200, GroupTableOut)
def table(query):
    """A region's own groups with the national table under them (a region outside the caller's scope: 422)."""
    region = query["region"]
    return {
        "region": region,
        "entries": group_roles.entries(db.session, current_account(), region),
        "national": group_roles.national_table(),
        "roles": group_roles.role_choices(),
    }


@blp.route("", methods=["POST"])
@blp.arguments(GroupRoleIn())
@blp.response(200, GroupRoleOut)
def set_role(body):
    """Say which role a group means in a region (replacing what it meant there)."""
    return group_roles.set_role(db.session, current_account(), body["region"], body["group"], body["role"])


@blp.route("/<int:entry_id>", methods=["DELETE"])
@blp.response(204)
def remove(entry_id: int):
    """Drop a region's own group: the national table applies to it again (another region's entry: 404)."""
    group_roles.remove(db.session, current_account(), entry_id)
