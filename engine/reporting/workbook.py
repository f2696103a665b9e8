"""The 考核 figures as an Excel workbook (openpyxl): the same report the API and the pages show.

Sheets: 概况 (scope, period, totals), 各单位考核 (the ranked units), 各环节时效 (per unit and stage) and 超期办件.
Rates are stored as numbers with a percentage format, instants as Shanghai local times (Excel has no zones),
so that a reader computes with the cells as they are.
"""

from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from engine.reporting.assessment import texts

PERCENT = "0.0%"
INSTANT = "yyyy-mm-dd hh:mm"
DAY = "yyyy-mm-dd"


def assessment_workbook(report: dict[str, Any]) -> bytes:
    book = Workbook()
    sheets = texts()["sheets"]
    summary = book.active
    assert summary is not None
    summary.title = sheets["summary"]
    _summary(summary, report)
    _table(book.create_sheet(sheets["units"]), *_units(report))
    _table(book.create_sheet(sheets["stages"]), *_stages(report))
    _table(book.create_sheet(sheets["overdue"]), *_overdue(report))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _summary(sheet: Worksheet, report: dict[str, Any]) -> None:
    words, concluded = texts()["summary"], report["concluded"]
    rows: list[tuple[str, Any, str | None]] = [
        (words["scope"], report["scope"].name if report["scope"] else words["every_unit"], None),
        (words["from"], report["from"].isoformat() if report["from"] else words["unbounded"], None),
        (words["to"], report["to"].isoformat() if report["to"] else words["unbounded"], None),
        (words["as_of"], _local(report["as_of"]), INSTANT),
        (words["concluded"], concluded["total"], None),
        (words["on_time"], concluded["on_time"], None),
        (words["late"], concluded["late"], None),
        (words["on_time_rate"], concluded["on_time_rate"], PERCENT),
        (words["overdue_now"], sum(1 for case in report["overdue_cases"] if case["completed_at"] is None), None),
    ]
    for label, value, number_format in rows:
        sheet.append((label, value))
        if number_format:
            sheet.cell(row=sheet.max_row, column=2).number_format = number_format
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 30


Columns = list[tuple[str, str | None]]  # (header, number format)


def _units(report: dict[str, Any]) -> tuple[Columns, list[list[Any]]]:
    head = texts()["headers"]
    counts = report["count_columns"]
    columns: Columns = [
        (head["rank"], None),
        (head["unit_code"], None),
        (head["unit"], None),
        (head["concluded"], None),
        (head["concluded_on_time"], None),
        (head["concluded_late"], None),
        (head["concluded_rate"], PERCENT),
        (head["completed"], None),
        (head["on_time"], None),
        (head["late"], None),
        (head["on_time_rate"], PERCENT),
        (head["avg_working_days"], "0.00"),
    ] + [(column["label"], PERCENT if column["rate"] else None) for column in counts]
    rows = []
    for rank, row in enumerate(report["units"], start=1):
        concluded, stages = row["concluded"], row["stages"]
        rows.append(
            [rank, row["unit"].code, row["unit"].name]
            + [concluded[key] for key in ("total", "on_time", "late", "on_time_rate")]
            + [stages[key] for key in ("completed", "on_time", "late", "on_time_rate", "avg_working_days")]
            + [row["counts"].get(column["key"]) for column in counts]
        )
    return columns, rows


def _stages(report: dict[str, Any]) -> tuple[Columns, list[list[Any]]]:
    head = texts()["headers"]
    keys = ("completed", "on_time", "late", "without_limit", "on_time_rate", "avg_working_days")
    formats = {"on_time_rate": PERCENT, "avg_working_days": "0.00"}
    columns: Columns = [(head["unit_code"], None), (head["unit"], None), (head["stage"], None)]
    columns += [(head[key], formats.get(key)) for key in keys]
    rows = [[row["unit"].code, row["unit"].name, row["stage"]] + [row[key] for key in keys] for row in report["stages"]]
    return columns, rows


def _overdue(report: dict[str, Any]) -> tuple[Columns, list[list[Any]]]:
    head = texts()["headers"]
    columns: Columns = [
        (head["case_no"], None),
        (head["item"], None),
        (head["unit"], None),
        (head["started_at"], INSTANT),
        (head["due_on"], DAY),
        (head["completed_at"], INSTANT),
        (head["overdue_working_days"], None),
    ]
    rows = [
        [
            case["case_no"],
            case["item_name"],
            case["unit"].name,
            _local(case["started_at"]),
            case["due_on"],
            _local(case["completed_at"]) if case["completed_at"] else texts()["summary"]["not_concluded"],
            case["overdue_working_days"],
        ]
        for case in report["overdue_cases"]
    ]
    return columns, rows


def _table(sheet: Worksheet, columns: Columns, rows: list[list[Any]]) -> None:
    sheet.append([header for header, _ in columns])
    for row in rows:
        sheet.append(row)
    for index, (header, number_format) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, 2 * len(header) + 2)
        if number_format:
            for cell in sheet[letter][1:]:
                cell.number_format = number_format
    sheet.freeze_panes = "A2"


def _local(instant: datetime) -> datetime:
    """Excel keeps no zone: the Shanghai wall-clock time the pages show."""
    return instant.replace(tzinfo=None)
