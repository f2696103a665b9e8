"""A form's inputs start with the defaults its schema gives (a vendor form's `default="annual"`), nested fields
included; fields without one start empty."""

from web.formdata import defaults, flat_values


def test_defaults_are_the_schemas_nested_as_the_forms_data():
    schema = {
        "properties": {
            "leavetype": {"type": "string", "enum": ["annual", "personal"], "default": "annual"},
            "leavedays": {"type": "integer", "default": 1},
            "urgent": {"type": "boolean", "default": False},
            "comment": {"type": "string"},
            "payee": {"type": "object", "properties": {"bank": {"type": "string", "default": "农商银行"}}},
            "other": {"type": "object", "properties": {"note": {"type": "string"}}},
        }
    }
    assert defaults(schema) == {"leavetype": "annual", "leavedays": 1, "urgent": False, "payee": {"bank": "农商银行"}}
    assert flat_values(defaults(schema))["payee.bank"] == "农商银行"
    assert defaults({}) == {}
