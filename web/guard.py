"""What every page blueprint does before a view runs: log-in, CSRF on state changes, error pages."""

from pathlib import Path

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from engine.attachments.checks import UPLOAD_TOO_LARGE
from engine.core.errors import DomainError, Forbidden, NotFound, Unavailable
from server import errors
from server.extensions import csrf

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TEMPLATES = str(Path(__file__).resolve().parent / "templates")


def page_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint whose pages need a logged-in user, check CSRF on every form post and show errors."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix or None, template_folder=TEMPLATES)

    @bp.before_request
    def _guard():
        if request.method not in SAFE_METHODS:
            csrf.protect()
        if not current_user.is_authenticated:
            return redirect(url_for("session.login", next=request.full_path))
        return None

    @bp.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        errors.rollback()
        return errors.error_page(404, exc.message)

    @bp.errorhandler(Forbidden)
    def _forbidden(exc: Forbidden):
        errors.rollback()
        return errors.error_page(403, exc.message)

    @bp.errorhandler(DomainError)
    def _refused(exc: DomainError):
        """Conflicts and refused steps: tell the clerk and go back to where they were."""
        errors.rollback()
        flash(exc.message, "error")
        return redirect(request.referrer or url_for("clerk.inbox"))

    @bp.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        """Scans over the upload limit: nothing of the form was read; say so on the page the clerk came from."""
        flash(UPLOAD_TOO_LARGE, "error")
        return redirect(request.referrer or url_for("clerk.inbox"))

    show_store_failures(bp)
    return bp


def show_store_failures(bp: Blueprint) -> None:
    """A lost database or a step someone else took first: the REST API's message, on an error page."""

    @bp.errorhandler(Unavailable)
    @bp.errorhandler(StaleDataError)
    @bp.errorhandler(DBAPIError)
    def _store_failure(exc: Exception):
        failure = errors.failure_of(exc)
        if failure is None:
            raise exc
        errors.rollback()
        status, message = failure
        return errors.error_page(status, message, signed_out=True)
