"""个人信息查看记录: for administrators, who saw an applicant's full ID number and mobile or opened their scans."""

from flask import render_template, request

from engine.cases import personal_data
from engine.core.errors import Invalid
from engine.org.permissions import ensure_admin
from server.extensions import db
from server.login import current_account
from web.formdata import flat_errors
from web.guard import page_blueprint

bp = page_blueprint("privacy", __name__, "/admin")


@bp.route("/personal-data")
def views():
    """The views of one applicant's data, by the ID number typed; the empty form asks for one."""
    user = current_account()
    ensure_admin(user)
    id_number = request.args.get("id_number", "").strip()
    rows, errors, status = [], {}, 200
    if id_number:
        try:
            rows = personal_data.views_of(db.session, user, id_number)
        except Invalid as exc:
            errors, status = flat_errors(exc.errors), 400
    return render_template(
        "admin/personal_data.html", id_number=id_number, rows=rows, errors=errors, limit=personal_data.MAX_LISTED
    ), status
