"""Request bodies of the REST API as the OpenAPI document describes them (`@blp.doc(requestBody=...)`).

A body that is a form is validated by the engine with that form (`forms.registry.clean`), so it is documented
with the same form's JSON Schema (`forms.registry.json_schema`) rather than parsed a second time here; a
refusal is the engine's 422 with `errors` by field.
"""

from typing import Any

from flask import request
from flask_smorest import abort

from forms.registry import json_schema

JSONSchema = dict[str, Any]


NOT_AN_OBJECT = "请求体应为 JSON 对象（{…}），不能是数组、数字或字符串"


def json_object() -> dict[str, Any]:
    """The request's JSON body when it is an object; {} without a JSON body (the engine then names what is
    missing); 422 for JSON that is no object (a list, a number, a string), which no form reads."""
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        abort(422, message="请求体格式有误", errors={"json": [NOT_AN_OBJECT]})
    return body


def json_body(schema: JSONSchema, description: str, required: bool = True) -> dict[str, Any]:
    """An OpenAPI `requestBody` of one JSON document."""
    return {"required": required, "description": description, "content": {"application/json": {"schema": schema}}}


def form_body(
    form_key: str, description: str, extra: JSONSchema | None = None, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The JSON Schema of form `form_key` as a request body, with `extra` properties (e.g. `case_no`) added."""
    schema = json_schema(form_key)
    if extra:
        schema = {
            **schema,
            "properties": {**extra, **schema.get("properties", {})},
            "required": sorted({*schema.get("required", []), *required}),
        }
    return json_body(schema, description)


CASE_START = form_body(
    "case_start", "受理登记（`case_start` 表单）；`details` 为该事项的申请表单（见事项的 flow.start_form）"
)
_RATED_STAGE = {
    "type": "string",
    "maxLength": 200,
    "title": "被评价的环节（不填为最后一个环节）",
    "example": "乡镇初审",
}
_CASE_NO = {"type": "string", "maxLength": 40, "title": "办件编号", "example": "360981-20261008-000001"}
RATING = form_body("rating", "好差评（`rating` 表单加可选的 `stage`）", extra={"stage": _RATED_STAGE})
REFERRAL = form_body(
    "referral", "首问登记（`referral` 表单）：`item` 为事项编号（单纯咨询可不填），`referred_to` 为转介单位编码"
)
DEFERRED_SUPPLY = form_body("supplement", "容缺补交（`supplement` 表单）：`received` 为申请人补交的容缺材料")
RATING_BY_CASE_NO = form_body(
    "rating",
    "按办件编号登记好差评：`rating` 表单加 `case_no` 和可选的 `stage`",
    extra={"case_no": _CASE_NO, "stage": _RATED_STAGE},
    required=("case_no",),
)
PUBLIC_RATING = form_body(
    "rating",
    "申请人评价：`rating` 表单加办件编号、身份证号后六位和可选的被评价环节（不填为最后一个环节）",
    extra={
        "case_no": _CASE_NO,
        "id_tail": {"type": "string", "pattern": "^[0-9Xx]{6}$", "title": "身份证号后六位"},
        "stage": _RATED_STAGE,
    },
    required=("case_no", "id_tail"),
)
COMPLETION = json_body(
    {
        "type": "object",
        "properties": {
            "data": {
                "type": "object",
                "additionalProperties": {},
                "description": "该任务表单的数据，按 GET /api/tasks/{task_id} 返回的 form_schema 填写",
            }
        },
        "required": ["data"],
    },
    "办理结果：`{\"data\": {...}}`",
)


def reason_body(required: bool) -> dict[str, Any]:
    """`{"reason": "…"}` of an administrator's action; the engine says when one is required and missing (422)."""
    reason = {"type": "string", "title": "原因"}
    schema: JSONSchema = {"type": "object", "properties": {"reason": reason}}
    if required:
        schema["required"] = ["reason"]
    return json_body(schema, "操作原因" + ("（必填）" if required else "（可选）"), required=required)


MESSAGE = json_body(
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 200, "title": "消息名称", "example": "外伤调查结果"},
            "variables": {
                "type": "object",
                "additionalProperties": {},
                "title": "消息变量",
                "description": "按等待环节的表单填写（如 injury_investigation：investigation_result、investigated_on…）",
            },
        },
        "required": ["name"],
    },
    "给办件的消息：`{\"name\": \"外伤调查结果\", \"variables\": {...}}`",
)


def message_parts(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, variables) of a message body; 422 naming the field for anything else."""
    errors: dict[str, list[str]] = {}
    name, variables = body.get("name"), body.get("variables", {})
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["请填写消息名称（文字）"]
    if not isinstance(variables, dict):
        errors["variables"] = ["消息变量应为 JSON 对象（{…}）"]
    unknown = sorted(set(body) - {"name", "variables"})
    if unknown:
        errors.update({key: ["消息中没有这一项"] for key in unknown})
    if errors:
        abort(422, message="消息有误", errors=errors)
    return name, variables
