"""The service items the product runs: the reviewed catalogue and the flow each item runs."""
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from engine.catalog import Catalog, Item, load_catalog

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"


@dataclass(frozen=True)
class Flow:
    process_key: str
    start_form: str | None


@cache
def catalog() -> Catalog:
    return load_catalog(PROCESSES_DIR / "catalog")


@cache
def _flows() -> dict:
    return tomllib.loads((PROCESSES_DIR / "flows.toml").read_text(encoding="utf-8"))


def flow_for(item: Item) -> Flow:
    """The item's own flow if it has one, else the flow of its pattern."""
    entry = _flows().get("item", {}).get(item.id) or _flows()["pattern"][item.pattern]
    return Flow(entry["process"], entry.get("start_form"))
