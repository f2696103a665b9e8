"""What the 一次性告知 asks for: mandatory materials not received, 具备一项即可 groups with none received, and
on lists whose point uploads the materials (福州 代收代办), a mandatory material only counts with its scan."""

from dataclasses import replace

from engine.cases.acceptance import missing_materials
from engine.catalogue.flows import reviewed_catalog


def item(item_id):
    return reviewed_catalog().get(item_id)


def test_a_group_is_missing_until_one_of_its_materials_comes():
    filing = item("fc-v-04")
    mandatory = [m.name for m in filing.materials if m.required]
    group = [m.name for m in filing.materials if m.one_of]
    assert len(group) == 2
    (missing,) = missing_materials(filing, mandatory)
    assert missing == f"安置地证明（以下具备一项即可：{'；'.join(group)}）"
    assert missing_materials(filing, [*mandatory, group[1]]) == []
    assert missing_materials(filing, group[:1]) == mandatory


def test_fuzhou_collect_and_forward_items_need_scans_and_instant_ones_do_not():
    fuzhou = reviewed_catalog().filter(region="福州市")
    collected = [i for i in fuzhou if i.stage == "收件受理"]
    assert collected and all(i.scans_required for i in collected)
    assert not any(i.scans_required for i in fuzhou if i.stage != "收件受理")
    assert not any(i.scans_required for i in reviewed_catalog().filter(region="丰城市"))


def test_a_ticked_material_without_its_scan_is_missing_where_scans_are_required():
    # 福州's lists name no materials for these items yet; the rule is shown on 丰城's claim, as if its list required scans.
    claim = replace(item("fc-v-08"), scans_required=True)
    names = [m.name for m in claim.materials if m.required]
    assert missing_materials(claim, names) == [], "without knowing the scans, the ticks decide"
    assert missing_materials(claim, names, scanned=names[1:]) == names[:1]
    assert missing_materials(claim, names, scanned=names) == []
