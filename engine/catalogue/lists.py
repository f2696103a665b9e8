"""Loading the reviewed lists of processes/catalog/: the vocabulary and one TOML file per list,
validated as a whole, every problem reported with its file and line."""

from __future__ import annotations

import os
import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeGuard

from engine.catalogue.items import (
    INFERABLE_FIELDS,
    ITEM_CODE,
    LIST_ID,
    Catalog,
    CatalogError,
    CatalogList,
    Item,
    Material,
    Pattern,
    Source,
    Vocabulary,
    limit_days_from_text,
    normalise_text,
)

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "processes" / "catalog"
VOCABULARY_FILE = "vocabulary.toml"


def load_vocabulary(path: str | os.PathLike[str]) -> Vocabulary:
    """The controlled vocabularies (levels, patterns, stages, categories …) the catalogue files use."""
    path = Path(path)
    _, data = _read_toml(path)
    try:
        levels = {code: entry["label"] for code, entry in data["levels"].items()}
        aliases = {
            normalise_text(alias): code
            for code, entry in data["levels"].items()
            for alias in [entry["label"], *entry.get("aliases", [])]
        }
        patterns = {
            code: Pattern(code, entry["label"], entry["steps"], entry["stage"])
            for code, entry in data["patterns"].items()
        }
        vocabulary = Vocabulary(
            levels=MappingProxyType(levels),
            level_aliases=MappingProxyType(aliases),
            patterns=MappingProxyType(patterns),
            stages=MappingProxyType(dict(data["stages"])),
            stage_limits=MappingProxyType(dict(data["stage_limits"])),
            station_types=MappingProxyType(dict(data["station_types"])),
            categories=MappingProxyType(dict(data["categories"])),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise CatalogError([f"{path.name}: 词表缺少或写错条目（{exc}）"]) from None
    unknown_stages = [p.code for p in patterns.values() if p.stage not in vocabulary.stages]
    if unknown_stages:
        raise CatalogError([f"{path.name}: 流程模式 {', '.join(unknown_stages)} 的 stage 不在 [stages] 中"])
    return vocabulary


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text (for line numbers) and its parsed content."""
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError([f"{path.name}: TOML 语法错误：{exc}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError([f"{path.name}: 无法读取：{exc}"]) from None


# ---- catalogue files --------------------------------------------------------------------------

_LIST_FIELDS = {
    "id": True,
    "region": True,
    "title": True,
    "source_file": True,
    "issuer": False,
    "document": False,
    "annex": False,
    "scans_for_stage": False,
}
_ITEM_FIELDS = frozenset(
    {
        "id",
        "row",
        "name",
        "category",
        "levels",
        "pattern",
        "stage",
        "code",
        "limit_days",
        "limit_text",
        "stage_limits",
        "level_limits",
        "materials",
        "steps_text",
        "conditions",
        "station_types",
        "proxy_for",
        "remark",
        "note",
        "inferred",
        "supplements",
    }
)
_ITEM_STRINGS = ("code", "limit_text", "steps_text", "conditions", "proxy_for", "remark", "note")


def load_catalog(directory: str | os.PathLike[str] = DEFAULT_DIRECTORY) -> Catalog:
    """Every list file in `directory`, checked as a whole; raises CatalogError listing every problem."""
    directory = Path(directory)
    vocabulary = load_vocabulary(directory / VOCABULARY_FILE)
    files = sorted(path for path in directory.glob("*.toml") if path.name != VOCABULARY_FILE)
    if not files:
        raise CatalogError([f"{directory}: 没有清单文件（{VOCABULARY_FILE} 以外的 *.toml）"])
    problems: list[str] = []
    lists: dict[str, CatalogList] = {}
    list_files: dict[str, str] = {}
    items: list[tuple[Item, str]] = []
    for path in files:
        try:
            catalog_list, located_items = _load_list_file(path, vocabulary, problems)
        except CatalogError as exc:
            problems.extend(exc.problems)
            continue
        if catalog_list is None:
            continue
        if catalog_list.id in list_files:
            problems.append(f"{path.name}: 清单编号 {catalog_list.id} 已在 {list_files[catalog_list.id]} 使用")
            continue
        lists[catalog_list.id], list_files[catalog_list.id] = catalog_list, path.name
        items.extend(located_items)
    problems.extend(_cross_list_problems(items))
    if problems:
        raise CatalogError(problems)
    return Catalog(vocabulary, lists.values(), [item for item, _ in items])


def _load_list_file(
    path: Path, vocabulary: Vocabulary, problems: list[str]
) -> tuple[CatalogList | None, list[tuple[Item, str]]]:
    text, data = _read_toml(path)
    header_lines = [
        text.count("\n", 0, match.start()) + 1
        for match in re.finditer(r"^[ \t]*\[\[[ \t]*items[ \t]*\]\]", text, re.MULTILINE)
    ]
    list_line = _first_line(text, r"^[ \t]*\[[ \t]*list[ \t]*\]")
    header = data.get("list")
    if not isinstance(header, dict):
        problems.append(f"{path.name}:1: 缺少 [list] 表")
        return None, []
    reasons = _table_shape_problems(header, _LIST_FIELDS)
    if reasons:
        problems.extend(f"{path.name}:{list_line}: [list]: {reason}" for reason in reasons)
        return None, []
    catalog_list = CatalogList(**header)
    tables = data.get("items", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        problems.append(f"{path.name}:{list_line}: 事项应写成 [[items]] 表")
        return None, []
    if not tables:
        problems.append(f"{path.name}:{list_line}: 清单 {catalog_list.id} 没有任何 [[items]]")
    located: list[tuple[Item, str]] = []
    for index, table in enumerate(tables):
        line = header_lines[index] if index < len(header_lines) else list_line
        label = table.get("id") if isinstance(table.get("id"), str) else f"第{index + 1}个条目"
        where = f"{path.name}:{line}: {label}"
        item, reasons = _item_from_table(table, catalog_list)
        if item is not None:
            reasons += item_problems(item, vocabulary)
        problems.extend(f"{where}: {reason}" for reason in reasons)
        if item is not None and not reasons:
            located.append((item, where))
    return catalog_list, located


def _first_line(text: str, pattern: str) -> int:
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _table_shape_problems(table: dict[str, Any], fields: Mapping[str, bool]) -> list[str]:
    reasons = [f"缺少必填字段 {name}" for name, required in fields.items() if required and name not in table]
    reasons += [f"未知字段 {name}" for name in table if name not in fields]
    reasons += [
        f"字段 {name} 应为非空文本"
        for name, value in table.items()
        if name in fields and (not isinstance(value, str) or not value.strip())
    ]
    return reasons


def _item_from_table(table: dict[str, Any], catalog_list: CatalogList) -> tuple[Item | None, list[str]]:
    reasons = [f"未知字段 {name}" for name in table if name not in _ITEM_FIELDS]
    for name in ("id", "name", "category", "pattern", "stage"):
        if not isinstance(table.get(name), str) or not table[name].strip():
            reasons.append(f"缺少必填字段 {name}（非空文本）")
    for name in _ITEM_STRINGS:
        if name in table and (not isinstance(table[name], str) or not table[name].strip()):
            reasons.append(f"字段 {name} 应为非空文本")
    row = table.get("row")
    if not _is_count(row) or row < 1:
        reasons.append("缺少必填字段 row（清单中的序号，正整数）")
    levels = table.get("levels")
    if not _is_text_list(levels) or not levels:
        reasons.append("缺少必填字段 levels（受理层级列表）")
    for name in ("station_types", "inferred"):
        if name in table and not _is_text_list(table[name]):
            reasons.append(f"字段 {name} 应为文本列表")
    if "limit_days" in table and not _is_count(table["limit_days"]):
        reasons.append(f"limit_days 应为非负整数，而不是 {table['limit_days']!r}")
    for name in ("stage_limits", "level_limits"):
        value = table.get(name, {})
        if not isinstance(value, dict) or not all(_is_count(days) for days in value.values()):
            reasons.append(f"{name} 的每一项应为非负整数天数")
    materials, material_reasons = _materials_from_tables(table.get("materials", []))
    supplements, supplement_reasons = _sources_from_tables(table.get("supplements", []))
    reasons += material_reasons + supplement_reasons
    if reasons:
        return None, reasons
    assert _is_count(row) and _is_text_list(levels)  # checked above: no reasons were found
    item = Item(
        id=table["id"],
        region=catalog_list.region,
        list_id=catalog_list.id,
        name=table["name"],
        category=table["category"],
        levels=tuple(levels),
        pattern=table["pattern"],
        stage=table["stage"],
        source=Source(catalog_list.source_file, row, catalog_list.annex),
        code=table.get("code"),
        limit_days=table.get("limit_days"),
        limit_text=table.get("limit_text"),
        stage_limits=MappingProxyType(dict(table.get("stage_limits", {}))),
        level_limits=MappingProxyType(dict(table.get("level_limits", {}))),
        materials=materials,
        steps_text=table.get("steps_text"),
        conditions=table.get("conditions"),
        station_types=tuple(table.get("station_types", ())),
        proxy_for=table.get("proxy_for"),
        remark=table.get("remark"),
        note=table.get("note"),
        inferred=frozenset(table.get("inferred", ())),
        supplements=supplements,
        scans_required=catalog_list.scans_for_stage is not None and table["stage"] == catalog_list.scans_for_stage,
    )
    return item, []


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_text_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(entry, str) and entry.strip() for entry in value)


def _materials_from_tables(tables: object) -> tuple[tuple[Material, ...], list[str]]:
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        return (), ["materials 应为 { name, required, one_of } 表的列表"]
    reasons: list[str] = []
    for number, table in enumerate(tables, start=1):
        unknown = set(table) - {"name", "required", "one_of"}
        if unknown:
            reasons.append(f"第{number}项材料有未知字段 {', '.join(sorted(unknown))}")
        if not isinstance(table.get("name"), str) or not table["name"].strip():
            reasons.append(f"第{number}项材料缺少 name")
        if not isinstance(table.get("required", True), bool):
            reasons.append(f"第{number}项材料的 required 应为 true 或 false")
        if "one_of" in table and (not isinstance(table["one_of"], str) or not table["one_of"].strip()):
            reasons.append(f"第{number}项材料的 one_of 应为非空文本")
    if reasons:
        return (), reasons
    return tuple(Material(t["name"], t.get("required", True), t.get("one_of")) for t in tables), []


def _sources_from_tables(tables: object) -> tuple[tuple[Source, ...], list[str]]:
    fields = {"file", "row", "annex", "section"}
    valid = isinstance(tables, list) and all(
        isinstance(table, dict)
        and set(table) <= fields
        and isinstance(table.get("file"), str)
        and _is_count(table.get("row"))
        and table["row"] >= 1
        and all(isinstance(table.get(name, ""), str) for name in ("annex", "section"))
        for table in tables
    )
    if not valid or not isinstance(tables, list):
        return (), ["supplements 应为 { file, row, annex, section } 表的列表（file、row 必填）"]
    return tuple(Source(t["file"], t["row"], t.get("annex"), t.get("section")) for t in tables), []


def item_problems(item: Item, vocabulary: Vocabulary) -> list[str]:
    """Rules every item obeys, whether read from the catalogue files or imported from a table."""
    reasons: list[str] = []
    if not LIST_ID.fullmatch(item.id):
        reasons.append(f"编号“{item.id}”只能由小写字母、数字和连字符组成")
    if item.code is not None and not ITEM_CODE.fullmatch(item.code):
        reasons.append(f"事项编码“{item.code}”只能由字母和数字组成")
    reasons += category_problems(item.category, vocabulary)
    unknown_levels = [level for level in item.levels if level not in vocabulary.levels]
    if unknown_levels:
        reasons.append(f"未知的层级 {', '.join(unknown_levels)}（可选：{', '.join(vocabulary.levels)}）")
    if len(set(item.levels)) != len(item.levels):
        reasons.append("受理层级重复")
    pattern = vocabulary.patterns.get(item.pattern)
    if pattern is None:
        reasons.append(f"未知的流程模式“{item.pattern}”（可选：{', '.join(vocabulary.patterns)}）")
    if item.stage not in vocabulary.stages:
        reasons.append(f"未知的办理环节“{item.stage}”（可选：{'、'.join(vocabulary.stages)}）")
    elif pattern is not None and pattern.stage != item.stage:
        reasons.append(f"办理环节“{item.stage}”与流程模式 {item.pattern} 的“{pattern.stage}”不符")
    unknown_types = [kind for kind in item.station_types if kind not in vocabulary.station_types]
    if unknown_types:
        reasons.append(f"未知的服务站类型 {', '.join(unknown_types)}（可选：{', '.join(vocabulary.station_types)}）")
    if item.station_types and "station" not in item.levels:
        reasons.append("只有医保服务站（station）受理的事项才能填写 station_types")
    unknown_inferred = sorted(item.inferred - INFERABLE_FIELDS)
    if unknown_inferred:
        reasons.append(
            f"inferred 含未知字段 {', '.join(unknown_inferred)}（可选：{', '.join(sorted(INFERABLE_FIELDS))}）"
        )
    reasons += _limit_problems(item, vocabulary)
    reasons += _material_group_problems(item.materials)
    if item.proxy_for == item.id:
        reasons.append("proxy_for 不能指向事项自身")
    return reasons


def category_problems(category: str, vocabulary: Vocabulary) -> list[str]:
    if category in vocabulary.categories:
        return []
    return [f"未知的事项分类“{category}”（可选：{'、'.join(vocabulary.categories)}）"]


def _limit_problems(item: Item, vocabulary: Vocabulary) -> list[str]:
    reasons: list[str] = []
    unknown_stages = [name for name in item.stage_limits if name not in vocabulary.stage_limits]
    if unknown_stages:
        reasons.append(f"未知的分段时限名称 {', '.join(unknown_stages)}（可选：{', '.join(vocabulary.stage_limits)}）")
    if item.stage_limits and item.limit_days is None:
        reasons.append("填写了 stage_limits 就必须填写总时限 limit_days")
    elif item.stage_limits and item.limit_days is not None and sum(item.stage_limits.values()) > item.limit_days:
        reasons.append(
            f"分段时限合计 {sum(item.stage_limits.values())} 个工作日，超过总时限 {item.limit_days} 个工作日"
        )
    foreign = [level for level in item.level_limits if level not in item.levels]
    if foreign:
        reasons.append(f"level_limits 中的层级 {', '.join(foreign)} 不在该事项的受理层级中")
    if item.limit_text is not None:
        try:
            days = limit_days_from_text(item.limit_text)
        except ValueError as exc:
            reasons.append(str(exc))
        else:
            if days != item.limit_days:
                reasons.append(f"limit_days={item.limit_days} 与办理时限“{item.limit_text}”（{days}）不符")
    return reasons


def _material_group_problems(materials: tuple[Material, ...]) -> list[str]:
    reasons = [
        f"材料“{m.name}”属于 one_of 组“{m.one_of}”，required 应为 false"
        for m in materials
        if m.one_of is not None and m.required
    ]
    sizes = Counter(m.one_of for m in materials if m.one_of is not None)
    reasons += [f"one_of 组“{group}”只有一项材料，至少需要两项" for group, size in sizes.items() if size < 2]
    return reasons


def _cross_list_problems(items: list[tuple[Item, str]]) -> list[str]:
    problems: list[str] = []
    first_seen: dict[str, str] = {}
    rows: dict[tuple[str, int], str] = {}
    for item, where in items:
        if item.id in first_seen:
            problems.append(f"{where}: 编号重复，已在 {first_seen[item.id]} 使用")
        first_seen.setdefault(item.id, where)
        key = (item.list_id, item.source.row)
        if key in rows:
            problems.append(f"{where}: 序号 {item.source.row} 在清单 {item.list_id} 中重复（{rows[key]}）")
        rows.setdefault(key, where)
    by_id = {item.id: item for item, _ in items}
    for item, where in items:
        if item.proxy_for is None or item.proxy_for == item.id:
            continue
        target = by_id.get(item.proxy_for)
        if target is None:
            problems.append(f"{where}: proxy_for 指向不存在的事项 {item.proxy_for}")
        elif target.region != item.region:
            problems.append(f"{where}: proxy_for 指向其他地区（{target.region}）的事项 {target.id}")
    return problems


# ---- administrator import ---------------------------------------------------------------------
