"""Errors to HTTP, one place for every path: domain errors, form refusals and a store that failed under a step.

The REST API answers with a JSON body; pages (`web.guard`) show the same message on an error page, both
from `failure_of`, which says what status and message an exception stands for.
"""

import logging

from flask import Flask, render_template, request
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import InternalServerError, RequestEntityTooLarge

from engine.attachments.checks import UPLOAD_TOO_LARGE
from engine.attachments.store import StoreUnavailable
from engine.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, StepFailed, Unavailable
from forms.registry import FormInvalid
from server.extensions import db

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422, StepFailed: 422, Unavailable: 503}
PHRASES = {
    404: "Not Found",
    403: "Forbidden",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
TOO_LARGE = "提交的内容过大"
UNAVAILABLE = "数据库暂时不可用，请稍后重试"
CONCURRENT_STEP = "办件已被他人同时办理，请刷新后重试"
INTERNAL = "系统内部错误，请稍后重试；如仍出错请联系管理员"

log = logging.getLogger("yibao.http")


def is_disconnect(exc: DBAPIError) -> bool:
    """The connection was lost (SQLAlchemy invalidated it, or the dialect says the error means a disconnect)."""
    if exc.connection_invalidated:
        return True
    try:
        return bool(db.engine.dialect.is_disconnect(exc.orig, None, None))
    except Exception:  # a dialect that needs the connection to tell: not a disconnect we can name
        return False


def failure_of(exc: Exception) -> tuple[int, str] | None:
    """(status, message) for a store failure or a concurrent step; None for any other database error (a 500)."""
    if isinstance(exc, StoreUnavailable):
        return 503, exc.message
    if isinstance(exc, Unavailable):
        return 503, UNAVAILABLE
    if isinstance(exc, StaleDataError):
        return 409, CONCURRENT_STEP
    if isinstance(exc, DBAPIError):
        if is_disconnect(exc):
            return 503, UNAVAILABLE
        if isinstance(exc, OperationalError):
            log.error("database operational error: %s", exc, exc_info=exc)
            return 503, UNAVAILABLE
    return None


def rollback() -> None:
    """Leave nothing of the failed request in the session (a lost connection may refuse even this)."""
    try:
        db.session.rollback()
    except DBAPIError as exc:
        log.warning("rollback after a failed request failed too: %s", exc)


def _body(code: int, message: str, errors: dict | None = None):
    body = {"code": code, "status": PHRASES[code], "message": message}
    if errors:
        body["errors"] = errors
    return body, code


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        if isinstance(exc, Unavailable):
            return store_failure(exc)
        code = next(status for kind, status in STATUS.items() if isinstance(exc, kind))
        body, code = _body(code, exc.message, exc.errors)
        if hasattr(exc, "problems"):
            body["problems"] = exc.problems
        return body, code

    @app.errorhandler(FormInvalid)
    def form_invalid(exc: FormInvalid):
        return _body(422, "填写内容有误，请按提示修改", exc.errors)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):
        """A body over the request's limit (an upload over the scan limits): a field message, never a 500."""
        upload = request.mimetype == "multipart/form-data"
        return _body(413, UPLOAD_TOO_LARGE if upload else TOO_LARGE, {"file": [UPLOAD_TOO_LARGE]} if upload else None)

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        """Anything unforeseen: a generic message, never the exception's text; what happened goes to the log
        (Flask logs the traceback, this line names the request)."""
        original = exc.original_exception or exc
        log.error("500 on %s %s: %s", request.method, request.path, type(original).__name__)
        rollback()
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return _body(500, INTERNAL)
        page = render_template(
            "error.html", title="系统出错", message=INTERNAL, current_user=AnonymousUserMixin(), menu=lambda: []
        )
        return page, 500

    @app.errorhandler(StaleDataError)
    @app.errorhandler(DBAPIError)
    def store_failure(exc: Exception):
        failure = failure_of(exc)
        if failure is None:
            raise exc
        rollback()
        return _body(*failure)
