"""Error bodies of the engine REST interface, as Camunda 7 writes them: `{"type": ..., "message": ...}`.

Camunda's clients read `type` and `message`; the field-level `errors` (`{field: [msg]}`) of the rest of this API
ride along for a bad body. Status codes follow Camunda's, except where Camunda answers 500 for a client's
mistake: a task locked by another worker (or no longer locked by this one) is 409 `RestException` here, never
a server error. `register(blueprint)` makes every /engine-rest blueprint answer its errors this way.
"""

import logging
from collections.abc import Callable
from typing import Any, NoReturn

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException

from engine.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, StepFailed, Unavailable
from server.worker_auth import WorkerUnauthorized

INVALID_REQUEST = "InvalidRequestException"
REST = "RestException"
AUTHENTICATION = "AuthenticationException"
AUTHORIZATION = "AuthorizationException"
ENGINE = "ProcessEngineException"

# Domain error → (status, Camunda exception type).
DOMAIN = {
    NotFound: (404, INVALID_REQUEST),
    Forbidden: (403, AUTHORIZATION),
    Conflict: (409, REST),
    Invalid: (400, INVALID_REQUEST),
    StepFailed: (400, ENGINE),
    Unavailable: (503, ENGINE),
}
TYPE_OF_STATUS = {400: INVALID_REQUEST, 401: AUTHENTICATION, 403: AUTHORIZATION, 404: INVALID_REQUEST, 409: REST}
BAD_BODY = "请求体有误"
INTERNAL = "系统内部错误，请稍后重试；如仍出错请联系管理员"

log = logging.getLogger("yibao.http")


class RestError(Exception):
    """An answer of the engine REST interface other than success: status, Camunda type, message, field errors."""

    def __init__(self, status: int, message: str, errors: dict[str, Any] | None = None, kind: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}
        self.kind = kind or TYPE_OF_STATUS.get(status, REST)


def fail(status: int, message: str, errors: dict[str, Any] | None = None, kind: str | None = None) -> NoReturn:
    raise RestError(status, message, errors, kind)


def body(kind: str, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"type": kind, "message": message}
    if errors:
        answer["errors"] = errors
    return answer


def _rest_error(exc: RestError) -> tuple[dict[str, Any], int, dict[str, str]]:
    headers = {"WWW-Authenticate": 'Basic realm="engine-rest"'} if exc.status == 401 else {}
    return body(exc.kind, exc.message, exc.errors), exc.status, headers


def _unauthorized(exc: WorkerUnauthorized) -> tuple[dict[str, Any], int, dict[str, str]]:
    return _rest_error(RestError(401, str(exc), kind=AUTHENTICATION))


def _domain_error(exc: DomainError) -> tuple[dict[str, Any], int]:
    status, kind = next(found for error, found in DOMAIN.items() if isinstance(exc, error))
    return body(kind, exc.message, exc.errors), status


def _validation_error(exc: ValidationError) -> tuple[dict[str, Any], int]:
    messages = exc.messages if isinstance(exc.messages, dict) else {"json": exc.messages}
    return body(INVALID_REQUEST, BAD_BODY, messages), 400


def _http_error(exc: HTTPException) -> tuple[dict[str, Any], int]:
    status = exc.code or 500
    if status >= 500:
        original = getattr(exc, "original_exception", None) or exc
        log.error("%s on %s %s: %s", status, request.method, request.path, type(original).__name__)
        return body(ENGINE, INTERNAL), status
    data = getattr(exc, "data", None) or {}
    errors = (data.get("errors") or data.get("messages")) if isinstance(data, dict) else None
    if isinstance(errors, dict) and len(errors) == 1 and isinstance(next(iter(errors.values())), dict):
        errors = next(iter(errors.values()))  # flask-smorest nests field errors under the location ("json")
    message = data.get("message") if isinstance(data, dict) and data.get("message") else exc.description
    return body(TYPE_OF_STATUS.get(status, REST), str(message or exc.name), errors), status


class RestErrorOut(Schema):
    type = fields.String(metadata={"description": "Camunda 的异常类型，如 InvalidRequestException、RestException"})
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), metadata={"description": "按字段的错误信息：{字段: [信息]}"})


ERROR_STATUSES = (400, 401, 403, 404, 409, 503)


def documented(blueprint: Blueprint) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document an operation's error answers as Camunda's error body (not the rest of the API's)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        for status in ERROR_STATUSES:
            view = blueprint.alt_response(status, schema=RestErrorOut, description=f"{status}：Camunda 错误体")(view)
        return view

    return decorate


def register(blueprint: Blueprint) -> None:
    """Answer every error of `blueprint`'s requests (its before_request hooks included) in Camunda's form."""
    blueprint.register_error_handler(RestError, _rest_error)
    blueprint.register_error_handler(WorkerUnauthorized, _unauthorized)
    blueprint.register_error_handler(DomainError, _domain_error)
    blueprint.register_error_handler(ValidationError, _validation_error)
    blueprint.register_error_handler(HTTPException, _http_error)
