"""Service items an administrator imported from an annex-shaped table, kept in the database.

The reviewed files stay the source of truth for the published lists; imports add lists of their own.
Every import is one row of `catalog_import`, whose id only ever grows, so its maximum tells every
worker cheaply whether its merged catalogue is still current. Each worker asks at most once a second
(cases are started and stepped many times a second); the worker that imports knows at once.
"""

from __future__ import annotations

import csv
import io
import os
import time
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import JSON, Engine, ForeignKey, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.catalogue.items import Catalog, CatalogImportError, CatalogList, Item, Material, Source, normalise_text
from engine.catalogue.tsv import parse_tsv
from engine.core.clock import clock
from engine.core.models import Base, CaseInstance
from engine.core.uow import unit_of_work
from engine.org.permissions import Actor, ensure_admin, regions_in_scope

ITEM_ID_LENGTH = 40  # CaseInstance.item_id
FRESHNESS_SECONDS = 1.0


class CatalogImport(Base):
    """One accepted import of a table: who brought which file when."""

    __tablename__ = "catalog_import"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused: max(id) is the revision

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(200))
    imported_by: Mapped[str] = mapped_column(String(60))
    imported_at: Mapped[datetime]
    item_count: Mapped[int] = mapped_column(Integer)


class CatalogImportItem(Base):
    """An imported item, stored as the fields of `engine.catalog.Item`."""

    __tablename__ = "catalog_import_item"

    item_id: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH), primary_key=True)
    list_id: Mapped[str] = mapped_column(String(60), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("catalog_import.id"))
    position: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


_engine: Engine | None = None
_last_read: tuple[float, int | None] | None = None  # (monotonic time read, revision)


def bind(engine: Engine) -> None:
    """Read imported items from this database (the app factory binds its engine)."""
    global _engine
    _engine = engine
    forget_revision()


def forget_revision() -> None:
    global _last_read
    _last_read = None


def revision() -> int | None:
    """Id of the latest import, None when nothing was imported or no database is bound."""
    global _last_read
    if _engine is None:
        return None
    now = time.monotonic()
    last = _last_read
    if last is None or now - last[0] > FRESHNESS_SECONDS:
        with _engine.connect() as connection:
            last = _last_read = (now, connection.scalar(select(func.max(CatalogImport.id))))
    return last[1]


def imported_items() -> list[Item]:
    if _engine is None:
        return []
    with Session(_engine) as session:
        rows = session.scalars(
            select(CatalogImportItem).order_by(CatalogImportItem.list_id, CatalogImportItem.position)
        )
        return [item_from_record(row.data) for row in rows]


def merged(reviewed: Catalog, items: list[Item]) -> Catalog:
    """The reviewed catalogue plus imported items, each imported list named after its file."""
    lists = dict(reviewed.lists)
    for item in items:
        lists.setdefault(item.list_id, CatalogList(item.list_id, item.region, item.source.file, item.source.file))
    return Catalog(reviewed.vocabulary, lists.values(), [*reviewed.items, *items])


def import_table(session: Session, actor: Actor, path: str | os.PathLike[str], reviewed: Catalog) -> list[Item]:
    """Import every row of the table or none, as `actor` (an administrator, or the system); a list imported
    again is replaced as a whole. A region's administrator imports only lists whose region (地区) is their unit
    or a unit under it (`permissions.regions_in_scope`); a system-level one, and the system, any region's.

    Raises CatalogImportError with (line, reason) for every bad row (line 0: the table as a whole).
    """
    ensure_admin(actor)
    items = parse_tsv(path, reviewed.vocabulary)
    if not items:
        raise CatalogImportError([(0, "表中没有任何事项")])
    lines = _lines_of(Path(path))
    list_ids = {item.list_id for item in items}
    reviewed_ids = {item.id for item in reviewed.items}
    errors: list[tuple[int, str]] = []
    regions = regions_in_scope(session, actor)
    for item in items:
        line = lines.get((item.list_id, item.source.row), 0)
        if regions is not None and item.region not in regions:
            errors.append((line, f"地区“{item.region}”不在您管理的范围内，不能导入该地区的清单"))
        if item.list_id in reviewed.lists:
            errors.append((line, f"清单编号“{item.list_id}”是已审核的清单，不能通过导入修改"))
        elif item.id in reviewed_ids:
            errors.append((line, f"事项编号“{item.id}”与已审核清单中的事项重复，请换一个清单编号"))
        if len(item.id) > ITEM_ID_LENGTH:
            errors.append((line, f"事项编号“{item.id}”超过{ITEM_ID_LENGTH}个字符，请缩短清单编号"))
    errors += _dropped_items_with_cases(session, list_ids, {item.id for item in items})
    if errors:
        raise CatalogImportError(sorted(errors))
    batch = CatalogImport(
        file_name=Path(path).name, imported_by=actor.username, imported_at=clock.now(), item_count=len(items)
    )
    with unit_of_work(session):
        session.execute(delete(CatalogImportItem).where(CatalogImportItem.list_id.in_(list_ids)))
        session.add(batch)
        session.flush()
        session.add_all(
            CatalogImportItem(
                item_id=item.id, list_id=item.list_id, import_id=batch.id, position=position, data=item_record(item)
            )
            for position, item in enumerate(items)
        )
    forget_revision()
    return items


def _dropped_items_with_cases(session: Session, list_ids: set[str], kept: set[str]) -> list[tuple[int, str]]:
    """Items of a replaced list that cases already run on must stay in the new table."""
    dropped = session.execute(
        select(CatalogImportItem.item_id, CatalogImportItem.data).where(
            CatalogImportItem.list_id.in_(list_ids),
            CatalogImportItem.item_id.not_in(kept),
            select(CaseInstance.id).where(CaseInstance.item_id == CatalogImportItem.item_id).exists(),
        )
    ).all()
    return [(0, f"事项“{data['name']}”（{item_id}）已有办件，新表中不能缺少该事项") for item_id, data in dropped]


def _lines_of(path: Path) -> dict[tuple[str, int], int]:
    """The file line of each (清单, 序号), to name it in refusals found after parsing."""
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter="\t")
    header = [normalise_text(cell) for cell in next(reader, [])]
    list_column, row_column = header.index("清单"), header.index("序号")
    lines: dict[tuple[str, int], int] = {}
    line = reader.line_num
    for cells in reader:
        row_number, line = line + 1, reader.line_num
        if len(cells) > max(list_column, row_column) and cells[row_column].strip().isdigit():
            lines.setdefault((cells[list_column].strip(), int(cells[row_column])), row_number)
    return lines


def item_record(item: Item) -> dict[str, Any]:
    """An item as JSON-ready data (the inverse of `item_from_record`)."""
    return {
        "id": item.id,
        "region": item.region,
        "list_id": item.list_id,
        "name": item.name,
        "category": item.category,
        "levels": list(item.levels),
        "pattern": item.pattern,
        "stage": item.stage,
        "source": _source_record(item.source),
        "code": item.code,
        "limit_days": item.limit_days,
        "limit_text": item.limit_text,
        "stage_limits": dict(item.stage_limits),
        "level_limits": dict(item.level_limits),
        "materials": [{"name": m.name, "required": m.required, "one_of": m.one_of} for m in item.materials],
        "steps_text": item.steps_text,
        "conditions": item.conditions,
        "station_types": list(item.station_types),
        "proxy_for": item.proxy_for,
        "remark": item.remark,
        "note": item.note,
        "inferred": sorted(item.inferred),
        "supplements": [_source_record(s) for s in item.supplements],
        "scans_required": item.scans_required,
    }


def item_from_record(data: dict[str, Any]) -> Item:
    return Item(
        **{
            **data,
            "levels": tuple(data["levels"]),
            "source": Source(**data["source"]),
            "stage_limits": MappingProxyType(data["stage_limits"]),
            "level_limits": MappingProxyType(data["level_limits"]),
            "materials": tuple(Material(**m) for m in data["materials"]),
            "station_types": tuple(data["station_types"]),
            "inferred": frozenset(data["inferred"]),
            "supplements": tuple(Source(**s) for s in data["supplements"]),
        }
    )


def _source_record(source: Source) -> dict[str, Any]:
    return {"file": source.file, "row": source.row, "annex": source.annex, "section": source.section}
