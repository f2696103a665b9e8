"""Input no store can take, refused for both faces before a view runs (`register`, called by `server.app`).

- Path ids: every `<int:…>` of a route is `BoundedIntConverter`, registered over Flask's own. The id columns are
  `INTEGER` (32 bits on PostgreSQL, which casts every parameter compared with them to that type), so a number past
  `MAX_ID` matches no route and answers 404 like any id that does not exist — never an overflow (500). The bound
  is in the converter's pattern, not only in its conversion, so that such a path is 404 for every method
  (werkzeug answers 405 when only the conversion fails on a path another method shares). The OpenAPI document
  states it (`maximum`) from the converter.
- NUL characters: PostgreSQL text cannot hold U+0000, so one in the path, the query string, a urlencoded form or
  a JSON body is refused (422, `errors` naming the field) instead of failing inside the store. Uploaded files
  (multipart) are bytes, and are not looked into here.
"""

from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map

from engine.core.errors import Invalid

MAX_ID = 2**31 - 1
"""The largest id a path may name: what the INTEGER id columns hold."""
NUL_MESSAGE = "不能含有 NUL 控制字符（\\u0000）"


def register(app: Flask) -> None:
    """Bound path ids and refuse NUL characters on every route of `app` (before any blueprint is registered)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul_characters)


def digits_at_most(bound: int) -> str:
    """A regular expression of the decimal numbers from 0 to `bound` (leading zeros allowed up to its length)."""
    digits = str(bound)
    shorter = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    same_length = [
        digits[:i] + f"[0-{int(digit) - 1}]" + (rf"\d{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else "")
        for i, digit in enumerate(digits)
        if digit != "0"
    ]
    return "(?:" + "|".join([*shorter, *same_length, digits]) + ")"


class BoundedIntConverter(IntegerConverter):
    """Flask's `int` (digits only), never above `MAX_ID` (or a smaller `max` the rule names)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None) -> None:
        bound = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound)
        self.regex = digits_at_most(bound)


def refuse_nul_characters() -> None:
    """`Invalid` (422) naming the first field — path part, query parameter, form field or JSON key — holding NUL."""
    found = next(_nul_fields(), None)
    if found is not None:
        raise Invalid("请求中含有不允许的字符", {found: [NUL_MESSAGE]})


def _nul_fields() -> Iterator[str]:
    if "\0" in request.path:
        yield "path"
    for key, value in request.args.items(multi=True):
        if "\0" in key or "\0" in value:
            yield key.replace("\0", "")
    if request.mimetype == "application/x-www-form-urlencoded":
        for key, value in request.form.items(multi=True):
            if "\0" in key or "\0" in value:
                yield key.replace("\0", "")
    if request.is_json:
        yield from _nul_in_json(request.get_json(silent=True), "json")


def _nul_in_json(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\0" in value:
            yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key).replace("\0", "")
            if "\0" in str(key):
                yield name
            yield from _nul_in_json(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _nul_in_json(item, where)
