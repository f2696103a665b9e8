"""The security log (安全日志) for administrators: who signed in, failed, was locked out, changed a password,
logged out, was created or deactivated, was refused."""

from math import ceil

from flask import render_template, request
from marshmallow import ValidationError

from engine.org import security_log
from engine.org.permissions import ensure_admin
from server.args import SecurityEventQuery
from server.extensions import db
from server.login import current_account
from web.formdata import flat_errors
from web.guard import page_blueprint

bp = page_blueprint("security", __name__, "/admin/security")
PER_PAGE = 50


@bp.route("")
def events():
    admin = current_account()
    ensure_admin(admin)
    args = {key: value for key, value in request.args.items() if value != ""}
    args.setdefault("per_page", str(PER_PAGE))
    try:
        query = SecurityEventQuery().load(args)
    except ValidationError as exc:
        query, errors, status = None, flat_errors(exc.messages), 400
    else:
        errors, status = {}, 200
    result = security_log.EventPage([], 0, 1, PER_PAGE)
    if query is not None:
        page, per_page = query.pop("page"), query.pop("per_page")
        action = query.pop("action", None)
        wanted = security_log.EventFilter(actions=[action] if action else [], **query)
        result = security_log.events(db.session, admin, wanted, page, per_page)
    return render_template(
        "admin/security.html",
        events=result.items,
        total=result.total,
        page=result.page,
        pages=max(ceil(result.total / result.per_page), 1),
        args=request.args,
        errors=errors,
        action_labels=security_log.ACTION_LABELS,
    ), status
