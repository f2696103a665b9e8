"""Users, their roles and the org units (系统管理员): search and create on the list; each person's own page to edit
their name, unit and roles, reset the password to a temporary one shown once, unlock, and deactivate behind a
confirmation page. Every action reaches only users and units of the administrator's scope (`engine.org.accounts`)."""

from flask import flash, make_response, redirect, render_template, request, url_for

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
    search = request.args.get("q", "").strip()
    try:
        people = accounts.users(db.session, admin, search)
    except Invalid as exc:
        people, errors, status = [], (errors or {}) | flat_errors(exc.errors), 400
    return render_template(
        "admin/people.html",
        users=people,
        search=search,
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


@bp.route("/users/<username>")
def person(username: str, values: dict | None = None, errors: dict | None = None, status: int = 200, **shown):
    admin = current_account()
    user = accounts.managed_user(db.session, admin, username, "查看用户")
    values = values or {"display_name": user.display_name, "org": user.org.code, "roles": sorted(user.roles)}
    response = make_response(
        render_template(
            "admin/person.html",
            person=user,
            locked=signin.is_locked(user),
            units=accounts.units_in_scope(db.session, admin),
            roles=reference().roles,
            values=values,
            errors=errors or {},
            me=admin,
            **shown,
        ),
        status,
    )
    if "temporary_password" in shown:
        response.headers["Cache-Control"] = "no-store"  # the password is shown once, never kept by the browser
    return response


@bp.route("/users/<username>", methods=["POST"])
def edit(username: str):
    form = request.form
    try:
        user = accounts.edit_user(
            db.session,
            current_account(),
            username,
            form.get("display_name", "").strip(),
            form.get("org", ""),
            form.getlist("roles"),
        )
    except Invalid as exc:
        return person(username, _posted(), flat_errors(exc.errors), 422)
    flash(f"已保存 {user.display_name}（{user.username}）的信息", "success")
    return redirect(url_for("people.person", username=user.username))


@bp.route("/users/<username>/deactivate")
def confirm_deactivate(username: str):
    user = accounts.managed_user(db.session, current_account(), username, "停用用户")
    return render_template("admin/deactivate.html", person=user, me=current_account())


@bp.route("/users/<username>/deactivate", methods=["POST"])
def deactivate(username: str):
    user = accounts.deactivate_user(db.session, current_account(), username)
    flash(f"已停用用户 {user.username}：不能再登录，已发放的令牌失效", "success")
    return redirect(url_for("people.person", username=user.username))


@bp.route("/users/<username>/unlock", methods=["POST"])
def unlock(username: str):
    user = accounts.unlock(db.session, current_account(), username)
    flash(f"已解除 {user.username} 的锁定", "success")
    return redirect(url_for("people.person", username=user.username))


@bp.route("/users/<username>/reset-password", methods=["POST"])
def reset_password(username: str):
    user, password = accounts.reset_to_temporary(db.session, current_account(), username)
    return person(user.username, temporary_password=password)


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
