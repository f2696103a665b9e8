"""Form data laid out for people: labelled lines and tables, read from the form's own JSON schema.

One rule for every page and document that shows what a clerk or an applicant filled in: the labels
are the forms' titles, a choice shows its label (通过, not approve), money has two places and 元, a list
of records (the invoices of a claim) is a table with the sum of its money columns.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from forms.registry import UnknownForm, json_schema


@dataclass(frozen=True)
class Line:
    label: str
    text: str


@dataclass(frozen=True)
class Table:
    label: str
    columns: list[str]
    rows: list[list[str]]
    totals: list[str] = field(default_factory=list)
    """Per column: the sum of a money column ("506.50 元"), "" for the others; empty without money."""


@dataclass(frozen=True)
class Layout:
    lines: list[Line]
    tables: list[Table]

    def __bool__(self) -> bool:
        return bool(self.lines or self.tables)


def laid_out(form_key: str | None, values: dict[str, Any]) -> Layout:
    """The values of a form in the order its schema lists them; keys the form does not know are left out."""
    if not form_key or not values:
        return Layout([], [])
    try:
        schema = json_schema(form_key)
    except UnknownForm:
        return Layout([], [])
    lines: list[Line] = []
    tables: list[Table] = []
    _lay_out(schema, values, "", lines, tables)
    return Layout(lines, tables)


def money_text(value: Any) -> str:
    """An amount as every page prints it: two places and 元 ("480.00 元")."""
    try:
        return f"{Decimal(str(value)):.2f} 元"
    except (InvalidOperation, ValueError):
        return str(value)


def _lay_out(
    schema: dict[str, Any], values: dict[str, Any], prefix: str, lines: list[Line], tables: list[Table]
) -> None:
    for name, prop in schema.get("properties", {}).items():
        value = values.get(name)
        if value is None or value == "" or value == []:
            continue
        label = f"{prefix}{prop.get('title', name)}"
        if prop.get("type") == "object" and isinstance(value, dict):
            _lay_out(prop, value, f"{label} · ", lines, tables)
        elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
            tables.append(_table(label, prop["items"], value))
        elif prop.get("type") == "array":
            lines.append(Line(label, "、".join(_text(prop.get("items", {}), each) for each in value)))
        else:
            lines.append(Line(label, _text(prop, value)))


def _table(label: str, item_schema: dict[str, Any], rows: list[dict[str, Any]]) -> Table:
    columns = list(item_schema.get("properties", {}).items())
    money = [_is_money(prop) for _, prop in columns]
    totals: list[str] = []
    if any(money):
        sums = [sum((_amount(row.get(name)) for row in rows), Decimal(0)) for name, _ in columns]
        totals = [money_text(total) if is_money else "" for total, is_money in zip(sums, money, strict=True)]
    return Table(
        label,
        [prop.get("title", name) for name, prop in columns],
        [[_text(prop, row.get(name)) if row.get(name) is not None else "" for name, prop in columns] for row in rows],
        totals,
    )


def _text(prop: dict[str, Any], value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if "x-enumNames" in prop and value in prop.get("enum", []):
        return str(prop["x-enumNames"][prop["enum"].index(value)])
    if _is_money(prop):
        return money_text(value)
    return str(value)


def _is_money(prop: dict[str, Any]) -> bool:
    return prop.get("x-unit") == "元"


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
