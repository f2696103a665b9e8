"""What a clerk reads for an item in a list of items: its name, and what tells it apart from a namesake.

丰城市 publishes 城乡居民参保登记 in its township list and again in its village list; a filter naming both
"城乡居民参保登记" leaves the clerk guessing. An item sharing its name with another of the same list offered
reads its levels beside the name (城乡居民参保登记 · 村（社区）), and, if those are shared too, its region.
Ids never appear: they are for links and titles, not for reading.
"""

from collections import Counter
from collections.abc import Iterable

from engine.catalogue.flows import catalog
from engine.catalogue.items import Item

SEPARATOR = " · "


def item_labels(items: Iterable[Item]) -> dict[str, str]:
    """The label of each item of `items` (by id), told apart from the others of `items` with its name."""
    offered = list(items)
    names = Counter(item.name for item in offered)
    with_levels = Counter((item.name, _levels(item)) for item in offered)
    labels = {}
    for item in offered:
        label = item.name
        if names[item.name] > 1:
            label += SEPARATOR + _levels(item)
            if with_levels[(item.name, _levels(item))] > 1:
                label += SEPARATOR + item.region
        labels[item.id] = label
    return labels


def _levels(item: Item) -> str:
    known = catalog().vocabulary.levels
    return "、".join(known.get(level, level) for level in item.levels)
