"""The applicant's 好差评 page: opened from the QR code of the 受理单 or the 办结通知, no log-in.

Two posts, both CSRF-checked and counted by the rate limit of server/public.py: the 办件编号 and the ID
number's last six characters first (the stages of the case are shown only to whoever knows both), then
the level, the stage (the last by default) and a comment, sent with the same two values again.
"""

from flask import Blueprint, current_app, render_template, request
from flask_limiter.errors import RateLimitExceeded

from engine.core.errors import Conflict, Invalid, NotFound
from engine.reporting import ratings
from forms.choices import options
from forms.registry import FormInvalid
from server.extensions import csrf, db
from server.public import RATING_PATH, TOO_MANY_RATING_TRIES, rating_limit
from web.formdata import flat_errors
from web.guard import TEMPLATES, show_store_failures

bp = Blueprint("rating_page", __name__, template_folder=TEMPLATES)
show_store_failures(bp)

RATE = "rate"  # the second post; the first names no step


@bp.before_request
def _csrf():
    if request.method == "POST":
        csrf.protect()


def _page(status: int = 200, **context):
    context.setdefault("errors", {})
    context.setdefault("case_no", request.values.get("case_no", "").strip())
    return render_template("rating.html", levels=options("rating_levels"), **context), status


@bp.route(RATING_PATH, methods=["GET", "POST"])
@rating_limit
def page():
    if request.method == "GET":
        return _page()
    form = request.form
    case_no, id_tail = form.get("case_no", ""), form.get("id_tail", "")
    try:
        case, stages = ratings.rateable_stages(db.session, case_no, id_tail)
    except Invalid as exc:
        return _page(422, errors=exc.errors)
    except (NotFound, Conflict) as exc:
        return _page(404 if isinstance(exc, NotFound) else 409, message=exc.message)
    chosen = {"id_tail": id_tail.strip(), "stage": form.get("stage") or stages[-1].title}
    if form.get("step") != RATE:
        return _page(case=case, stages=stages, chosen=chosen)
    chosen.update(level=form.get("level", ""), comment=form.get("comment", ""))
    body = {key: chosen[key] for key in ("level", "comment", "stage")} | {"case_no": case_no, "id_tail": id_tail}
    try:
        rating = ratings.rate_as_applicant(db.session, body, current_app.config.get("RATING_RECTIFICATION_DAYS"))
    except FormInvalid as exc:
        return _page(422, case=case, stages=stages, chosen=chosen, errors=flat_errors(exc.errors))
    except Invalid as exc:
        return _page(422, case=case, stages=stages, chosen=chosen, errors=exc.errors)
    except Conflict as exc:
        return _page(409, message=exc.message)
    return _page(rated=rating)


@bp.errorhandler(RateLimitExceeded)
def _too_many_tries(exc: RateLimitExceeded):
    return _page(429, message=TOO_MANY_RATING_TRIES)
