"""The service-item catalogue (事项清单) as data: items, their materials and sources, lists, patterns and
the vocabulary, and the readings of the documents' own wording (time limits, numbered materials).
Pure: no Flask, no database, no item data in code. Loading is in `lists` (TOML) and `tsv` (tables)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

INFERABLE_FIELDS = frozenset({"category", "levels", "pattern", "stage", "limit_days", "stage_limits"})
CENTRE_LEVELS = frozenset({"city", "county"})

LIST_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ITEM_CODE = re.compile(r"[0-9A-Za-z]+")
EMPTY_MAPPING: Mapping[str, int] = MappingProxyType({})


class CatalogError(ValueError):
    """The catalogue files are wrong; `problems` holds every problem found, each naming file:line and item."""

    def __init__(self, problems: Iterable[str]):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class CatalogImportError(ValueError):
    """An imported table has bad rows; `errors` holds (row_number, reason) for every one (0 = the whole file)."""

    def __init__(self, errors: Iterable[tuple[int, str]]):
        self.errors = tuple(errors)
        super().__init__("\n".join(f"第{row}行：{reason}" for row, reason in self.errors))


@dataclass(frozen=True)
class Material:
    name: str
    required: bool = True
    one_of: str | None = None


@dataclass(frozen=True)
class Source:
    file: str
    row: int
    annex: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class Item:
    id: str
    region: str
    list_id: str
    name: str
    category: str
    levels: tuple[str, ...]
    pattern: str
    stage: str
    source: Source
    code: str | None = None
    limit_days: int | None = None
    limit_text: str | None = None
    stage_limits: Mapping[str, int] = field(default_factory=lambda: EMPTY_MAPPING)
    level_limits: Mapping[str, int] = field(default_factory=lambda: EMPTY_MAPPING)
    materials: tuple[Material, ...] = ()
    steps_text: str | None = None
    conditions: str | None = None
    station_types: tuple[str, ...] = ()
    proxy_for: str | None = None
    remark: str | None = None
    note: str | None = None
    inferred: frozenset[str] = frozenset()
    scans_required: bool = False
    """The list has the accepting point upload (scan) the materials: a mandatory one counts only with its scan."""
    supplements: tuple[Source, ...] = ()

    @property
    def flow_inferred(self) -> bool:
        """True when the list gives no flow and reviewers chose the pattern."""
        return "pattern" in self.inferred

    def limit_at(self, level: str) -> int | None:
        """Working days allowed when the item is accepted at `level` (None: the source sets no limit)."""
        if level not in self.levels:
            raise ValueError(f"{self.id} is not accepted at level {level!r}")
        return self.level_limits.get(level, self.limit_days)


@dataclass(frozen=True)
class Pattern:
    code: str
    label: str
    steps: str
    stage: str


@dataclass(frozen=True)
class Vocabulary:
    levels: Mapping[str, str]
    level_aliases: Mapping[str, str]
    patterns: Mapping[str, Pattern]
    stages: Mapping[str, str]
    stage_limits: Mapping[str, str]
    station_types: Mapping[str, str]
    categories: Mapping[str, str]

    def level_code(self, text: str) -> str | None:
        """The level code a label such as 乡镇（街道） or 县级 stands for."""
        return self.level_aliases.get(normalise_text(text))

    def pattern_code(self, text: str) -> str | None:
        """The pattern a code, label or step chain such as 申请-受理-办结 stands for."""
        wanted = _steps_key(text)
        for pattern in self.patterns.values():
            if wanted in (pattern.code, _steps_key(pattern.label), _steps_key(pattern.steps)):
                return pattern.code
        return None


@dataclass(frozen=True)
class CatalogList:
    id: str
    region: str
    title: str
    source_file: str
    issuer: str | None = None
    document: str | None = None
    annex: str | None = None
    scans_for_stage: str | None = None
    """Items of this 办理环节 (e.g. 收件受理, 代收代办) need the accepting point to upload their materials."""


class Catalog:
    """Every service item of every list, looked up by id, list, region or accepting level."""

    def __init__(self, vocabulary: Vocabulary, lists: Iterable[CatalogList], items: Iterable[Item]):
        self.vocabulary = vocabulary
        self.lists = MappingProxyType({catalog_list.id: catalog_list for catalog_list in lists})
        self.items = tuple(items)
        self._by_id = {item.id: item for item in self.items}

    def get(self, item_id: str) -> Item:
        try:
            return self._by_id[item_id]
        except KeyError:
            raise KeyError(f"no service item {item_id!r} in the catalogue") from None

    def by_list(self, list_id: str) -> tuple[Item, ...]:
        if list_id not in self.lists:
            raise KeyError(f"no list {list_id!r} in the catalogue")
        return tuple(item for item in self.items if item.list_id == list_id)

    def filter(self, region: str | None = None, level: str | None = None) -> tuple[Item, ...]:
        if level is not None and level not in self.vocabulary.levels:
            raise ValueError(f"unknown level {level!r}; known: {', '.join(self.vocabulary.levels)}")
        return tuple(
            item
            for item in self.items
            if (region is None or item.region == region) and (level is None or level in item.levels)
        )


def normalise_text(text: str) -> str:
    """Compare Chinese text regardless of full/half-width punctuation and whitespace (NFKC, no spaces)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _steps_key(text: str) -> str:
    return re.sub(r"[-－—–→>]+", "-", normalise_text(text))


_INSTANT_WORDS = ("即时办结", "当场办结", "即办", "立即办结")


def limit_days_from_text(text: str) -> int:
    """Working days in a 办理时限 text: 即时办结/当场办结 → 0, 不超过30个工作日 or 即时受理，20个工作日内办结 → the number."""
    plain = normalise_text(text)
    numbers = re.findall(r"(\d+)个?工作日", plain)
    if len(numbers) > 1:
        raise ValueError(f"办理时限“{text}”含多个工作日数，无法确定总时限")
    if numbers:
        return int(numbers[0])
    if any(word in plain for word in _INSTANT_WORDS):
        return 0
    raise ValueError(f"无法识别的办理时限“{text}”（应为“即时办结”“当场办结”或“N个工作日”）")


_MATERIAL_NUMBER = re.compile(r"(?:^|(?<=[\s；;]))(\d+)[.．、]")
_ALTERNATIVES = re.compile(r"第(\d+(?:[、,，]\d+)+)项具备一项即可[。；;]?")


def materials_from_text(text: str) -> tuple[Material, ...]:
    """Materials from an annex cell: numbered entries (1.… 2.…), a trailing 第2、3项具备一项即可 making a one_of group."""
    alternatives = _ALTERNATIVES.search(text)
    body = _ALTERNATIVES.sub(" ", text).strip()
    parts = _MATERIAL_NUMBER.split(body)
    if len(parts) == 1:
        names = [name for name in re.split(r"[；;\n]", body) if name.strip()]
        numbered = list(enumerate(names, start=1))
    else:
        if parts[0].strip():
            raise ValueError(f"材料“{parts[0].strip()}”前缺少编号")
        numbered = [(int(parts[i]), parts[i + 1]) for i in range(1, len(parts), 2)]
        if [number for number, _ in numbered] != list(range(1, len(numbered) + 1)):
            raise ValueError("材料编号应从1开始连续编号")
    materials = {number: name.strip().rstrip("；;。").strip() for number, name in numbered}
    if any(not name for name in materials.values()):
        raise ValueError("存在空白的材料名称")
    group: tuple[int, ...] = ()
    if alternatives:
        group = tuple(int(number) for number in re.split(r"[、,，]", alternatives.group(1)))
        missing = [number for number in group if number not in materials]
        if missing:
            raise ValueError(f"“{alternatives.group(0)}”引用了不存在的第{missing[0]}项材料")
    label = f"第{'、'.join(map(str, group))}项" if group else None
    return tuple(
        Material(name, required=number not in group, one_of=label if number in group else None)
        for number, name in materials.items()
    )


# ---- vocabulary -------------------------------------------------------------------------------
