"""Printed notices of a case (受理单, 一次性告知书, 审核不通过告知书, 办结通知) as print-ready A4 HTML."""

from datetime import date, datetime

import segno
from flask import render_template
from flask_smorest import Blueprint
from markupsafe import Markup

from engine.cases import notices
from server.extensions import db
from server.login import current_account, require_login
from server.public import progress_page_url, progress_url, rating_page_url, rating_url

blp = Blueprint(
    "documents", __name__, url_prefix="/api/instances", template_folder="templates", description="办件文书（打印）"
)
blp.before_request(require_login)

HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
# The notices that invite the applicant to rate the service (好差评): the one kept from 受理 and the one of 办结.
RATED_ON = (notices.RECEIPT, notices.CONCLUSION)


def cn_date(value: date | datetime | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


@blp.route("/<int:case_id>/documents/<kind>")
@blp.doc(
    responses={
        "200": {"description": "A4 打印页（HTML）", **HTML},
        "404": {"description": "办件不存在、无权查看，或没有这种文书"},
        "409": {"description": "该文书尚不能出具（如材料未补齐、尚未办结）"},
    }
)
def document(case_id: int, kind: str):
    """One notice of the case: `receipt`, `missing_materials`, `rejection` or `conclusion`."""
    notice = notices.notice(db.session, current_account(), case_id, kind)
    extra = _progress_link(notice.case_no) if notice.kind == notices.RECEIPT and notice.case_no else {}
    if notice.kind in RATED_ON and notice.case_no:
        extra |= _rating_link(notice.case_no)
    page = render_template(f"documents/{notice.kind}.html", notice=notice, case_id=case_id, cn_date=cn_date, **extra)
    return page, 200, {"Content-Type": "text/html; charset=utf-8"}


def _progress_link(case_no: str) -> dict:
    """The 受理单's way to the public progress page: its address and a QR code of it with the number filled in,
    drawn inline as SVG so that printing needs no network."""
    url = progress_url(case_no)
    qr = segno.make(url, error="m").svg_inline(scale=0.75, unit="mm", title=url, svgclass="progress-qr")
    return {"progress_page": progress_page_url(), "progress_url": url, "progress_qr": Markup(qr)}


def _rating_link(case_no: str) -> dict:
    """The way to the applicant's 好差评 page, drawn like the progress link."""
    url = rating_url(case_no)
    qr = segno.make(url, error="m").svg_inline(scale=0.75, unit="mm", title=url, svgclass="rating-qr")
    return {"rating_page": rating_page_url(), "rating_url": url, "rating_qr": Markup(qr)}
