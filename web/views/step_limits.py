"""环节时限: an item's human steps with their limits (清单时限 / 默认时限 / 已调整), adjusted by the administrators of the
item's region. Who may adjust what is engine.tasks.step_limit_admin's, exactly as for /api/step-limits."""

from flask import flash, redirect, render_template, request, url_for

from engine.core.errors import Invalid
from engine.tasks import step_limit_admin
from server.extensions import db
from server.login import current_account
from web.formdata import flat_errors
from web.guard import page_blueprint

bp = page_blueprint("step_limit_table", __name__, "/admin/step-limits")


@bp.route("")
def page(values: dict | None = None, errors: dict | None = None, status: int = 200):
    admin = current_account()
    items = step_limit_admin.items_of(db.session, admin)
    values = values or {}
    item_id = values.get("item") or request.args.get("item") or (items[0].id if items else None)
    item, rows = step_limit_admin.steps_of(db.session, admin, item_id) if item_id else (None, [])
    return render_template(
        "admin/step_limits.html", items=items, item=item, rows=rows, values=values, errors=errors or {}
    ), status


@bp.route("", methods=["POST"])
def adjust():
    posted = {name: request.form.get(name, "").strip() for name in ("item", "step", "days")}
    days: object = int(posted["days"]) if posted["days"].isdigit() else posted["days"]
    try:
        entry = step_limit_admin.set_limit(db.session, current_account(), posted["item"], posted["step"], days)
    except Invalid as exc:
        return page(posted, flat_errors(exc.errors), 422)
    flash(f"已调整：该环节时限改为 {entry.days} 个工作日，此后新办理的环节按此计时", "success")
    return redirect(url_for("step_limit_table.page", item=entry.item_id))


@bp.route("/<int:override_id>/remove", methods=["POST"])
def remove(override_id: int):
    entry = step_limit_admin.remove(db.session, current_account(), override_id)
    flash("已恢复默认时限", "success")
    return redirect(url_for("step_limit_table.page", item=entry.item_id))
