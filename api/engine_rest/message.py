"""`POST /engine-rest/message`: Camunda 7's message correlation, for outside systems (12345, the 医保信息平台,
网办大厅) holding a worker credential.

The body is Camunda's: `messageName`, `businessKey` (the 办件编号), `processInstanceId` (the case id),
`correlationKeys` / `localCorrelationKeys` (typed variables the waiting step's data must hold), `processVariables`
(typed variables `{"value": …, "type": …}` given to the step that catches the message), `all`, `resultEnabled`
(200 with Camunda's correlation results; otherwise 204). Only cases of the credential's scope are found (404 for
any other). Camunda answers 400 for a message nobody waits for; here a named case that waits for something else is
409 saying what it waits for, and no such case 404, each with why.
"""

import json
from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from api import bodies
from api.engine_rest import errors
from engine.cases import lifecycle, messages
from forms.registry import FormInvalid
from server.extensions import db
from server.worker_auth import current_worker, require_worker

blp = Blueprint("engine_rest_message", __name__, url_prefix="/engine-rest", description="Camunda 7 引擎接口：消息")
blp.before_request(require_worker)
errors.register(blp)

MAX_VARIABLES = 100
# Camunda's value types this interface reads; Object, File and Bytes carry Java or binary values.
_NUMBERS = {"integer": int, "long": int, "short": int, "double": float}


class TypedValue(Schema):
    class Meta:
        unknown = EXCLUDE  # Camunda clients send valueInfo alongside

    value = fields.Raw(allow_none=True, load_default=None)
    type = fields.String(load_default=None, validate=validate.Length(max=30))


def _typed(name: str, typed: dict[str, Any]) -> Any:
    """The Python value of a Camunda typed variable; ValidationError naming the variable otherwise."""
    value, kind = typed.get("value"), (typed.get("type") or "").lower()
    if kind in ("", "string", "date") and (value is None or isinstance(value, str)) or kind == "null":
        return None if kind == "null" else value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind in _NUMBERS and isinstance(value, int | float) and not isinstance(value, bool):
        if kind != "double" and not float(value).is_integer():
            raise ValidationError([f"变量 {name} 应为整数"])
        return _NUMBERS[kind](value)
    if kind == "json":
        try:
            return json.loads(value) if isinstance(value, str) else value
        except ValueError:
            raise ValidationError([f"变量 {name} 的 Json 值不是有效的 JSON"]) from None
    if kind == "" and isinstance(value, bool | int | float | dict | list):
        return value
    if kind in ("object", "file", "bytes"):
        raise ValidationError(
            [f"变量 {name} 的类型 {typed.get('type')} 不受支持（只支持 String、数字、Boolean、Date、Json、Null）"]
        )
    raise ValidationError([f"变量 {name} 的值与类型 {typed.get('type') or '（未注明）'} 不符"])


class Variables(fields.Dict):
    """A map of Camunda typed variables, read as plain values."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(validate=validate.Length(min=1, max=100)), values=fields.Dict(), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > MAX_VARIABLES:
            raise ValidationError([f"变量不能超过 {MAX_VARIABLES} 个"])
        problems: dict[str, Any] = {}
        decoded: dict[str, Any] = {}
        for name, typed in raw.items():
            try:
                decoded[name] = _typed(name, TypedValue().load(typed))
            except ValidationError as error:
                problems[name] = error.messages
        if problems:
            raise ValidationError(problems)
        return decoded


class CorrelationMessage(Schema):
    """Camunda's CorrelationMessageDto, as far as this product correlates."""

    class Meta:
        unknown = RAISE

    messageName = fields.String(required=True, validate=validate.Length(min=1, max=messages.MAX_NAME_LENGTH))
    businessKey = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    processInstanceId = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9]{1,12}$"))
    correlationKeys = Variables(load_default=None, allow_none=True)
    localCorrelationKeys = Variables(load_default=None, allow_none=True)
    processVariables = Variables(load_default=None, allow_none=True)
    processVariablesLocal = Variables(load_default=None, allow_none=True)
    all = fields.Boolean(load_default=False)
    resultEnabled = fields.Boolean(load_default=False)

    error_messages = {"unknown": "不支持的字段", "type": "请求体应为 JSON 对象"}

    @validates_schema
    def no_local_and_process_both(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("processVariables") and data.get("processVariablesLocal"):
            raise ValidationError("processVariables 与 processVariablesLocal 只能给一个", "processVariablesLocal")


MESSAGE_BODY = bodies.json_body(
    {
        "type": "object",
        "properties": {
            "messageName": {"type": "string", "maxLength": messages.MAX_NAME_LENGTH, "example": "外伤调查结果"},
            "businessKey": {"type": "string", "maxLength": 40, "description": "办件编号"},
            "processInstanceId": {"type": "string", "pattern": "^[0-9]{1,12}$", "description": "办件 id"},
            "correlationKeys": {"type": "object", "additionalProperties": {"type": "object"}},
            "localCorrelationKeys": {"type": "object", "additionalProperties": {"type": "object"}},
            "processVariables": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"value": {}, "type": {"type": "string"}},
                },
                "description": 'Camunda 类型变量，例如 {"investigation_result": {"value": "reimbursable", "type": "String"}}',
            },
            "processVariablesLocal": {"type": "object", "additionalProperties": {"type": "object"}},
            "all": {"type": "boolean"},
            "resultEnabled": {"type": "boolean"},
        },
        "required": ["messageName"],
    },
    "Camunda 7 CorrelationMessageDto",
)


def _result(delivered: messages.Delivered) -> dict[str, Any]:
    """Camunda's MessageCorrelationResultDto of a message a waiting execution caught."""
    case = delivered.case
    return {
        "resultType": "Execution",
        "execution": {
            "id": delivered.task_id or str(case.id),
            "processInstanceId": str(case.id),
            "ended": case.status in lifecycle.ENDED,
            "tenantId": case.definition.region,
        },
        "processInstance": None,
    }


@blp.route("/message", methods=["POST"])
@blp.doc(requestBody=MESSAGE_BODY)
@blp.response(204, description="消息已送达（resultEnabled 为 false）")
@blp.alt_response(200, description="消息已送达：Camunda 的关联结果列表（resultEnabled 为 true）")
@blp.alt_response(400, description="请求体有误（errors 按字段说明）")
@blp.alt_response(401, description="没有有效的接口凭据")
@blp.alt_response(404, description="凭据范围内没有该办件，或没有办件在等待该消息、没有流程使用该消息")
@blp.alt_response(409, description="办件当前不在等待该消息（message 说明它在等待什么）、多个办件在等待，或已被同时办理")
def correlate():
    """Correlate a message (Camunda 7 `POST /message`) to the case of the credential's scope that waits for it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        errors.fail(400, errors.BAD_BODY, {"json": [bodies.NOT_AN_OBJECT]})
    loaded = CorrelationMessage().load(body)
    correlation = messages.Correlation(
        name=loaded["messageName"],
        business_key=loaded["businessKey"],
        case_id=int(loaded["processInstanceId"]) if loaded["processInstanceId"] else None,
        correlation_keys=loaded["correlationKeys"],
        local_correlation_keys=loaded["localCorrelationKeys"],
        all=loaded["all"],
    )
    variables = loaded["processVariables"] or loaded["processVariablesLocal"] or {}
    try:
        delivered = messages.correlate(db.session, current_worker(), correlation, variables)
    except FormInvalid as refused:
        errors.fail(400, str(refused), {"processVariables": refused.errors})
    if loaded["resultEnabled"]:
        return [_result(each) for each in delivered], 200
    return "", 204
