"""The SLA dashboard (时效统计) for administrators and 督办员: charts and their numbers.

Every figure and breakdown comes from `engine.reporting.sla`; this page only lays them out.
"""

from flask import render_template, request
from marshmallow import ValidationError

from engine.catalogue.offering import items_of_scope
from engine.core.errors import Invalid
from engine.org import accounts
from engine.reporting import sla
from server.args import SlaQuery
from server.extensions import db
from server.login import current_account
from web.formdata import flat_errors
from web.guard import page_blueprint

bp = page_blueprint("dashboard", __name__, "/admin")


@bp.route("/sla")
def sla_page():
    user = current_account()
    args = {key: value for key, value in request.args.items() if value != ""}
    try:
        query = SlaQuery().load(args)
    except ValidationError as exc:
        return _page(user, None, [], [], args, flat_errors(exc.messages), 400)
    filters = sla.SlaFilter(query.get("first"), query.get("last"), query.get("org") or user.org.code, query.get("item"))
    try:
        figures = sla.sla_figures(db.session, user, filters)
    except Invalid as exc:
        return _page(user, None, [], [], args, flat_errors(exc.errors), 400)
    breakdowns = sla.sla_breakdowns(db.session, user, filters)
    return _page(user, figures, breakdowns["by_unit"], breakdowns["by_item"], args, {}, 200)


def _bar(name: str, timeliness: dict) -> dict:
    return {
        "name": name,
        "rate": timeliness["on_time_rate"],
        "on_time": timeliness["on_time"],
        "late": timeliness["late"],
    }


def _page(user, figures, by_unit, by_item, args, errors, status):
    charts = None
    if figures is not None:
        charts = {
            "units": [_bar(row["org"].name, row["concluded"]) for row in by_unit],
            "items": [_bar(row["item"].name, row["concluded"]) for row in by_item],
            "overdue": sla.overdue_by_stage(figures["overdue_tasks"]),
            "stages": [{"name": s["stage"], "days": s["average_working_days"]} for s in figures["stages"]],
            "ratings": figures["ratings"]["levels"],
        }
    return render_template(
        "admin/sla.html",
        figures=figures,
        by_unit=by_unit,
        by_item=by_item,
        charts=charts,
        overdue_by_stage=sla.overdue_by_stage(figures["overdue_tasks"]) if figures else {},
        args=args,
        errors=errors,
        units=accounts.units_in_scope(db.session, user),
        items=items_of_scope(db.session, user),
    ), status
