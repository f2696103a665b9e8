"""Forms described as data: the forms of diagrams drawn for other engines (Activiti/Flowable `formProperty`,
Camunda `formData`, Camunda Forms), kept with the process version that shows them.

A description is JSON — `{"title": …, "fields": [{"name", "label", "type", "required", "options", "default",
"max_length"}]}` with `type` one of string, text, long, boolean, date, enum — and its form key is derived from its
content (`vendor_` and a hash), so the same description always names the same form and a key never changes
meaning. The schema is built with marshmallow's `Schema.from_dict` from this product's Chinese fields.
"""

import hashlib
import json
import re
from typing import Any

from marshmallow import fields

from forms.base import FormSchema
from forms.fields import Choice, Count, Day, Flag, Text

KEY_PREFIX = "vendor_"
TYPES = ("string", "text", "long", "boolean", "date", "enum")
MAX_FIELDS = 50
MAX_OPTIONS = 100
MAX_TEXT = 2000
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,59}")


class DescriptionInvalid(ValueError):
    """A description this product cannot show as a form; the message says why, in Chinese."""


def form_key(description: dict[str, Any]) -> str:
    """The form key a description is known by: derived from its content."""
    canonical = json.dumps(description, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return KEY_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def is_described_key(key: str) -> bool:
    return key.startswith(KEY_PREFIX)


def _text(value: object, what: str, limit: int = 100) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise DescriptionInvalid(f"{what}须为 1 至 {limit} 个字符的文字")
    return value.strip()


def _field(spec: object) -> tuple[str, fields.Field]:
    """One field; a default pre-fills the input (and fills an optional field left out)."""
    name, field = _bare_field(spec)
    default = spec.get("default") if isinstance(spec, dict) else None
    if default is not None:
        field.metadata["default"] = default
    return name, field


def _bare_field(spec: object) -> tuple[str, fields.Field]:
    if not isinstance(spec, dict):
        raise DescriptionInvalid("表单字段须为对象")
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise DescriptionInvalid(f"字段名“{name}”须以字母开头，只含字母、数字和下划线，至多 60 个字符")
    label = _text(spec.get("label") or name, f"字段“{name}”的名称")
    kind = spec.get("type")
    options: dict[str, Any] = {"title": label, "required": bool(spec.get("required"))}
    if spec.get("default") is not None and not options["required"]:
        options["load_default"] = spec["default"]
    if kind == "boolean":
        return name, Flag(**options)
    if kind == "long":
        return name, Count(**options)
    if kind == "date":
        return name, Day(**options)
    if kind == "enum":
        choices = spec.get("options")
        if not isinstance(choices, list) or not 0 < len(choices) <= MAX_OPTIONS:
            raise DescriptionInvalid(f"下拉字段“{label}”须有 1 至 {MAX_OPTIONS} 个选项")
        pairs = {
            _text(value, f"“{label}”的选项值"): _text(text or value, f"“{label}”的选项名称")
            for value, text in (_option(choice) for choice in choices)
        }
        return name, Choice(pairs, **options)
    if kind in ("string", "text"):
        limit = spec.get("max_length") or (500 if kind == "text" else 200)
        if not isinstance(limit, int) or not 0 < limit <= MAX_TEXT:
            raise DescriptionInvalid(f"字段“{label}”的长度上限须为 1 至 {MAX_TEXT}")
        return name, Text(max_length=limit, **options)
    raise DescriptionInvalid(f"字段“{label}”的类型“{kind}”不受支持；可用：{'、'.join(TYPES)}")


def _option(choice: object) -> tuple[object, object]:
    if isinstance(choice, list) and len(choice) == 2:
        return choice[0], choice[1]
    raise DescriptionInvalid("下拉选项须为 [值, 名称]")


def build(description: object) -> type[FormSchema]:
    """The schema class of a description; DescriptionInvalid when it cannot be shown."""
    if not isinstance(description, dict):
        raise DescriptionInvalid("表单描述须为对象")
    title = _text(description.get("title"), "表单名称")
    specs = description.get("fields")
    if not isinstance(specs, list) or not 0 < len(specs) <= MAX_FIELDS:
        raise DescriptionInvalid(f"表单须有 1 至 {MAX_FIELDS} 个字段")
    built = dict(_field(spec) for spec in specs)
    if len(built) != len(specs):
        raise DescriptionInvalid("表单中有重名的字段")
    schema = FormSchema.from_dict(built, name="DescribedForm")
    schema.Meta.title = title  # type: ignore[attr-defined]
    return schema
