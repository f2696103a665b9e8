"""The reviewed catalogue against the source documents in the seeds directory.

Annex rows of 000, 001 and 004 are tab-separated and parsed here; 003 (badly OCR'd) is only checked where
its text survives: the limits the catalogue takes from it. Text is compared after `normalise_text`.
"""

import os
import re
from pathlib import Path

import pytest

from engine.catalogue.items import CENTRE_LEVELS, limit_days_from_text, materials_from_text, normalise_text
from engine.catalogue.lists import load_catalog

SEEDS = Path(os.environ.get("YIBAO_SEEDS_DIR", "/work/shared/seeds"))
FUZHOU, FENGCHENG, OCR_LIST, YONGZHOU = (
    "000_15b8b97b10b82e11.txt",
    "001_edb9f78bad0f2cee.txt",
    "003_b9f27d4755998b6b.txt",
    "004_20305e6f098c7892.txt",
)
LEVEL_LABELS = {"市级": "city", "县级": "county", "乡镇（街道）": "township", "村（社区）": "village"}

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found in {SEEDS}")


def seed_text(name):
    return (SEEDS / name).read_text(encoding="utf-8")


def annex_rows(text, start_heading, end_heading=None):
    """Tab-separated numbered rows between two annex headings (lines of their own)."""
    start = re.search(rf"^{start_heading}$", text, re.MULTILINE).end()
    end = re.search(rf"^{end_heading}$", text, re.MULTILINE).start() if end_heading else len(text)
    return [line.split("\t") for line in text[start:end].splitlines() if re.match(r"\d+\t", line)]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def sources():
    """Rows of each list as the source documents give them, keyed by list id."""
    fuzhou, fengcheng, yongzhou = seed_text(FUZHOU), seed_text(FENGCHENG), seed_text(YONGZHOU)
    return {
        "fuzhou-grassroots": annex_rows(fuzhou, "附件 1:", "附件 2:"),
        "fuzhou-station": annex_rows(fuzhou, "附件 2:"),
        "fengcheng-township": annex_rows(fengcheng, "附件 1", "附件 2"),
        "fengcheng-village": annex_rows(fengcheng, "附件 2"),
        "yongzhou-levels": annex_rows(yongzhou, "永州市医保经办政务服务事项清单办理层级表"),
    }


NAME_COLUMN = {
    "fuzhou-grassroots": 2,
    "fuzhou-station": 2,
    "fengcheng-township": 1,
    "fengcheng-village": 1,
    "yongzhou-levels": 2,
}


@pytest.mark.parametrize(
    "list_id, count",
    [
        ("fuzhou-grassroots", 25),
        ("fuzhou-station", 19),
        ("fengcheng-township", 16),
        ("fengcheng-village", 12),
        ("yongzhou-levels", 43),
    ],
)
def test_each_list_has_as_many_items_as_its_annex(catalog, sources, list_id, count):
    assert len(sources[list_id]) == count
    assert len(catalog.by_list(list_id)) == count


@pytest.mark.parametrize("list_id", sorted(NAME_COLUMN))
def test_names_and_rows_match_the_annex_row_by_row(catalog, sources, list_id):
    items = sorted(catalog.by_list(list_id), key=lambda item: item.source.row)
    assert [item.source.row for item in items] == list(range(1, len(items) + 1))
    assert [int(row[0]) for row in sources[list_id]] == list(range(1, len(items) + 1))
    expected = [normalise_text(row[NAME_COLUMN[list_id]]) for row in sources[list_id]]
    assert [normalise_text(item.name) for item in items] == expected


def test_every_source_file_named_by_the_catalogue_exists(catalog):
    named = {item.source.file for item in catalog.items}
    named |= {source.file for item in catalog.items for source in item.supplements}
    assert named == {FUZHOU, FENGCHENG, OCR_LIST, YONGZHOU}
    assert all((SEEDS / name).is_file() for name in named)


@pytest.mark.parametrize("list_id", ["fuzhou-grassroots", "fuzhou-station"])
def test_fuzhou_flows_and_stages_are_the_annex_columns(catalog, sources, list_id):
    for row, item in zip(sources[list_id], sorted(catalog.by_list(list_id), key=lambda i: i.source.row)):
        flow, stage = row[3], row[4]
        assert catalog.vocabulary.pattern_code(flow) == item.pattern, item.id
        assert normalise_text(item.steps_text) == normalise_text(flow), item.id
        assert item.stage == stage, item.id
        assert not item.flow_inferred and "stage" not in item.inferred, item.id


def test_limits_taken_from_003_appear_in_it(catalog):
    ocr = normalise_text(seed_text(OCR_LIST))
    from_003 = [item for item in catalog.items if any(s.file == OCR_LIST for s in item.supplements)]
    assert len(from_003) >= 30
    for item in from_003:
        assert item.limit_text and normalise_text(item.limit_text) in ocr, item.id


def test_village_resident_registration_in_fuzhou_is_reviewed_within_3_days(catalog):
    item = catalog.get("fz-g-08")
    assert item.limit_at("township") == 0
    assert item.limit_at("village") == 3
    assert normalise_text("即时受理，3个工作日内审核") in normalise_text(seed_text(OCR_LIST))


def test_fuzhou_station_reimbursements_take_20_days_and_medical_aid_7(catalog):
    handed_over = [item for item in catalog.by_list("fuzhou-station") if item.stage == "收件受理"]
    assert len(handed_over) == 7
    for item in handed_over:
        expected = 7 if item.name == "医疗救助对象手工（零星）报销" else 20
        assert item.limit_days == expected, item.id
        assert item.station_types == ("health_centre",), item.id


@pytest.mark.parametrize("list_id", ["fengcheng-township", "fengcheng-village"])
def test_fengcheng_codes_limits_materials_and_steps_match_the_annex(catalog, sources, list_id):
    for row, item in zip(sources[list_id], sorted(catalog.by_list(list_id), key=lambda i: i.source.row)):
        code, materials_cell, limit_cell = row[2], row[3], row[4]
        flow_cell = row[5] if len(row) > 5 else ""
        assert item.code == code, item.id
        assert normalise_text(item.limit_text) == normalise_text(limit_cell), item.id
        assert item.limit_days == limit_days_from_text(limit_cell), item.id
        expected = materials_from_text(materials_cell)
        assert [normalise_text(m.name) for m in item.materials] == [normalise_text(m.name) for m in expected]
        assert [m.required for m in item.materials] == [m.required for m in expected], item.id
        assert [m.one_of is None for m in item.materials] == [m.one_of is None for m in expected], item.id
        if flow_cell.strip():
            assert normalise_text(item.steps_text) == normalise_text(flow_cell), item.id
            stage_days = [int(days) for days in re.findall(r"(\d+)个工作日", flow_cell)]
            assert list(item.stage_limits.values()) == stage_days, item.id
        else:
            assert item.steps_text is None and {"pattern", "stage_limits"} <= item.inferred, item.id


def test_fengcheng_outpatient_reimbursement(catalog):
    item = next(i for i in catalog.by_list("fengcheng-township") if i.name == "门诊费用报销")
    assert item.code == "002036006001"
    assert item.limit_days == 30
    assert dict(item.stage_limits) == {"township_review": 20, "centre_review": 5, "payout": 5}
    assert item.pattern == "township_review_pay"
    assert [m.name for m in item.materials] == [
        "医保电子凭证或有效身份证件或社保卡（查看）",
        "费用发票原件",
        "费用清单原件（加盖医院公章）",
        "慢性病复印件",
    ]
    assert all(m.required for m in item.materials)


def test_fengcheng_residence_proofs_are_alternatives(catalog):
    materials = catalog.get("fc-t-05").materials
    assert [m.required for m in materials] == [True, False, False, True]
    assert materials[1].one_of == materials[2].one_of is not None


def test_fengcheng_village_items_hand_over_to_the_same_township_item(catalog):
    for item in catalog.by_list("fengcheng-village"):
        target = catalog.get(item.proxy_for)
        assert target.list_id == "fengcheng-township", item.id
        assert (target.code, target.name, target.limit_days) == (item.code, item.name, item.limit_days), item.id
        assert item.levels == ("village",)


def test_yongzhou_codes_and_levels_match_the_table(catalog, sources):
    for row, item in zip(
        sources["yongzhou-levels"], sorted(catalog.by_list("yongzhou-levels"), key=lambda i: i.source.row)
    ):
        assert item.code == row[1], item.id
        assert list(item.levels) == [LEVEL_LABELS[label] for label in row[5].split("、")], item.id
        assert (item.remark or "") == (row[6].strip() if len(row) > 6 else ""), item.id
        assert item.flow_inferred and item.limit_days is None, item.id


def test_yongzhou_items_reserved_to_city_and_county_are_not_offered_below(catalog, sources):
    reserved = {row[2] for row in sources["yongzhou-levels"] if set(row[5].split("、")) <= {"市级", "县级"}}
    assert len(reserved) >= 30
    grassroots = {
        item.name for level in ("township", "village") for item in catalog.filter(region="永州市", level=level)
    }
    assert grassroots and not (reserved & grassroots)
    for item in catalog.by_list("yongzhou-levels"):
        if item.name in reserved:
            assert set(item.levels) <= CENTRE_LEVELS and item.pattern == "centre_only", item.id


def test_limits_not_read_from_a_source_are_flagged_inferred(catalog):
    for item in catalog.items:
        if item.limit_days is not None and item.limit_text is None:
            assert "limit_days" in item.inferred, item.id
        if item.limit_text is not None:
            assert "limit_days" not in item.inferred, item.id


def test_a_refusal_names_the_allowed_levels_as_the_vocabulary_spells_them():
    """Level names come from processes/catalog/vocabulary.toml only (full-width brackets there)."""
    from engine.catalogue.flows import reviewed_catalog
    from engine.catalogue.offering import ensure_offered_at
    from engine.core.errors import Invalid
    from engine.core.models import OrgUnit

    item = reviewed_catalog().get("fc-t-10")
    county = OrgUnit(id=1, code="360981", name="丰城市", kind="city", parent_id=None)
    county.parent = None
    with pytest.raises(Invalid) as refused:
        ensure_offered_at(item, county)
    assert "乡镇（街道）" in refused.value.message and "乡镇(街道)" not in refused.value.message
