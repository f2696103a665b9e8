"""Errors to HTTP, one place for every path: domain errors, form refusals and a store that failed under a step.

The REST API answers with a JSON body; pages (`web.guard`) show the same message on an error page, both
from `failure_of`, which says what status and message an exception stands for. Whatever else a page request
meets (an unknown address, a method the address does not take, a refusal) is an error page with a way back
(`error_page`); only /api and /engine-rest answer JSON, and a printed notice opened from a page (HTML asked) too
shows the page.
"""

import logging
from urllib.parse import urlsplit

from flask import Flask, render_template, request
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from engine.attachments.checks import UPLOAD_TOO_LARGE
from engine.attachments.store import StoreUnavailable
from engine.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, StepFailed, Unavailable
from forms.registry import FormInvalid
from server.extensions import api, db

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

API_PREFIXES = ("/api/", "/engine-rest/")
PAGE_TITLES = {
    400: "请求有误",
    403: "无权操作",
    404: "未找到",
    405: "无法这样打开",
    409: "暂不能办理",
    413: "提交的内容过大",
    422: "填写内容有误",
    429: "操作过于频繁",
    500: "系统出错",
    503: "暂时无法办理",
}
PAGE_MESSAGES = {
    400: "请求的内容有误，请返回后重试",
    403: "您没有查看或办理此项的权限",
    404: "您要找的页面不存在，或您无权查看",
    405: "该地址不能直接打开（可能是刷新了提交后的页面），请返回后重新操作",
    413: TOO_LARGE,
    429: "操作过于频繁，请稍后再试",
}

log = logging.getLogger("yibao.http")


def is_page_request() -> bool:
    """A request a browser made for a page: anything outside /api and /engine-rest, or a printed notice
    (an HTML answer of the API) opened by a browser asking for HTML."""
    if not request.path.startswith(API_PREFIXES):
        return True
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def way_back() -> str | None:
    """Where the page came from, when that is a page of this site (never another host)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.path == request.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def error_page(status: int, message: str | None = None, *, signed_out: bool = False):
    """An error as a page with a way back (the page the clerk came from, and their start page).

    `signed_out`: after a rollback the user is expired, and a header drawn from them would ask the failed store."""
    extra = {"current_user": AnonymousUserMixin(), "menu": lambda: []} if signed_out else {}
    page = render_template(
        "error.html",
        title=PAGE_TITLES.get(status, "无法办理"),
        message=message or PAGE_MESSAGES.get(status, INTERNAL),
        back=way_back(),
        **extra,
    )
    return page, status


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
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """Unknown addresses, methods an address does not take, …: a page for pages, the API's JSON otherwise."""
        if is_page_request() and exc.code and exc.code < 500:
            return error_page(exc.code)
        return api.handle_http_exception(exc)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        if isinstance(exc, Unavailable):
            return store_failure(exc)
        code = next(status for kind, status in STATUS.items() if isinstance(exc, kind))
        if is_page_request():
            rollback()
            return error_page(code, exc.message)
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
        if not is_page_request() or request.accept_mimetypes.best == "application/json":
            return _body(500, INTERNAL)
        return error_page(500, INTERNAL, signed_out=True)

    @app.errorhandler(StaleDataError)
    @app.errorhandler(DBAPIError)
    def store_failure(exc: Exception):
        failure = failure_of(exc)
        if failure is None:
            raise exc
        rollback()
        return _body(*failure)
