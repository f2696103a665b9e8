"""Administrators' pages: the running cases, one case with its diagram, history, deadlines and actions."""

from math import ceil

from flask import flash, jsonify, redirect, render_template, request, url_for
from marshmallow import ValidationError, fields, validate

from engine.bpmn.marks import case_diagram
from engine.cases import admin, casefile, lifecycle, queries
from engine.cases.history import ACTION_LABELS
from engine.catalogue.offering import items_of_scope
from engine.core.errors import Invalid
from engine.org import accounts
from engine.org.permissions import ADMIN, may_read_sms_outbox
from engine.sms import listing as sms_listing
from server import replica
from server.args import CaseListQuery
from server.extensions import db
from server.login import current_account
from web.formdata import flat_errors
from web.guard import page_blueprint

bp = page_blueprint("manage", __name__, "/admin")

ACTIONS = {
    "suspend": (lambda s, u, c, r: admin.suspend(s, u, c, r), "已挂起"),
    "resume": (lambda s, u, c, r: admin.resume(s, u, c), "已恢复"),
    "terminate": (lambda s, u, c, r: admin.terminate(s, u, c, r), "已终止"),
    "retry": (lambda s, u, c, r: admin.retry(s, u, c), "已重试"),
}


class InstanceQuery(CaseListQuery):
    """The REST listing's filters, plus the states only administrators' actions produce."""

    status = fields.String(validate=validate.OneOf(list(lifecycle.STATUS_LABELS), error="未知办件状态"))


@bp.route("/instances")
def instances():
    args = {key: value for key, value in request.args.items() if value != ""}
    try:
        query = InstanceQuery().load(args)
    except ValidationError as exc:
        query, errors, status = {"page": 1, "per_page": 20}, flat_errors(exc.messages), 400
    else:
        errors, status = {}, 200
    page, per_page = query.pop("page"), query.pop("per_page")
    result = queries.CasePage([], 0, page, per_page)
    user = current_account()
    if not errors:
        try:
            result = queries.list_cases(replica.stale_ok(), user, queries.CaseFilter(**query), page, per_page)
        except Invalid as exc:
            errors, status = flat_errors(exc.errors), 400
    rows = queries.listed_cases(db.session, result.items)
    return render_template(
        "admin/instances.html",
        rows=rows,
        total=result.total,
        total_capped=result.total_capped,
        page=result.page,
        pages=max(ceil(result.total / per_page), 1),
        args=request.args,
        errors=errors,
        items=items_of_scope(db.session, user),
        units=accounts.units_in_scope(db.session, user),
        status_labels=lifecycle.STATUS_LABELS,
        sms_counts=sms_listing.counts_of(db.session, user) if may_read_sms_outbox(user) else None,
    ), status


@bp.route("/instances/<int:case_id>")
def instance(case_id: int, errors: dict | None = None, status: int = 200):
    user = current_account()
    file = casefile.case_file(db.session, user, case_id)
    return render_template(
        "admin/instance.html",
        file=file,
        view=file.view,
        case=file.case,
        tasks=file.stages,
        deadline=file.deadline,
        is_admin=ADMIN in user.roles,
        offered=admin.offered_actions(file.case),
        action_labels=ACTION_LABELS | admin.ACTION_LABELS,
        status_labels=lifecycle.STATUS_LABELS,
        errors=errors or {},
    ), status


@bp.route("/instances/<int:case_id>/diagram.json")
def diagram(case_id: int):
    marks = case_diagram(db.session, current_account(), case_id)
    return jsonify(
        xml=marks.bpmn_xml, version=marks.version, completed=marks.completed, active=marks.active, taken=marks.taken
    )


@bp.route("/instances/<int:case_id>/<action>", methods=["POST"])
def act(case_id: int, action: str):
    if action not in ACTIONS:
        return render_template("error.html", title="未找到", message="没有这项操作"), 404
    run, done = ACTIONS[action]
    try:
        run(db.session, current_account(), case_id, request.form.get("reason", ""))
    except Invalid as exc:
        return instance(case_id, errors=exc.errors, status=422)
    flash(done, "success")
    return redirect(url_for("manage.instance", case_id=case_id))
