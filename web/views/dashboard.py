"""The SLA dashboard (时效统计) for administrators and 督办员: charts and their numbers, and the monthly 通报.

Every figure comes from `engine.reporting.assessment.report` (the same as `GET /api/sla` and its workbook);
these pages only lay them out.
"""

from flask import render_template, request
from marshmallow import ValidationError

from engine.catalogue.offering import items_of_scope
from engine.core.clock import clock
from engine.core.errors import Invalid
from engine.org import accounts
from engine.reporting import assessment, sla
from server import replica
from server.args import SlaQuery
from server.extensions import db
from server.login import current_account
from web.formdata import flat_errors
from web.guard import page_blueprint

bp = page_blueprint("dashboard", __name__, "/admin")


@bp.route("/sla")
def sla_page():
    user = current_account()
    args, figures, errors = _figures(user)
    return _page(user, figures, args, errors, 400 if errors else 200)


@bp.route("/sla/bulletin")
def bulletin():
    """The monthly 通报, printable on A4: units ranked, late stages, overdue cases (this month unless told)."""
    user = current_account()
    args, figures, errors = _figures(user, default_month=clock.now().strftime("%Y-%m"))
    if errors:
        return _page(user, None, args, errors, 400)
    return render_template("admin/bulletin.html", figures=figures, month=args["month"], args=args)


def _figures(user, default_month: str | None = None) -> tuple[dict, dict | None, dict]:
    """The filters as the query string gives them (a month by default when asked), and the report or errors."""
    args = {key: value for key, value in request.args.items() if value != ""}
    if default_month and not {"from", "to"} & set(args):
        args.setdefault("month", default_month)
    try:
        query = SlaQuery().load(args)
    except ValidationError as exc:
        return args, None, flat_errors(exc.messages)
    filters = sla.SlaFilter(query.get("first"), query.get("last"), query.get("org") or user.org.code, query.get("item"))
    try:
        return args, assessment.report(replica.stale_ok(), user, filters), {}
    except Invalid as exc:
        return args, None, flat_errors(exc.errors)


def _bar(name: str, timeliness: dict) -> dict:
    return {
        "name": name,
        "rate": timeliness["on_time_rate"],
        "on_time": timeliness["on_time"],
        "late": timeliness["late"],
    }


def _page(user, figures, args, errors, status):
    charts = None
    if figures is not None:
        charts = {
            "units": [_bar(row["org"].name, row["concluded"]) for row in figures["by_unit"]],
            "items": [_bar(row["item"].name, row["concluded"]) for row in figures["by_item"]],
            "overdue": sla.overdue_by_stage(figures["overdue_tasks"]),
            "stages": [_bar(f"{row['unit'].name}·{row['stage']}", row) for row in figures["stages"]],
            "ratings": figures["ratings"]["levels"],
        }
    return render_template(
        "admin/sla.html",
        figures=figures,
        by_unit=figures["by_unit"] if figures else [],
        by_item=figures["by_item"] if figures else [],
        charts=charts,
        overdue_by_stage=sla.overdue_by_stage(figures["overdue_tasks"]) if figures else {},
        args=args,
        errors=errors,
        units=accounts.units_in_scope(db.session, user),
        items=items_of_scope(db.session, user),
    ), status
