"""The public progress page: an applicant types (or scans) the 办件编号 and the last six characters of the
ID number and reads where the case stands. No log-in; a GET form (it changes nothing, so no CSRF token),
limited with the REST lookup per client address (server/public.py)."""

from flask import Blueprint, render_template, request
from flask_limiter.errors import RateLimitExceeded

from engine.cases import progress
from engine.core.errors import Invalid, NotFound
from server.extensions import db
from server.public import PROGRESS_PATH, TOO_MANY_TRIES, progress_limit
from web.guard import TEMPLATES, show_store_failures

bp = Blueprint("progress_page", __name__, template_folder=TEMPLATES)
show_store_failures(bp)


def _page(case_no: str, status: int = 200, **context):
    context.setdefault("errors", {})
    return render_template("progress.html", case_no=case_no, **context), status


@bp.route(PROGRESS_PATH)
@progress_limit
def page():
    case_no = request.args.get("case_no", "").strip()
    if "id_tail" not in request.args:  # the empty form, or the QR code's link with the number filled in
        return _page(case_no)
    try:
        found = progress.progress_of(db.session, case_no, request.args["id_tail"])
    except Invalid as exc:
        return _page(case_no, 422, errors=exc.errors)
    except NotFound as exc:
        return _page(case_no, 404, message=exc.message)
    return _page(case_no, result=found)


@bp.errorhandler(RateLimitExceeded)
def _too_many_tries(exc: RateLimitExceeded):
    return _page(request.args.get("case_no", "").strip(), 429, message=TOO_MANY_TRIES)
