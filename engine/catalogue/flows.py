"""The service items the product runs: the reviewed catalogue with the imported lists, and each item's flow."""

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from engine.catalogue import imported_lists
from engine.catalogue.items import Catalog, Item
from engine.catalogue.lists import load_catalog

PROCESSES_DIR = Path(__file__).resolve().parents[2] / "processes"


@dataclass(frozen=True)
class Flow:
    process_key: str
    start_form: str | None
    warn_days: int
    settles: bool = False
    """Whether the flow's 医保结算 step (an external task) runs: medical expenses are settled, subsidies are not."""
    params: dict[str, int] = field(default_factory=dict)
    """Figures the diagram reads from the case data as `params` (e.g. 协议管理's experts and 公示 days)."""


@cache
def reviewed_catalog() -> Catalog:
    """The lists transcribed and reviewed in processes/catalog/."""
    return load_catalog(PROCESSES_DIR / "catalog")


_merged: tuple[int, Catalog] | None = None


def catalog() -> Catalog:
    """The reviewed lists plus every imported one; a new import shows at once in the worker that made it,
    within a second in every other (see `imported_lists.revision`)."""
    global _merged
    stamp = imported_lists.revision()
    if stamp is None:
        return reviewed_catalog()
    current = _merged
    if current is None or current[0] != stamp:
        current = _merged = (stamp, imported_lists.merged(reviewed_catalog(), imported_lists.imported_items()))
    return current[1]


@cache
def _flows() -> dict[str, Any]:
    return tomllib.loads((PROCESSES_DIR / "flows.toml").read_text(encoding="utf-8"))


def flow_for(item: Item) -> Flow:
    """The item's own entry, else its pattern's; the start form also from its category (see flows.toml)."""
    flows = _flows()
    own, pattern = flows.get("item", {}).get(item.id, {}), flows["pattern"][item.pattern]
    entry = {**pattern, **own}
    category = flows.get("category", {}).get(item.category, {})
    start_form = next((source["start_form"] for source in (own, category, pattern) if "start_form" in source), None)
    return Flow(
        entry["process"],
        start_form or None,
        entry.get("warn_days", flows["warn_days"]),
        entry.get("settles", False),
        dict(entry.get("params", {})),
    )
