"""What the sandbox worker sends back: JSON, with the types scripts produce tagged, and a size cap.

The worker runs code nobody vetted, so what it says is read as JSON, never unpickled. A value is
converted to JSON-able data and its JSON size estimated as the conversion goes, so a structure
that would print to gigabytes (`[[0] * 999999] * 999999` is 8 MB in memory, one list shared a
million times) is refused after the first megabyte, not serialised to find out. The exact length
of the JSON text is checked again once it is written.

Besides JSON's own types, task data may hold what the snapshot stores (`Decimal`, `date`,
`datetime`, `timedelta`, `UUID`); tuples stay tuples, and a dict whose keys are not all text (or
that holds the tag key) travels as pairs. Anything else (a set, a generator, a range) is refused
with the name of the variable that holds it.
"""

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from engine.sandbox.limits import ScriptNotAllowed, ScriptTooExpensive, data_too_large

TAG = '\x00t'
# Python refuses to print integers longer than 4300 digits (sys.int_info.default_max_str_digits).
_MAX_JSON_INTEGER_BITS = 13_000
_SCALAR_SIZE = {type(None): 4, bool: 5, float: 24}
_TYPE_NAMES = {
    'set': '集合（set）',
    'frozenset': '集合（frozenset）',
    'generator': '生成器',
    'range': 'range',
    'map': 'map',
    'filter': 'filter',
    'zip': 'zip',
    'enumerate': 'enumerate',
    'bytes': '字节串',
    'complex': '复数',
}


class _Budget:
    __slots__ = ('left', 'what', 'limit')

    def __init__(self, limit: int, what: str) -> None:
        self.left = limit
        self.limit = limit
        self.what = what

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise data_too_large(self.what, self.limit)


def to_json(value: object, limit: int, what: str = '环节数据', name: str | None = None) -> bytes:
    """`value` as UTF-8 JSON of at most `limit` bytes; a larger one is refused as soon as it is seen to be."""
    budget = _Budget(limit, what)
    tree = _convert(value, budget, name)
    text = json.dumps(tree, ensure_ascii=False, separators=(',', ':')).encode()
    if len(text) > limit:
        raise data_too_large(what, limit)
    return text


def to_json_names(values: dict[str, object], limit: int, what: str = '环节数据') -> bytes:
    """Task data as JSON: like `to_json`, but a value that cannot be stored is named by its key."""
    budget = _Budget(limit, what)
    tree = {}
    for key, value in values.items():
        budget.spend(len(key) + 4)
        tree[key] = _convert(value, budget, key)
    text = json.dumps(tree, ensure_ascii=False, separators=(',', ':')).encode()
    if len(text) > limit:
        raise data_too_large(what, limit)
    return text


def _convert(value: object, budget: _Budget, name: str | None) -> Any:
    kind = type(value)
    if kind is str:
        assert isinstance(value, str)
        budget.spend(len(value) + 2 if value.isascii() else 3 * len(value) + 2)
        return value
    if kind is int:
        assert isinstance(value, int)
        if value.bit_length() > _MAX_JSON_INTEGER_BITS:
            raise ScriptTooExpensive('数值过大：整数的位数过多', 'integer too large to store')
        budget.spend(value.bit_length() // 3 + 2)
        return value
    if kind in _SCALAR_SIZE:
        budget.spend(_SCALAR_SIZE[kind])
        return value
    if kind is list or kind is tuple:
        assert isinstance(value, list | tuple)
        budget.spend(2 + len(value))
        items = [_convert(item, budget, name) for item in value]
        return items if kind is list else {TAG: 'tuple', 'v': items}
    if isinstance(value, dict):
        budget.spend(2 + len(value))
        if all(type(key) is str for key in value) and TAG not in value:
            converted = {}
            for key, item in value.items():
                budget.spend(len(key) + 4)
                converted[key] = _convert(item, budget, name)
            return converted
        pairs = [[_convert(key, budget, name), _convert(item, budget, name)] for key, item in value.items()]
        return {TAG: 'dict', 'v': pairs}
    for base in (bool, int, float, str):  # subclasses (an IntEnum, a str enum) travel as their base type
        if isinstance(value, base):
            return _convert(base(value), budget, name)
    for tag, (cls, write, _read) in _TAGGED.items():
        if isinstance(value, cls):
            text = write(value)
            budget.spend(len(text) + 16)
            return {TAG: tag, 'v': text}
    type_name = type(value).__name__
    where = f'变量 {name} 的值' if name else '结果'
    raise ScriptNotAllowed(
        f'{where}是{_TYPE_NAMES.get(type_name, type_name)}，环节数据只能保存文本、数字、列表、字典、日期和金额',
        f'a {type_name} cannot be stored in task data',
    )


def _timedelta(text: str) -> timedelta:
    days, seconds, microseconds = (int(part) for part in text.split(','))
    return timedelta(days=days, seconds=seconds, microseconds=microseconds)


# tag: (type, to text, from text); datetime before date, its base class
_TAGGED: dict[str, tuple[type, Callable[[Any], str], Callable[[str], object]]] = {
    'Decimal': (Decimal, str, Decimal),
    'datetime': (datetime, datetime.isoformat, datetime.fromisoformat),
    'date': (date, date.isoformat, date.fromisoformat),
    'timedelta': (timedelta, lambda d: f'{d.days},{d.seconds},{d.microseconds}', _timedelta),
    'UUID': (UUID, str, UUID),
}


def from_json(text: bytes) -> Any:
    """The value `to_json` wrote (the caller bounds the length of `text`)."""
    return restore(json.loads(text))


def restore(value: Any) -> Any:
    """A value read from the worker's JSON, with its tagged types rebuilt."""
    if isinstance(value, list):
        return [restore(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {key: restore(item) for key, item in value.items()}
    if tag == 'tuple':
        return tuple(restore(item) for item in value['v'])
    if tag == 'dict':
        return {restore(key): restore(item) for key, item in value['v']}
    return _TAGGED[tag][2](value['v'])
