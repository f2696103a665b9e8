"""The calendar page: years covered, which are provisional, a year's days, and loading a new notice."""

import tempfile
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for

from engine.core.clock import clock
from engine.org.permissions import ensure_admin, is_system_level
from engine.workcalendar import HolidayDataError, upkeep
from server.extensions import db
from server.login import current_account
from web.guard import page_blueprint

bp = page_blueprint("calendar_admin", __name__, "/admin/calendar")


def _directory() -> str:
    return current_app.config["HOLIDAYS_DIR"]


@bp.route("")
def years(errors: list[str] | None = None, status: int = 200):
    user = current_account()
    ensure_admin(user)
    supported, official = upkeep.covered_years(_directory())
    this_year = clock.now().year
    year = request.args.get("year", type=int) or this_year
    if year not in supported:
        errors = (errors or []) + [f"只支持{supported.start}年至{supported.stop - 1}年"]
        year, status = this_year, 400
    shown = sorted(set(official) | {this_year, this_year + 1})
    return render_template(
        "admin/calendar.html",
        overview=upkeep.year_overview(_directory(), year),
        shown=shown,
        official=set(official),
        supported=supported,
        may_load=is_system_level(user),
        errors=errors or [],
    ), status


@bp.route("", methods=["POST"])
def load():
    """Upload a year file: the same checks, installation and recompute as `flask calendar load`."""
    upload = request.files.get("notice")
    if upload is None or not upload.filename:
        return years(["请选择放假安排文件（.toml）"], 400)
    name = upkeep.uploaded_notice_name(upload.filename)
    if name is None:
        return years(["文件名无效，请选择放假安排文件（.toml）后重新上传"], 400)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "notice.toml"  # the page's own name: what the browser sent names no path here
        upload.save(source)
        try:
            loaded = upkeep.load_notice(db.session, current_account(), _directory(), source)
        except HolidayDataError as exc:
            return years([f"{name} 第 {exc.line} 行：{exc.message}"], 422)
    action = "替换" if loaded.replaced else "载入"
    flash(
        f"已{action}{loaded.schedule.year}年放假安排（{loaded.schedule.notice}），全年 {loaded.working_days} 个工作日；"
        f"已重算 {loaded.recomputed} 个待办时限",
        "success",
    )
    return redirect(url_for("calendar_admin.years", year=loaded.schedule.year))
