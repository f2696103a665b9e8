"""The catalogue as people browse it: items filtered by region, level or accepting unit, and one item
with its list, vocabulary labels and the flow it runs."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.flows import Flow, catalog, flow_for
from engine.catalogue.items import CatalogList, Item, Vocabulary
from engine.catalogue.offering import offered_at
from engine.core.errors import Invalid, NotFound
from engine.core.models import OrgUnit


@dataclass(frozen=True)
class ItemView:
    item: Item
    catalog_list: CatalogList
    vocabulary: Vocabulary

    @property
    def flow(self) -> Flow | None:
        """The flow the item runs; None while no diagram is assigned to its pattern yet."""
        try:
            return flow_for(self.item)
        except KeyError:
            return None


def find_items(
    session: Session, region: str | None = None, level: str | None = None, org: str | None = None
) -> list[ItemView]:
    """Items of a region, acceptable at a level, or offered at the unit with code `org` (all that are given)."""
    current = catalog()
    errors: dict[str, list[str]] = {}
    regions = sorted({item.region for item in current.items})
    if region is not None and region not in regions:
        errors["region"] = [f"没有“{region}”的事项清单（可选：{'、'.join(regions)}）"]
    if level is not None and level not in current.vocabulary.levels:
        choices = "、".join(f"{code}（{label}）" for code, label in current.vocabulary.levels.items())
        errors["level"] = [f"未知的层级“{level}”（可选：{choices}）"]
    unit = None
    if org is not None:
        unit = session.scalars(select(OrgUnit).where(OrgUnit.code == org)).first()
        if unit is None:
            errors["org"] = [f"未知单位编码：{org}"]
    if errors:
        raise Invalid("查询条件有误", errors)
    items: Sequence[Item] = current.filter(region=region, level=level)
    if unit is not None:
        items = [item for item in items if offered_at(item, unit)]
    return [ItemView(item, current.lists[item.list_id], current.vocabulary) for item in items]


def item_view(item_id: str) -> ItemView:
    current = catalog()
    try:
        item = current.get(item_id)
    except KeyError:
        raise NotFound(f"事项不存在：{item_id}") from None
    return ItemView(item, current.lists[item.list_id], current.vocabulary)
