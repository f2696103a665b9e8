"""Process definitions: upload a diagram as a new version (流程设计员 only), list versions."""

from flask import jsonify, request
from flask_smorest import Blueprint, abort
from marshmallow import fields
from sqlalchemy import select

from api.schemas import DefinitionOut
from engine.bpmn import deployment, vendor
from engine.core.models import ProcessDefinition
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("definitions", __name__, url_prefix="/api/definitions", description="流程定义")
blp.before_request(require_login)


class UploadedDefinitionOut(DefinitionOut):
    conversion = fields.Dict(
        allow_none=True,
        metadata={
            "description": "With `?convert=vendor`: vendors found, what was mapped and what was not (element_id, line, message)"
        },
    )


@blp.route("", methods=["POST"])
@blp.response(201, UploadedDefinitionOut)
def upload():
    """Upload a `.bpmn` (multipart field `file`, or the raw XML as the body).

    Refused with 422 and `problems` (element id, line, message) when it does not validate;
    identical content returns the existing version with `created: false` and status 200.
    `?convert=vendor` first maps Camunda/Flowable/Activiti `candidateGroups`, `assignee`, `formKey`
    and bare ISO timer literals, and answers with a `conversion` report (also on a 422).
    """
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    if not data:
        abort(422, message="请上传 BPMN 文件", errors={"file": ["缺少文件内容"]})
    name = upload.filename if upload else "upload.bpmn"
    if request.args.get("convert", "vendor") != "vendor":
        abort(422, message="参数有误", errors={"convert": ["只能为 vendor（转换 Camunda/Flowable/Activiti 流程图）"]})
    if request.args.get("convert") == "vendor":
        try:
            definition, created, conversion = vendor.deploy_vendor_diagram(db.session, current_account(), data, name)
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
        definition, created = deployment.deploy(db.session, current_account(), data, name)
    definition.created = created
    return definition, 201 if created else 200


@blp.route("")
@blp.response(200, DefinitionOut(many=True))
def listing():
    """Every deployed version, newest first."""
    return db.session.scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.process_key, ProcessDefinition.version.desc())
    ).all()
