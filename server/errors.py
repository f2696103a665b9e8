"""Domain errors to HTTP: one status code per kind of error, messages as the engine wrote them."""

from flask import Flask

from engine.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, StepFailed
from forms.registry import FormInvalid

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422, StepFailed: 422}
PHRASES = {404: "Not Found", 403: "Forbidden", 409: "Conflict", 422: "Unprocessable Entity"}


def _body(code: int, message: str, errors: dict | None = None):
    body = {"code": code, "status": PHRASES[code], "message": message}
    if errors:
        body["errors"] = errors
    return body, code


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        code = next(status for kind, status in STATUS.items() if isinstance(exc, kind))
        body, code = _body(code, exc.message, exc.errors)
        if hasattr(exc, "problems"):
            body["problems"] = exc.problems
        return body, code

    @app.errorhandler(FormInvalid)
    def form_invalid(exc: FormInvalid):
        return _body(422, "填写内容有误，请按提示修改", exc.errors)
