"""Where an item is offered: only in the region whose list names it, at a level that list allows.

One rule for starting a case (`ensure_offered_at`), showing a unit its items (`offered_at`,
`acceptable_items`), the filters of a unit's region (`items_of_region`) and of an administrator's scope
(`items_under`, `items_of_scope`).
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.flows import catalog, flow_for, reviewed_catalog
from engine.catalogue.items import Item
from engine.core.errors import Invalid
from engine.core.models import OrgUnit
from engine.org.permissions import Actor, scope_root
from engine.org.routing import ancestry, level_of, subtree_ids


def _region_names(unit: OrgUnit) -> set[str]:
    """A list's region is named by the unit itself or by a unit above it (丰城市 for 曲江镇)."""
    return {u.name for u in ancestry(unit)}


def region_of(unit: OrgUnit) -> str | None:
    """The region of a unit: the name of the nearest unit at or above it that a list names as its region
    (丰城市 for 曲江镇, 福州市 for 鼓楼区); None for a unit in no region (e.g. the system above the cities)."""
    regions = {catalogue_list.region for catalogue_list in catalog().lists.values()}
    return next((u.name for u in ancestry(unit) if u.name in regions), None)


def in_region(item: Item, unit: OrgUnit) -> bool:
    return item.region in _region_names(unit)


def items_of_region(unit: OrgUnit | None) -> list[Item]:
    """Items of the lists of the unit's region, whatever their level; every item when there is no unit."""
    items = catalog().items
    if unit is None:
        return list(items)
    regions = _region_names(unit)
    return [item for item in items if item.region in regions]


def items_under(session: Session, unit: OrgUnit | None) -> list[Item]:
    """Items of the lists of the unit's region and of every region below it (what figures and listings covering
    the unit's subtree are filtered by: a city's, a county's, every region's for the system); every item when there
    is no unit."""
    items = catalog().items
    if unit is None:
        return list(items)
    below = session.scalars(select(OrgUnit.name).where(OrgUnit.id.in_(subtree_ids(unit.id))))
    regions = _region_names(unit) | set(below)
    return [item for item in items if item.region in regions]


def items_of_scope(session: Session, user: Actor) -> list[Item]:
    """The items the filters of 办件监控 and 时效统计 offer a user: those of their scope (`scope_root`)."""
    return items_under(session, scope_root(user))


def acceptable_items(unit: OrgUnit) -> list[Item]:
    """Items the unit may accept that have a flow to run (an item whose pattern has no diagram yet is left out)."""
    return [item for item in items_of_region(unit) if offered_at(item, unit) and _has_flow(item)]


def _has_flow(item: Item) -> bool:
    try:
        flow_for(item)
    except KeyError:
        return False
    return True


def offered_at(item: Item, unit: OrgUnit) -> bool:
    """True when `unit` may accept `item`: it lies in the item's region, has a level the list allows and,
    for a 医保服务站, is of a station type the item names (an item naming none is for every station)."""
    return in_region(item, unit) and level_of(unit) in item.levels and _station_fits(item, unit)


def _station_fits(item: Item, unit: OrgUnit) -> bool:
    return level_of(unit) != "station" or not item.station_types or unit.station_type in item.station_types


def ensure_offered_at(item: Item, unit: OrgUnit) -> None:
    """`offered_at`, refusing with a message that names the region or the allowed levels."""
    if not in_region(item, unit):
        raise Invalid(
            f"“{item.name}”是{item.region}的事项",
            {"item": [f"{unit.name}不属于{item.region}，不能受理该市（县）清单中的事项"]},
        )
    if level_of(unit) not in item.levels:
        labels = reviewed_catalog().vocabulary.levels  # the level names of processes/catalog/vocabulary.toml
        allowed = "、".join(labels.get(level, level) for level in item.levels)
        raise Invalid(
            f"“{item.name}”只能在{allowed}受理",
            {"org": [f"{unit.name}不能受理“{item.name}”，可受理层级：{allowed}"]},
        )
    if not _station_fits(item, unit):
        types = reviewed_catalog().vocabulary.station_types
        allowed = "、".join(types.get(kind, kind) for kind in item.station_types)
        own = types.get(unit.station_type or "", "未登记服务站类型")
        raise Invalid(
            f"“{item.name}”只能在{allowed}受理",
            {"org": [f"{unit.name}（{own}）不能受理“{item.name}”，该事项限{allowed}"]},
        )
