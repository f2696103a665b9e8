"""server.dumping: a schema's dump compiled from its fields gives what marshmallow's dump gives."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

from marshmallow import Schema, fields, post_dump

from server.dumping import dumper


class Ref(Schema):
    code = fields.String()
    name = fields.String()


class Row(Schema):
    ref = fields.Nested(Ref, allow_none=True)
    refs = fields.Nested(Ref, many=True)
    codes = fields.Pluck(Ref, "code", many=True)
    on = fields.Date()
    at = fields.DateTime()
    share = fields.Float(allow_none=True)
    count = fields.Integer(dump_default=0)
    text = fields.String(data_key="label", attribute="title")
    note = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    raw = fields.Dict()
    doubled = fields.Method("double")
    upper = fields.Function(lambda row: row["title"].upper() if isinstance(row, dict) else row.title.upper())
    nested_name = fields.String(attribute="ref.name")

    def double(self, row):
        value = row.get("count", 0) if isinstance(row, dict) else row.count
        return value * 2


class Report(Schema):
    rows = fields.List(fields.Nested(Row))
    scope = fields.Nested(Ref, allow_none=True)


class Hooked(Schema):
    name = fields.String()

    @post_dump
    def shout(self, data, **kwargs):
        return {key: value.upper() for key, value in data.items()}


def a_row(**changes):
    row = {
        "ref": {"code": "360981", "name": "丰城市"},
        "refs": [SimpleNamespace(code="1", name="甲"), {"code": "2", "name": "乙"}],
        "codes": [{"code": "3", "name": "丙"}],
        "on": date(2026, 12, 7),
        "at": datetime(2026, 12, 7, 8, 30, tzinfo=UTC),
        "share": 0.25,
        "count": 3,
        "title": "乡镇初审",
        "note": "受理".encode(),  # bytes: marshmallow decodes them
        "counts": {"approved": 2, "rate": None},
        "raw": {"x": [1, 2]},
    }
    return row | changes


def test_the_compiled_dump_is_marshmallows():
    rows = [
        a_row(),
        a_row(ref=None, share=None, count=7),
        {key: value for key, value in a_row().items() if key != "count"},  # missing: the dump default
        SimpleNamespace(**a_row()),  # attributes, not keys
    ]
    report = {"rows": rows, "scope": None}
    assert dumper(Report())(report) == Report().dump(report)
    assert dumper(Report())(report)["rows"][2]["count"] == 0
    assert dumper(Report())(report)["rows"][0]["label"] == "乡镇初审"
    assert dumper(Report())(report)["rows"][0]["note"] == "受理"


def test_a_schema_with_dump_hooks_is_dumped_by_marshmallow():
    assert dumper(Hooked())({"name": "abc"}) == {"name": "ABC"}
