"""Process definitions: upload a diagram as a new version (流程设计员 only), list versions."""
from flask import request
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from api.auth import current_account, require_login
from api.extensions import db
from api.schemas import DefinitionOut
from engine import definitions
from engine.models import ProcessDefinition
from engine.permissions import ensure_designer

blp = Blueprint("definitions", __name__, url_prefix="/api/definitions", description="流程定义")
blp.before_request(require_login)


@blp.route("", methods=["POST"])
@blp.response(201, DefinitionOut)
def upload():
    """Upload a `.bpmn` (multipart field `file`, or the raw XML as the body).

    Refused with 422 and `problems` (element id, line, message) when it does not validate;
    identical content returns the existing version with `created: false` and status 200.
    """
    ensure_designer(current_account())
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    if not data:
        abort(422, message="请上传 BPMN 文件", errors={"file": ["缺少文件内容"]})
    name = upload.filename if upload else "upload.bpmn"
    definition, created = definitions.deploy(db.session, data, name, current_account().username)
    definition.created = created
    return definition, 201 if created else 200


@blp.route("")
@blp.response(200, DefinitionOut(many=True))
def listing():
    """Every deployed version, newest first."""
    return db.session.scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.process_key, ProcessDefinition.version.desc())
    ).all()
