"""The reviewed 容缺/补正 data names real items and their own materials, each entry sourced and marked inferred."""

from engine.catalogue import deferrable
from engine.catalogue.flows import catalog


def test_every_deferrable_material_is_one_of_its_items_materials():
    data = deferrable._data()
    for item_id in deferrable.item_ids():
        item = catalog().get(item_id)
        entry = data["item"][item_id]
        assert entry["inferred"] is True and entry["source"]
        names = {material.name for material in item.materials}
        assert set(deferrable.rules_of(item).deferrable) <= names, item_id


def test_the_default_period_is_thirty_natural_days_marked_inferred():
    defaults = deferrable._data()["defaults"]
    assert (defaults["supplement_days"], defaults["supplement_calendar"], defaults["inferred"]) == (30, "natural", True)
