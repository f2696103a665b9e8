"""Logging in and out with a session cookie; each user lands on the page of their work. A user whose
password an administrator set (or reset) reaches only the change-password page until they change it."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.core.errors import Invalid
from engine.org import signin
from engine.org.permissions import ADMIN, DESIGNER
from server.extensions import csrf, db
from server.login import current_account, end_session, restamp_session, start_session
from web.formdata import flat_errors
from web.guard import TEMPLATES, show_store_failures

bp = Blueprint("session", __name__, template_folder=TEMPLATES)
show_store_failures(bp)

# What a user who must change their password may still reach (the public pages need no account at all)
BEFORE_PASSWORD_CHANGE = {"session.change_password", "session.logout", "session.login"}
PUBLIC_BLUEPRINTS = {"static_web", "progress_page", "rating_page"}


def home_for(roles: set[str]) -> str:
    if DESIGNER in roles:
        return url_for("design.processes")
    if ADMIN in roles:
        return url_for("manage.instances")
    return url_for("clerk.inbox")


def safe_next(target: str | None) -> str | None:
    """Only a path of this site: one leading "/", no backslash, no control character (browsers drop tabs and
    newlines, so "/\\t/evil.example" would become "//evil.example"), no scheme or host once parsed."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F or char.isspace() for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.before_app_request
def _password_change_first():
    if request.path.startswith("/api/") or request.endpoint is None:
        return None  # the REST API answers 403 itself (server.login.require_login)
    if request.endpoint in BEFORE_PASSWORD_CHANGE or request.blueprint in PUBLIC_BLUEPRINTS:
        return None
    if current_user.is_authenticated and current_user.user.must_change_password:
        return redirect(url_for("session.change_password"))
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
        result = signin.sign_in(
            db.session,
            request.form.get("username", "").strip(),
            request.form.get("password", ""),
            request.remote_addr,
        )
        if result.user is not None:
            start_session(result.user)
            if result.must_change_password:
                return redirect(url_for("session.change_password"))
            return redirect(safe_next(request.args.get("next")) or home_for(result.user.roles))
        error = result.message
    return render_template("login.html", error=error, username=request.form.get("username", "")), 401 if error else 200


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    if not current_user.is_authenticated:
        return redirect(url_for("session.login", next=request.path))
    user = current_account()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        csrf.protect()
        new = request.form.get("new_password", "")
        try:
            if new != request.form.get("confirm_password", ""):
                raise Invalid("密码未修改", {"confirm_password": ["两次输入的新密码不一致"]})
            signin.change_password(db.session, user, request.form.get("current_password", ""), new, request.remote_addr)
        except Invalid as exc:
            errors, status = flat_errors(exc.errors), 422
        else:
            restamp_session()
            flash("密码已修改", "success")
            return redirect(home_for(user.roles))
    return render_template(
        "password.html",
        forced=user.must_change_password,
        errors=errors,
        min_length=signin.settings.min_password_length,
    ), status


@bp.route("/logout", methods=["POST"])
def logout():
    csrf.protect()
    end_session()
    flash("您已安全退出。", "success")
    return redirect(url_for("session.login"))
