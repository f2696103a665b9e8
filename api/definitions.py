"""Process definitions (流程设计员 only): upload a diagram as a new version of the designer's region, list the
versions the designer may see, read one and its diff against the base."""

import json

from flask import jsonify, request
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from api.schemas import DefinitionOut
from engine.bpmn import deployment, validation, vendor, versions
from engine.bpmn.deployment import ProcessIdClash
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("definitions", __name__, url_prefix="/api/definitions", description="流程定义")
blp.before_request(require_login)


class RegionalDefinitionOut(DefinitionOut):
    region = fields.String(
        allow_none=True,
        metadata={
            "description": "The region (a unit's name, e.g. 丰城市) whose items run this version; null: the national base"
        },
    )


class NoteOut(Schema):
    element_id = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    message = fields.String()


class UploadedDefinitionOut(RegionalDefinitionOut):
    notes = fields.List(
        fields.Nested(NoteOut),
        metadata={
            "description": "What the designer should know although the diagram deployed, e.g. a process marked "
            'isExecutable="false" that the product runs anyway (element_id, line, message)'
        },
    )
    conversion = fields.Dict(
        allow_none=True,
        metadata={
            "description": "With `?convert=vendor`: vendors found, what was mapped and what was not (element_id, line, message)"
        },
    )


class ListedDefinitionOut(RegionalDefinitionOut):
    current = fields.Boolean(
        metadata={
            "description": "New cases of its region (or, for a base version, of regions without their own) start on it"
        }
    )
    running = fields.Integer(metadata={"description": "Cases running on this version"})
    total = fields.Integer(metadata={"description": "Cases ever started on this version"})
    deployed_by_name = fields.String(
        metadata={
            "description": "Who deployed it as people read it: 流程设计员（丰城市）, or 系统（随程序发布） for the "
            "shipped diagrams the system deploys (`deployed_by` is the username)"
        }
    )


class FieldChangeOut(Schema):
    field = fields.String(
        metadata={"description": "type, name, lane, form_key, stage, timers, condition, script, called"}
    )
    label = fields.String()
    before = fields.String()
    after = fields.String()


class ElementChangeOut(Schema):
    element_id = fields.String()
    kind = fields.String(metadata={"description": "added, removed or changed"})
    type = fields.String(metadata={"description": "the BPMN element type, e.g. userTask"})
    type_label = fields.String()
    name = fields.String()
    differences = fields.List(
        fields.Nested(FieldChangeOut),
        attribute="fields",
        data_key="fields",
        metadata={"description": "for a changed element: what differs"},
    )


class DiffOut(Schema):
    definition = fields.Nested(RegionalDefinitionOut)
    against = fields.Nested(
        RegionalDefinitionOut,
        allow_none=True,
        metadata={
            "description": "The version compared with: the latest base version for a region's version (else the "
            "region's previous one), the previous base version for a base version; null when there is none"
        },
    )
    changes = fields.List(fields.Nested(ElementChangeOut))


DIAGRAM = {"type": "string", "format": "binary", "description": "BPMN 2.0 XML（UTF-8、UTF-16 或 XML 声明所写的编码）"}
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        **DIAGRAM,
                        "description": "BPMN 2.0 XML, or with ?convert=vendor a .zip of one diagram and its .form files",
                    },
                    "forms": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "With ?convert=vendor: Camunda Forms (.form JSON) the diagram links (formRef, camunda-forms:)",
                    },
                    "groups": {
                        "type": "string",
                        "description": 'With ?convert=vendor: JSON object candidate group → role code for this upload, over the region\'s table, e.g. {"deptLeader": "township_clerk"}',
                    },
                },
            },
        },
        "application/xml": {"schema": DIAGRAM},
        "text/xml": {"schema": DIAGRAM},
    },
}
UPLOAD_PARAMETERS = [
    {
        "in": "query",
        "name": "convert",
        "schema": {"type": "string", "enum": ["vendor"]},
        "description": "`vendor`: convert Camunda/Flowable/Activiti settings first",
    },
    {
        "in": "query",
        "name": "timers",
        "schema": {"type": "string", "enum": ["calendar", "working_days"], "default": "calendar"},
        "description": "With ?convert=vendor: keep timer durations as calendar time, or count whole days (P3D) as working days",
    },
    {
        "in": "query",
        "name": "rename_to",
        "schema": {"type": "string"},
        "description": "Deploy the diagram's process under this id (when its id is the base's for another diagram)",
    },
]


class _Listed:
    """A listed version: the definition's columns with its case counts and whether new cases start on it."""

    def __init__(self, version: versions.Version) -> None:
        self.current, self.running, self.total = version.current, version.running, version.total
        self.deployed_by_name = version.deployer
        self._definition = version.definition

    def __getattr__(self, name: str):
        return getattr(self._definition, name)


@blp.route("", methods=["POST"])
@blp.doc(parameters=UPLOAD_PARAMETERS, requestBody=UPLOAD_BODY)
@blp.response(201, UploadedDefinitionOut)
@blp.alt_response(
    409,
    description="The process id is the base's for a different diagram: `errors.rename_to` names the clash, "
    "`suggested_id` a free id; upload again with `?rename_to=`",
)
def upload():
    """Upload a `.bpmn` (multipart field `file`, or the raw XML as the body) as a version of the caller's region.

    A region's designer deploys for their region (the base is deployed by system-level designers): the region's
    items run it from then on, other regions keep theirs. Refused with 422 and `problems` (element id, line,
    message) when it does not validate; identical content returns the existing version with `created: false`
    and status 200. A process id the base uses for a different diagram is refused with 409 (see below) unless
    `?rename_to=<new id>` deploys it under a new id. `?convert=vendor` first maps Camunda/Flowable/Activiti
    `candidateGroups` (through the region's group table, `groups` over it), the initiator as `assignee`, vendor
    forms (`formProperty`, `formData`, Camunda Forms given as `forms` files or in a zip) into forms kept with the
    version, and timer literals and Quartz crons, and answers with a `conversion` report (also on a 422, whose
    problems then name lines of the uploaded file; `unmapped_groups` lists the groups to map).
    """
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    if not data:
        abort(422, message="请上传 BPMN 文件", errors={"file": ["缺少文件内容"]})
    name = upload.filename if upload else "upload.bpmn"
    if request.args.get("convert", "vendor") != "vendor":
        abort(422, message="参数有误", errors={"convert": ["只能为 vendor（转换 Camunda/Flowable/Activiti 流程图）"]})
    rename_to = request.args.get("rename_to") or None
    timers = request.args.get("timers", "calendar")
    if timers not in ("calendar", "working_days"):
        abort(422, message="参数有误", errors={"timers": ["只能为 calendar（日历时长）或 working_days（工作日）"]})
    try:
        if request.args.get("convert") == "vendor":
            data, name, form_files = vendor.unpack(
                data, name, {f.filename or "": f.read() for f in request.files.getlist("forms")}
            )
            try:
                definition, created, conversion = vendor.deploy_vendor_diagram(
                    db.session,
                    current_account(),
                    data,
                    name,
                    rename_to=rename_to,
                    groups=_chosen_groups(request.form.get("groups")),
                    form_files=form_files,
                    working_days=timers == "working_days",
                )
            except vendor.InvalidVendorDiagram as exc:
                return jsonify(
                    code=422,
                    status="Unprocessable Entity",
                    message=exc.message,
                    errors=exc.errors,
                    problems=exc.problems,
                    conversion=exc.conversion.to_dict(),
                ), 422
            definition.conversion = conversion.to_dict()
        else:
            definition, created = deployment.deploy(db.session, current_account(), data, name, rename_to=rename_to)
    except ProcessIdClash as exc:
        return jsonify(
            code=409, status="Conflict", message=exc.message, errors=exc.errors, suggested_id=exc.suggestion
        ), 409
    definition.created = created
    definition.notes = [note.to_dict() for note in validation.notes_of(definition.bpmn_xml.encode("utf-8"))]
    return definition, 201 if created else 200


def _chosen_groups(text: str | None) -> dict[str, str]:
    """The `groups` field: a JSON object of group → role code (422 naming the field otherwise)."""
    if not text:
        return {}
    try:
        chosen = json.loads(text)
    except ValueError:
        chosen = None
    if not isinstance(chosen, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in chosen.items()):
        abort(422, message="参数有误", errors={"groups": ["应为 JSON 对象：候选组 → 角色代码"]})
    return chosen


@blp.route("")
@blp.response(200, ListedDefinitionOut(many=True))
def listing():
    """List the versions the caller may see.

    Newest first within each process: the base and the caller's region's (every region's for a system-level
    designer), never another region's. 流程设计员 only.
    """
    return [_Listed(version) for version in versions.versions(db.session, current_account())]


@blp.route("/<int:definition_id>")
@blp.response(200, RegionalDefinitionOut)
def one(definition_id: int):
    """One version (404 for another region's)."""
    return versions.version_xml(db.session, current_account(), definition_id)


@blp.route("/<int:definition_id>/diff")
@blp.response(200, DiffOut)
def diff(definition_id: int):
    """What a version changes against the base, element by element.

    Elements added, removed and changed (matched by element id), a changed one with each of its facts that differ:
    type, name, lane, form, stage, timer expressions, condition, script, called process. A region's version is
    compared with the latest base version of its process (else with the region's previous version), a base
    version with the previous base version. 404 for another region's version.
    """
    return versions.version_diff(db.session, current_account(), definition_id)
