"""Camunda's typed variables (`{"value": …, "type": "String|Integer|Long|Double|Boolean|Json|Date|Null"}`) both ways.

Out: task data as Camunda types; amounts (kept as text with two places) are `String`, so a worker never reads a
binary float for money. In: a value without `type` is taken as JSON gives it (Camunda's Python client sends
`{"value": …}` alone); a value that does not fit its type is a field error, never a guess.
"""

import json
from datetime import date, datetime
from typing import Any

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
MAX_VARIABLES = 200


class VariableError(ValueError):
    """Field errors of a variables object: `{variable name: [message]}`."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def camunda_date(instant: datetime | None) -> str | None:
    """Camunda's date format, `2026-10-08T10:00:00.000+0800`."""
    if instant is None:
        return None
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}" + instant.strftime("%z")


def to_camunda(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        kind = "Integer" if INT_MIN <= value <= INT_MAX else "Long"
        return {"type": kind, "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, dict | list):
        return {"type": "Json", "value": json.dumps(value, ensure_ascii=False), "valueInfo": {}}
    return {"type": "String", "value": str(value), "valueInfo": {}}


def all_to_camunda(variables: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: to_camunda(value) for name, value in variables.items()}


def from_camunda(variables: Any, field: str = "variables") -> dict[str, Any]:
    """Plain values from a Camunda variables object; `VariableError` names each variable at fault."""
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise VariableError({field: ["应为 JSON 对象：变量名到 {value, type}"]})
    if len(variables) > MAX_VARIABLES:
        raise VariableError({field: [f"变量不能超过 {MAX_VARIABLES} 个"]})
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, typed in variables.items():
        if not name or len(name) > 100 or not name.isidentifier():
            errors[f"{field}.{name}"] = ["变量名应为字母、数字和下划线组成的标识符"]
            continue
        try:
            values[name] = _value(typed)
        except ValueError as exc:
            errors[f"{field}.{name}"] = [str(exc)]
    if errors:
        raise VariableError(errors)
    return values


def _value(typed: Any) -> Any:
    if not isinstance(typed, dict) or "value" not in typed:
        raise ValueError("应为 {\"value\": …, \"type\": …}")
    value, kind = typed["value"], typed.get("type")
    if kind is None:
        return value
    if not isinstance(kind, str):
        raise ValueError("type 应为文本")
    kind = kind.capitalize()
    if kind == "Null":
        return None
    if value is None:
        return None
    if kind == "String":
        if not isinstance(value, str):
            raise ValueError("String 类型的值应为文本")
        return value
    if kind == "Boolean":
        if not isinstance(value, bool):
            raise ValueError("Boolean 类型的值应为 true 或 false")
        return value
    if kind in ("Integer", "Long", "Short"):
        low, high = (INT_MIN, INT_MAX) if kind != "Long" else (LONG_MIN, LONG_MAX)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{kind} 类型的值应为范围内的整数")
        return value
    if kind == "Double":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value != value
            or abs(value) == float("inf")
        ):
            raise ValueError("Double 类型的值应为数字")
        return value
    if kind == "Json":
        try:
            return json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            raise ValueError("Json 类型的值应为 JSON 文本") from None
    if kind == "Date":
        try:
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").isoformat() if isinstance(value, str) else _bad()
        except ValueError:
            try:
                return date.fromisoformat(value).isoformat()
            except (TypeError, ValueError):
                raise ValueError("Date 类型的值应为 yyyy-MM-dd'T'HH:mm:ss.SSSZ") from None
    raise ValueError(f"不支持的变量类型：{kind}（支持 String、Integer、Long、Double、Boolean、Json、Date、Null）")


def _bad() -> Any:
    raise ValueError("Date 类型的值应为文本")
