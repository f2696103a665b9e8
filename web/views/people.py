"""Users, their roles and the org units: list, create, deactivate, unlock, reset a password (系统管理员)."""

from flask import flash, redirect, render_template, request, url_for

from engine.catalogue.flows import reviewed_catalog
from engine.core.errors import Invalid
from engine.core.reference import reference
from engine.org import accounts, signin
from engine.org.permissions import ensure_admin, is_system_level, unit_kinds_for
from server.extensions import db
from server.login import current_account
from web.formdata import flat_errors
from web.guard import page_blueprint

bp = page_blueprint("people", __name__, "/admin/people")


@bp.route("")
def users(values: dict | None = None, errors: dict | None = None, form: str | None = None, status: int = 200):
    admin = current_account()
    ensure_admin(admin)
    people = accounts.users(db.session, admin)
    return render_template(
        "admin/people.html",
        users=people,
        locked={user.username for user in people if signin.is_locked(user)},
        units=accounts.units_in_scope(db.session, admin),
        roles=reference().roles,
        kinds=reference().kinds,
        new_kinds=unit_kinds_for(admin),
        top_level=is_system_level(admin),
        station_types=reviewed_catalog().vocabulary.station_types,
        values=values or {},
        errors=errors or {},
        form=form,
        me=admin,
    ), status


@bp.route("/users", methods=["POST"])
def create_user():
    form = request.form
    try:
        user = accounts.add_user(
            db.session,
            current_account(),
            form.get("username", "").strip(),
            form.get("password", ""),
            form.getlist("roles"),
            form.get("org", ""),
            form.get("display_name", "").strip() or None,
        )
    except Invalid as exc:
        return users(_posted(), flat_errors(exc.errors), "user", 422)
    flash(f"已创建用户 {user.username}", "success")
    return redirect(url_for("people.users"))


@bp.route("/users/<username>/deactivate", methods=["POST"])
def deactivate(username: str):
    user = accounts.deactivate_user(db.session, current_account(), username)
    flash(f"已停用用户 {user.username}：不能再登录，已发放的令牌失效", "success")
    return redirect(url_for("people.users"))


@bp.route("/users/<username>/unlock", methods=["POST"])
def unlock(username: str):
    user = accounts.unlock(db.session, current_account(), username)
    flash(f"已解除 {user.username} 的锁定", "success")
    return redirect(url_for("people.users"))


@bp.route("/users/<username>/reset-password", methods=["POST"])
def reset_password(username: str):
    try:
        user = accounts.reset_password(db.session, current_account(), username, request.form.get("password", ""))
    except Invalid as exc:
        message = "；".join(flat_errors(exc.errors).get("password", [exc.message]))
        flash(f"未能重置 {username} 的密码：{message}", "error")
        return redirect(url_for("people.users"))
    flash(f"已重置 {user.username} 的密码并解除锁定：请把新的初始密码告知本人，下次登录须修改", "success")
    return redirect(url_for("people.users"))


@bp.route("/units", methods=["POST"])
def create_unit():
    form = request.form
    try:
        unit = accounts.add_unit(
            db.session,
            current_account(),
            form.get("code", "").strip(),
            form.get("name", "").strip(),
            form.get("kind", ""),
            form.get("parent", "").strip() or None,
            form.get("station_type") or None,
        )
    except Invalid as exc:
        return users(_posted(), flat_errors(exc.errors), "unit", 422)
    flash(f"已创建单位 {unit.name}（{unit.code}）", "success")
    return redirect(url_for("people.users"))


def _posted() -> dict:
    values = request.form.to_dict()
    values.pop("password", None)
    values["roles"] = request.form.getlist("roles")
    return values
