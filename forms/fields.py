"""Fields for what clerks type, each with a Chinese title and Chinese error messages.

Every field takes a required keyword `title`: the label a web page shows, carried
into the JSON Schema. marshmallow's English messages are replaced here so that a
clerk never reads English.
"""

import decimal
import re
from collections.abc import Mapping

from marshmallow import fields

from forms import identity
from forms.validators import ItemCount, OneOf, TextLength, today_in_china


class Chinese:
    """Mixin: Chinese messages shared by all fields, and the mandatory Chinese title.

    `description` is an optional hint shown under the input; `json_hints` are
    JSON Schema keywords a field kind adds so that a page can check input early.
    """

    default_error_messages = {
        "required": "此项为必填项",
        "null": "此项不能为空",
        "validator_failed": "填写内容无效",
    }
    json_hints: dict = {}

    def __init__(self, *args, title: str, description: str | None = None, sum_of: str | None = None, **kwargs):
        metadata = {**self.json_hints, "title": title}
        if description:
            metadata["description"] = description
        if sum_of:  # a total of rows' amounts ("invoices.amount"), which a page sums as the rows are typed
            metadata["x-sum-of"] = sum_of
        super().__init__(*args, metadata=metadata, **kwargs)


class Text(Chinese, fields.String):
    """Free text, trimmed; blank counts as missing when the field is required."""

    default_error_messages = {"invalid": "请填写文字", "invalid_utf8": "文字编码无效"}

    def __init__(self, *, max_length: int | None = 100, min_length: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if max_length is not None or min_length is not None:
            self.validators.insert(0, TextLength(min=min_length, max=max_length))

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text and self.required:
            raise self.make_error("required")
        return text


class Choice(Text):
    """One option of a reviewed list: stores the option's value, shows its label."""

    def __init__(self, options: Mapping[str, str], **kwargs):
        super().__init__(max_length=None, **kwargs)
        self.validators.append(OneOf(list(options), labels=list(options.values())))


class Count(Chinese, fields.Integer):
    """A whole number; 2.5 or "3" are refused rather than silently truncated or parsed."""

    default_error_messages = {"invalid": "请填写整数", "too_large": "数值过大"}

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


class Flag(Chinese, fields.Boolean):
    """A yes/no answer."""

    default_error_messages = {"invalid": "请选择“是”或“否”"}


class Day(Chinese, fields.Date):
    """A calendar date written YYYY-MM-DD, stored as the same ISO text."""

    default_error_messages = {
        "invalid": "请填写日期，格式为 YYYY-MM-DD",
        "format": "“{input}”不是有效日期，格式为 YYYY-MM-DD",
    }


class Items(Chinese, fields.List):
    """A list of entries of one kind, with bounds on how many."""

    default_error_messages = {"invalid": "应为多项列表"}

    def __init__(self, inner, *, min_items: int | None = None, max_items: int = 50, **kwargs):
        super().__init__(inner, **kwargs)
        self.validators.insert(0, ItemCount(min=min_items, max=max_items))


class Group(Chinese, fields.Nested):
    """A block of fields reused across forms, such as the applicant or a bank account."""

    default_error_messages = {"type": "格式不正确，应为一组字段"}


class KeyValues(Chinese, fields.Dict):
    """Free-form key/value data that another form validates later."""

    default_error_messages = {"invalid": "应为键值对象"}


class IdNumber(Text):
    """18-character 居民身份证号 (GB 11643-1999); a typed lower-case x is stored as X."""

    default_error_messages = {
        "length": "身份证号应为 18 位",
        "format": "身份证号前 17 位应为数字，最后一位为数字或 X",
        "birth_date": "身份证号中的出生日期无效",
        "check": "身份证号校验位不正确，请核对",
    }
    json_hints = {"pattern": "^[0-9]{17}[0-9Xx]$", "example": "11010519491231002X"}
    _SHAPE = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)

    def __init__(self, **kwargs):
        super().__init__(max_length=None, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        number = super()._deserialize(value, attr, data, **kwargs).replace(" ", "").upper()
        if len(number) != 18:
            raise self.make_error("length")
        if not self._SHAPE.fullmatch(number):
            raise self.make_error("format")
        try:
            born = identity.birth_date(number)
        except ValueError as error:
            raise self.make_error("birth_date") from error
        if not identity.EARLIEST_BIRTH <= born <= today_in_china():
            raise self.make_error("birth_date")
        if identity.check_character(number[:17]) != number[17]:
            raise self.make_error("check")
        return number


class DigitString(Text):
    """A number clerks type with separators (spaces, hyphens), stored as bare digits."""

    separators = " "
    pattern: re.Pattern

    def __init__(self, **kwargs):
        super().__init__(max_length=None, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        digits = super()._deserialize(value, attr, data, **kwargs)
        for separator in self.separators:
            digits = digits.replace(separator, "")
        if not self.pattern.fullmatch(digits):
            raise self.make_error("format")
        return digits


class Mobile(DigitString):
    """Mainland mobile number: 11 digits starting 13-19."""

    default_error_messages = {"format": "手机号应为 11 位数字，以 13 至 19 开头"}
    separators = " -"
    pattern = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
    json_hints = {"pattern": "^1[3-9][0-9]{9}$", "example": "13800138000"}


class InvoiceNumber(DigitString):
    """发票/票据号码: 8 digits (paper 发票号码), 10 (财政医疗收费电子票据号码) or 20 (数电发票)."""

    default_error_messages = {
        "format": "发票号码应为 8 位（纸质发票）、10 位（医疗收费电子票据）或 20 位（数电发票）数字",
    }
    pattern = re.compile(r"[0-9]{8}|[0-9]{10}|[0-9]{20}", re.ASCII)
    json_hints = {"pattern": "^([0-9]{8}|[0-9]{10}|[0-9]{20})$"}


class BankAccountNumber(DigitString):
    """银行账号 or bank-card number: 12 to 30 digits; spaces typed between groups are dropped."""

    default_error_messages = {"format": "银行账号应为 12 至 30 位数字"}
    pattern = re.compile(r"[0-9]{12,30}", re.ASCII)
    json_hints = {"pattern": "^[0-9 ]{12,40}$"}


CENT = decimal.Decimal("0.01")
LARGEST_AMOUNT = decimal.Decimal("9999999999.99")


class Money(Chinese, fields.Decimal):
    """An amount in yuan, positive, with at most two decimal places.

    Accepts a JSON string ("123.4", "123.45") or an integer. A JSON float is
    refused: it has already been through binary floating point, and a client
    doing that with money is the bug to surface. Stored as text with exactly
    two places ("123.40").
    """

    default_error_messages = {
        "invalid": "请填写金额（元），如 123.45",
        "float": "金额请以文本提交，如 \"123.45\"，不接受浮点数",
        "places": "金额最多保留两位小数",
        "not_positive": "金额必须大于 0",
        "too_large": f"金额不能超过 {LARGEST_AMOUNT} 元",
    }
    json_hints = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$", "example": "123.45", "x-unit": "元"}
    _YUAN = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)

    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> decimal.Decimal:
        if isinstance(value, float):
            raise self.make_error("float")
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.make_error("invalid")
        text = str(value).strip()
        if not self._YUAN.fullmatch(text):
            raise self.make_error("invalid")
        amount = decimal.Decimal(text)
        if amount <= 0:
            raise self.make_error("not_positive")
        if amount > LARGEST_AMOUNT:
            raise self.make_error("too_large")
        if amount != amount.quantize(CENT):
            raise self.make_error("places")
        return amount
