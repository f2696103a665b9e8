"""Scanned materials of a case (附件): upload one, list a case's, download one or its thumbnail, withdraw one."""

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.schemas import UserRef
from engine.attachments import service
from engine.attachments.checks import ACCEPT, MAX_CASE_BYTES, MAX_FILE_BYTES
from server.downloads import INLINE, scan_response
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("attachments", __name__, url_prefix="/api", description="办件附件（扫描件）")
blp.before_request(require_login)

REQUEST_LIMIT = MAX_FILE_BYTES + 512 * 1024
"""One scan and the multipart envelope around it; a larger body is refused (413) before it is read."""


@blp.before_request
def _upload_limit():
    if request.endpoint == "attachments.upload":
        request.max_content_length = REQUEST_LIMIT


class AttachmentOut(Schema):
    id = fields.Integer()
    material = fields.String(metadata={"description": "事项材料名称"})
    file_name = fields.String()
    content_type = fields.String(
        metadata={"description": "按文件内容判断的类型：image/jpeg、image/png 或 application/pdf"}
    )
    size = fields.Integer(metadata={"description": "字节数"})
    pages = fields.Integer(allow_none=True, metadata={"description": "PDF 的页数；图片为空"})
    stage = fields.String(metadata={"description": "上传时的环节：受理，或当时任务的名称"})
    uploaded_by = fields.Nested(UserRef)
    uploaded_at = fields.DateTime()
    has_thumbnail = fields.Boolean()
    deletable = fields.Boolean(metadata={"description": "调用者现在能否删除（上传单位、本环节尚未结束）"})


FILE_BYTES = {"content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in ACCEPT.split(",")}}
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "material"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": f"JPG、PNG 或 PDF（按内容判断），不超过 {MAX_FILE_BYTES // 2**20} MB；"
                        f"一个办件合计不超过 {MAX_CASE_BYTES // 2**20} MB",
                    },
                    "material": {"type": "string", "description": "该事项的一项材料名称"},
                },
            }
        }
    },
}


@blp.route("/instances/<int:case_id>/attachments", methods=["POST"])
@blp.doc(
    requestBody=UPLOAD_BODY,
    responses={
        "403": {"description": "调用者没有该办件的在办任务，也不是办理中办件的受理单位"},
        "404": {"description": "办件不存在或无权查看"},
        "413": {"description": "请求体超过单个文件的上限"},
        "422": {"description": "文件类型、大小或材料名称不符合要求（errors.file / errors.material）"},
    },
)
@blp.response(201, AttachmentOut)
def upload(case_id: int):
    """Attach a scan of one of the item's materials (multipart fields `file` and `material`)."""
    upload = request.files.get("file")
    return service.attach(
        db.session,
        current_account(),
        case_id,
        request.form.get("material", "").strip(),
        (upload.filename or "") if upload else "",
        upload.read() if upload else b"",
    )


@blp.route("/instances/<int:case_id>/attachments")
@blp.response(200, AttachmentOut(many=True))
def listing(case_id: int):
    """The scans of a case, oldest first; visible to whoever may see the case."""
    return service.attachments_of(db.session, current_account(), case_id)


@blp.route("/attachments/<int:attachment_id>")
@blp.doc(
    responses={
        "200": {"description": "扫描件原文件（以附件方式下载）；每次下载都记入办件历史", **FILE_BYTES},
        "404": {"description": "附件不存在或无权查看"},
    }
)
def download(attachment_id: int):
    """The scan's bytes, typed as sniffed when it was uploaded; the download is recorded in the case's history."""
    return scan_response(service.open_attachment(db.session, current_account(), attachment_id))


@blp.route("/attachments/<int:attachment_id>/thumbnail")
@blp.doc(
    responses={
        "200": {
            "description": "JPEG 缩略图（最长边 320 像素）",
            "content": {"image/jpeg": {"schema": {"type": "string"}}},
        },
        "404": {"description": "附件不存在、无权查看，或不是图片（PDF 没有缩略图）"},
    }
)
def thumbnail(attachment_id: int):
    """A small JPEG of an image scan."""
    scan = service.open_attachment(db.session, current_account(), attachment_id, thumbnail=True)
    return scan_response(scan, INLINE, cache="private, max-age=300")


@blp.route("/attachments/<int:attachment_id>", methods=["DELETE"])
@blp.doc(
    responses={
        "403": {"description": "不是上传该附件的单位"},
        "404": {"description": "附件不存在或无权查看"},
        "409": {"description": "该附件所在环节已结束（下一环节已开始），或办件不在办理中"},
    }
)
@blp.response(204)
def delete(attachment_id: int):
    """Withdraw a scan: by the unit that uploaded it, before the next stage begins."""
    service.delete_attachment(db.session, current_account(), attachment_id)
