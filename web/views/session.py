"""Logging in and out with a session cookie; each user lands on the page of their work."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from engine.org import accounts
from engine.org.permissions import ADMIN, DESIGNER
from server.extensions import csrf, db
from server.login import Principal
from web.guard import TEMPLATES, show_store_failures

bp = Blueprint("session", __name__, template_folder=TEMPLATES)
show_store_failures(bp)


def home_for(roles: set[str]) -> str:
    if DESIGNER in roles:
        return url_for("design.processes")
    if ADMIN in roles:
        return url_for("manage.instances")
    return url_for("clerk.inbox")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, never another host (//evil.example)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("session.login"))
    return redirect(home_for(current_user.user.roles))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        csrf.protect()
        user = accounts.authenticate(
            db.session, request.form.get("username", "").strip(), request.form.get("password", "")
        )
        if user is not None:
            login_user(Principal(user))
            return redirect(_safe_next(request.args.get("next")) or home_for(user.roles))
        error = "用户名或密码错误，或账号已停用"
    return render_template("login.html", error=error, username=request.form.get("username", "")), 401 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    csrf.protect()
    logout_user()
    return redirect(url_for("session.login"))
