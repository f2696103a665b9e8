"""候选组对照: the national table of vendor candidate groups beside a region's own entries, kept by the region's
administrators. Who may keep which region, and what an entry may say, is engine.org.group_roles' (over
permissions.group_table_regions), exactly as for /api/group-roles; the page only shows and posts."""

from flask import flash, redirect, render_template, request, url_for

from engine.core.errors import Invalid
from engine.org import group_roles
from server.extensions import db
from server.login import current_account
from web.formdata import flat_errors
from web.guard import page_blueprint

bp = page_blueprint("group_table", __name__, "/admin/group-roles")


@bp.route("")
def table(values: dict | None = None, errors: dict | None = None, status: int = 200):
    admin = current_account()
    regions = group_roles.editable_regions(db.session, admin)
    values, errors = values or {}, dict(errors or {})
    region = values["region"] if "region" in values else request.args.get("region", regions[0] if regions else None)
    entries = []
    if region is not None:
        try:
            entries = group_roles.entries(db.session, admin, region)
        except Invalid as exc:
            errors.update(flat_errors(exc.errors))
            region, status = None, 422
    return render_template(
        "admin/group_roles.html",
        regions=regions,
        region=region,
        entries=entries,
        overridden={entry.group_name.casefold() for entry in entries},
        national=sorted(group_roles.national_table().items()),
        roles=group_roles.role_choices(),
        values=values,
        errors=errors,
    ), status


@bp.route("", methods=["POST"])
def set_role():
    posted = {name: request.form.get(name, "") for name in ("region", "group", "role")}
    try:
        entry = group_roles.set_role(db.session, current_account(), posted["region"], posted["group"], posted["role"])
    except Invalid as exc:
        return table(posted, flat_errors(exc.errors), 422)
    flash(f"已保存：{entry.region}的候选组“{entry.group_name}”对应“{group_roles.lane_of(entry.role)}”", "success")
    return redirect(url_for("group_table.table", region=entry.region))


@bp.route("/<int:entry_id>/remove", methods=["POST"])
def remove(entry_id: int):
    entry = group_roles.remove(db.session, current_account(), entry_id)
    flash(f"已删除{entry.region}的候选组“{entry.group_name}”：此后按全国对照表转换", "success")
    return redirect(url_for("group_table.table", region=entry.region))
