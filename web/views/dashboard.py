"""The SLA dashboard (时效统计) for administrators and 督办员: charts and their numbers.

Every figure comes from `engine.sla.sla_figures`; the breakdowns per unit and per item are that same
call for each unit directly under the scope and for each item of the scope's region.
"""

from flask import render_template, request
from marshmallow import ValidationError

from engine.catalogue.flows import catalog
from engine.core.errors import Invalid
from engine.org import accounts
from engine.org.routing import ancestry
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
        return _page(None, [], [], args, flat_errors(exc.messages), 400)
    filters = sla.SlaFilter(query.get("first"), query.get("last"), query.get("org") or user.org.code, query.get("item"))
    try:
        figures = sla.sla_figures(db.session, user, filters)
    except Invalid as exc:
        return _page(None, [], [], args, flat_errors(exc.errors), 400)
    scope = figures["scope"]
    by_unit = [
        (unit, sla.sla_figures(db.session, user, _narrowed(filters, org=unit.code))["concluded"])
        for unit in accounts.units(db.session)
        if scope is not None and unit.parent_id == scope.id
    ]
    by_item = [
        (item, timeliness)
        for item, timeliness in (
            (item, sla.sla_figures(db.session, user, _narrowed(filters, item=item.id))["concluded"])
            for item in _items_of(scope, filters.item)
        )
        if timeliness["total"]
    ]
    return _page(figures, by_unit, by_item, args, {}, 200)


def _narrowed(filters: sla.SlaFilter, **changes) -> sla.SlaFilter:
    return sla.SlaFilter(**{**filters.__dict__, **changes})


def _items_of(scope, only: str | None):
    """Items of the lists of the scope's region (the unit or a unit above it names the region)."""
    regions = {unit.name for unit in ancestry(scope)} if scope is not None else None
    return [
        item
        for item in catalog().items
        if (regions is None or item.region in regions) and (only is None or item.id == only)
    ]


def _stage_totals(overdue_tasks: list[dict]) -> dict[str, int]:
    """Overdue open tasks by stage, over every unit, for the chart."""
    totals: dict[str, int] = {}
    for group in overdue_tasks:
        totals[group["stage"]] = totals.get(group["stage"], 0) + group["count"]
    return totals


def _page(figures, by_unit, by_item, args, errors, status):
    charts = None
    if figures is not None:
        charts = {
            "units": [
                {"name": unit.name, "rate": t["on_time_rate"], "on_time": t["on_time"], "late": t["late"]}
                for unit, t in by_unit
            ],
            "items": [
                {"name": item.name, "rate": t["on_time_rate"], "on_time": t["on_time"], "late": t["late"]}
                for item, t in by_item
            ],
            "overdue": _stage_totals(figures["overdue_tasks"]),
            "stages": [{"name": s["stage"], "days": s["average_working_days"]} for s in figures["stages"]],
            "ratings": figures["ratings"]["levels"],
        }
    return render_template(
        "admin/sla.html",
        figures=figures,
        by_unit=by_unit,
        by_item=by_item,
        charts=charts,
        overdue_by_stage=_stage_totals(figures["overdue_tasks"]) if figures else {},
        args=args,
        errors=errors,
        units=accounts.units(db.session),
        items=catalog().items,
    ), status
