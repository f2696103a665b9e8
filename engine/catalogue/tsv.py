"""Reading an administrator's tab-separated table shaped like the published annexes, reporting every
bad row at once (file:line: reason) so the clerk can fix the table in one go."""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from pathlib import Path

from engine.catalogue.items import (
    CENTRE_LEVELS,
    LIST_ID,
    CatalogImportError,
    Item,
    Material,
    Source,
    Vocabulary,
    limit_days_from_text,
    materials_from_text,
    normalise_text,
)
from engine.catalogue.lists import DEFAULT_DIRECTORY, VOCABULARY_FILE, category_problems, item_problems, load_vocabulary

TSV_REQUIRED_COLUMNS = ("地区", "清单", "序号", "事项名称", "事项分类", "办理层级")
TSV_OPTIONAL_COLUMNS = ("事项编码", "办理材料", "办理时限", "办理流程", "办理环节", "备注")


def parse_tsv(path_or_text: str | os.PathLike[str], vocabulary: Vocabulary | None = None) -> list[Item]:
    """Items of an annex-shaped tab-separated table; raises CatalogImportError listing every bad row.

    A str containing a tab or newline is the table itself; anything else is a path to a UTF-8 file.
    """
    vocabulary = vocabulary or load_vocabulary(DEFAULT_DIRECTORY / VOCABULARY_FILE)
    text, file_name = _tsv_text(path_or_text)
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    header = [normalise_text(cell) for cell in next(reader, [])]
    header_errors = _header_problems(header)
    if header_errors:
        raise CatalogImportError((1, reason) for reason in header_errors)
    errors: list[tuple[int, str]] = []
    items: list[Item] = []
    seen: dict[tuple[str, str], int] = {}
    regions: dict[str, str] = {}
    line = reader.line_num
    for cells in reader:
        row_number, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            errors.append((row_number, f"列数 {len(cells)} 多于表头的 {len(header)} 列"))
            continue
        record = {name: cell.strip() for name, cell in zip(header, cells)}
        item, reasons = _item_from_record(record, file_name, vocabulary)
        if item is not None:
            reasons += item_problems(item, vocabulary)
        list_id, row = record.get("清单"), record.get("序号")
        if list_id and row:
            if (list_id, row) in seen:
                reasons.append(f"清单 {list_id} 的序号 {row} 与第{seen[list_id, row]}行重复")
            seen.setdefault((list_id, row), row_number)
        if list_id and record.get("地区") and regions.setdefault(list_id, record["地区"]) != record["地区"]:
            reasons.append(f"清单 {list_id} 的地区应与前面各行一致（{regions[list_id]}）")
        errors += [(row_number, reason) for reason in reasons]
        if item is not None and not reasons:
            items.append(item)
    if errors:
        raise CatalogImportError(errors)
    return items


def _tsv_text(path_or_text: str | os.PathLike[str]) -> tuple[str, str]:
    if isinstance(path_or_text, str) and ("\t" in path_or_text or "\n" in path_or_text):
        return path_or_text.lstrip("\ufeff"), "import.tsv"
    path = Path(path_or_text)
    try:
        return path.read_text(encoding="utf-8-sig"), path.name
    except FileNotFoundError:
        raise CatalogImportError([(0, f"找不到文件 {path}")]) from None
    except UnicodeDecodeError:
        raise CatalogImportError([(0, f"文件 {path.name} 不是 UTF-8 编码，请另存为 UTF-8 制表符分隔文本")]) from None
    except OSError as exc:
        raise CatalogImportError([(0, f"无法读取文件 {path.name}：{exc.strerror}")]) from None


def _header_problems(header: list[str]) -> list[str]:
    known = set(TSV_REQUIRED_COLUMNS) | set(TSV_OPTIONAL_COLUMNS)
    reasons = [f"表头缺少“{name}”列" for name in TSV_REQUIRED_COLUMNS if name not in header]
    reasons += [f"表头含未知列“{name}”" for name in header if name and name not in known]
    reasons += [f"表头“{name}”列重复" for name, count in Counter(header).items() if name and count > 1]
    return reasons


def _item_from_record(record: dict[str, str], file_name: str, vocabulary: Vocabulary) -> tuple[Item | None, list[str]]:
    reasons = [f"“{name}”不能为空" for name in TSV_REQUIRED_COLUMNS if not record.get(name)]
    list_id = record.get("清单", "")
    if list_id and not LIST_ID.fullmatch(list_id):
        reasons.append(f"清单编号“{list_id}”只能由小写字母、数字和连字符组成")
    row_text = record.get("序号", "")
    if row_text and not (row_text.isdigit() and int(row_text) >= 1):
        reasons.append(f"序号“{row_text}”应为正整数")
    levels: list[str] = []
    for label in filter(None, re.split(r"[、,，/;；\s]+", record.get("办理层级", ""))):
        code = vocabulary.level_code(label)
        if code is None:
            reasons.append(f"未知的办理层级“{label}”（可选：{'、'.join(vocabulary.levels.values())}）")
        else:
            levels.append(code)
    inferred: set[str] = set()
    flow = record.get("办理流程", "")
    pattern = vocabulary.pattern_code(flow) if flow else None
    if flow and pattern is None:
        reasons.append(
            f"无法识别的办理流程“{flow}”（可选：{'；'.join(p.steps for p in vocabulary.patterns.values())}）"
        )
    elif not flow and levels and set(levels) <= CENTRE_LEVELS:
        pattern = "centre_only"
        inferred.add("pattern")
    elif not flow:
        reasons.append("乡镇、村或服务站可受理的事项必须填写“办理流程”")
    stage = record.get("办理环节", "")
    if not stage and pattern is not None:
        stage = vocabulary.patterns[pattern].stage
        inferred.add("stage")
    limit_text = record.get("办理时限") or None
    limit_days = None
    if limit_text:
        try:
            limit_days = limit_days_from_text(limit_text)
        except ValueError as exc:
            reasons.append(str(exc))
    materials: tuple[Material, ...] = ()
    if record.get("办理材料"):
        try:
            materials = materials_from_text(record["办理材料"])
        except ValueError as exc:
            reasons.append(f"办理材料：{exc}")
    if reasons:
        return None, reasons + category_problems(record.get("事项分类", ""), vocabulary)
    row = int(row_text)
    assert pattern is not None  # an unknown or missing flow was a reason above
    item = Item(
        id=f"{list_id}-{row:02d}",
        region=record["地区"],
        list_id=list_id,
        name=record["事项名称"],
        category=record["事项分类"],
        levels=tuple(levels),
        pattern=pattern,
        stage=stage,
        source=Source(file_name, row),
        code=record.get("事项编码") or None,
        limit_days=limit_days,
        limit_text=limit_text,
        materials=materials,
        steps_text=flow or None,
        remark=record.get("备注") or None,
        inferred=frozenset(inferred),
    )
    return item, []
