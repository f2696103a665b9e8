"""Pages for the scans of a case (附件): uploads from a case or task page, opening a scan or its thumbnail, and
withdrawing one — the same engine functions as the REST API, each answer a flash message on the page one
came from."""

from flask import flash, redirect, request, url_for

from engine.attachments import service
from engine.attachments.checks import ACCEPT, CASE_TOO_LARGE, FILE_TOO_LARGE, MAX_CASE_BYTES, MAX_FILE_BYTES
from engine.core.errors import Invalid
from server.downloads import INLINE, scan_response
from server.extensions import db
from server.login import current_account
from web.guard import page_blueprint

bp = page_blueprint("scans", __name__)

PAGE_REQUEST_LIMIT = MAX_CASE_BYTES + 2 * 1024 * 1024
"""A page may send several scans at once (an upload, or 受理 with a scan per material): at most a case's worth."""
PAGE_UPLOADS = {"scans.upload", "clerk.accept"}
SCAN_LIMITS = {
    "accept": ACCEPT,
    "max_file_bytes": MAX_FILE_BYTES,
    "hint": f"JPG、PNG 或 PDF；{FILE_TOO_LARGE}，{CASE_TOO_LARGE}",
    "file_too_large": FILE_TOO_LARGE,
}
bp.add_app_template_global(SCAN_LIMITS, "scan_limits")


@bp.before_app_request
def _page_upload_limit():
    """Pages that take scans read a larger body than the rest of the site (set before CSRF reads the form)."""
    if request.method == "POST" and request.endpoint in PAGE_UPLOADS:
        request.max_content_length = PAGE_REQUEST_LIMIT


@bp.app_template_filter("file_size")
def file_size(size: int | None) -> str:
    """1234567 → 1.2 MB; 2048 → 2 KB."""
    if size is None:
        return ""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(round(size / 1024), 1)} KB"


def _next(default: str) -> str:
    """Where the form came from (`next`: a path of this site, a case or task page), else `default`."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _back(case_id: int) -> str:
    return _next(url_for("clerk.case", case_id=case_id))


@bp.route("/cases/<int:case_id>/attachments", methods=["POST"])
def upload(case_id: int):
    user = current_account()
    material = request.form.get("material", "").strip()
    files = [f for f in request.files.getlist("file") if f.filename]
    if not files:
        flash("请选择要上传的文件", "error")
        return redirect(_back(case_id))
    done = 0
    for upload in files:
        try:
            service.attach(db.session, user, case_id, material, upload.filename or "", upload.read())
        except Invalid as exc:
            messages = [m for field in ("material", "file") for m in exc.errors.get(field, [])] or [exc.message]
            flash(f"{upload.filename}：{'；'.join(messages)}", "error")
            if "material" in exc.errors:
                break
        else:
            done += 1
    if done:
        flash(f"已上传 {done} 个附件（{material}）", "success")
    return redirect(_back(case_id))


@bp.route("/attachments/<int:attachment_id>")
def show(attachment_id: int):
    """The scan itself, shown by the browser (each opening is recorded in the case's history)."""
    return scan_response(service.open_attachment(db.session, current_account(), attachment_id), INLINE)


@bp.route("/attachments/<int:attachment_id>/thumbnail")
def thumbnail(attachment_id: int):
    scan = service.open_attachment(db.session, current_account(), attachment_id, thumbnail=True)
    return scan_response(scan, INLINE, cache="private, max-age=300")


@bp.route("/attachments/<int:attachment_id>/delete", methods=["POST"])
def delete(attachment_id: int):
    service.delete_attachment(db.session, current_account(), attachment_id)
    flash("附件已删除", "success")
    return redirect(_next(request.referrer or url_for("clerk.inbox")))
