"""Responses encoded by orjson (server/encoding.py) read back as what Flask's own encoder gives, for every kind of
value Flask accepts — HTTP dates, Decimal and UUID as strings, dataclasses, numeric keys — with keys sorted; an
integer beyond orjson's 64 bits still answers, through Flask's encoder."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from server.encoding import OrjsonProvider


@dataclass
class Point:
    x: int
    label: str


VALUE = {
    "b": [1, 2.5, None, True, "曲江镇"],
    "a": {"when": datetime(2026, 11, 16, 2, 0, tzinfo=UTC), "day": date(2026, 11, 16)},
    "money": Decimal("200.50"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "point": Point(1, "村"),
    "by_id": {3: "三", 10: "十"},
}


def bodies(value):
    app = Flask(__name__)
    with app.app_context():
        fast = OrjsonProvider(app).response(value)
        plain = DefaultJSONProvider(app).response(value)
    return fast.get_data(), plain.get_data()


def test_the_body_reads_back_as_flasks_own_with_sorted_keys():
    fast, plain = bodies(VALUE)
    assert json.loads(fast) == json.loads(plain)
    assert json.loads(fast)["a"]["day"] == "Mon, 16 Nov 2026 00:00:00 GMT"  # Flask's HTTP date, not ISO
    assert fast.index(b'"a"') < fast.index(b'"b"') < fast.index(b'"by_id"') < fast.index(b'"id"')
    assert json.loads(fast)["by_id"] == {"3": "三", "10": "十"}
    assert "曲江镇".encode() in fast and b"\\u" not in fast  # UTF-8, not escaped
    assert fast.endswith(b"}\n")


def test_an_integer_beyond_64_bits_falls_back_to_flasks_encoder():
    huge = {"n": 10**30}
    fast, plain = bodies(huge)
    assert fast == plain and json.loads(fast) == huge
