"""Between HTML forms and the forms library: flat field names such as `payee.bank_name` or
`invoices.0.amount` become the nested data a form schema loads, and nested error messages
become the same flat names so each message shows beside its input.

Values are only shaped here (blank means "not given", ticked means true, lines become list
entries); every check stays in the forms library.
"""

from collections.abc import Mapping

from werkzeug.datastructures import MultiDict


def from_form(schema: dict, form: MultiDict, prefix: str = "") -> dict:
    """The data a form with JSON Schema `schema` would receive as JSON, from posted fields."""
    data = {}
    for name, prop in schema.get("properties", {}).items():
        value = _value(prop, form, f"{prefix}{name}")
        if value is not None:
            data[name] = value
    return data


def _value(prop: dict, form: MultiDict, key: str):
    kind = prop.get("type")
    if kind == "object" and "properties" in prop:
        nested = from_form(prop, form, f"{key}.")
        return nested or None
    if kind == "array":
        inner = prop.get("items", {})
        if inner.get("type") == "object":
            return _rows(inner, form, key)
        entries = [v.strip() for raw in form.getlist(key) for v in raw.splitlines() if v.strip()]
        return entries or None
    if kind == "boolean":
        return key in form
    raw = form.get(key, "").strip()
    if raw == "":
        return None
    if kind == "integer":
        return int(raw) if raw.lstrip("-").isdigit() else raw
    return raw


def _rows(inner: dict, form: MultiDict, key: str) -> list | None:
    """Rows `key.0.*`, `key.1.*`, … in index order; rows left wholly blank are dropped."""
    head = f"{key}."
    indexes = set()
    for name in form:
        if name.startswith(head):
            index = name[len(head) :].split(".", 1)[0]
            if index.isdigit():
                indexes.add(int(index))
    rows = [row for row in (from_form(inner, form, f"{head}{i}.") for i in sorted(indexes)) if row]
    return rows or None


def defaults(schema: dict) -> dict:
    """The data a form's inputs start with where its schema gives a default (a vendor form's `default="annual"`)."""
    data = {}
    for name, prop in schema.get("properties", {}).items():
        if "default" in prop:
            data[name] = prop["default"]
        elif prop.get("type") == "object" and (nested := defaults(prop)):
            data[name] = nested
    return data


def flat_errors(errors: Mapping, prefix: str = "") -> dict[str, list[str]]:
    """{"payee": {"bank_name": ["…"]}, "invoices": {0: {"number": ["…"]}}} → {"payee.bank_name": […], "invoices.0.number": […]}."""
    flat: dict[str, list[str]] = {}
    for name, messages in errors.items():
        key = f"{prefix}{name}"
        if isinstance(messages, Mapping):
            flat.update(flat_errors(messages, f"{key}."))
        else:
            flat.setdefault(key, []).extend(str(m) for m in messages)
    return flat


def flat_values(data, prefix: str = "") -> dict[str, str]:
    """Nested data as flat field values, to refill a form after a refusal."""
    flat = {}
    items = data.items() if isinstance(data, Mapping) else enumerate(data)
    for name, value in items:
        key = f"{prefix}{name}"
        if isinstance(value, Mapping) or (isinstance(value, list) and value and isinstance(value[0], Mapping)):
            flat.update(flat_values(value, f"{key}."))
        elif isinstance(value, list):
            flat[key] = "\n".join(str(v) for v in value)
        else:
            flat[key] = value
    return flat


def row_count(values: Mapping, key: str) -> int:
    """How many rows of the list `key` the refilled form holds (at least one empty row)."""
    head = f"{key}."
    indexes = {name[len(head) :].split(".", 1)[0] for name in values if name.startswith(head)}
    return max(len([i for i in indexes if i.isdigit()]), 1)
