"""The catalogue over HTTP: filters by region, level and accepting unit; one item with all its fields."""

import pytest

from engine.catalogue.flows import catalog, flow_for

QUJIANG_VILLAGE = "360981104201"
QUJIANG_TOWNSHIP = "360981104"
YINGJI_COMMUNITY = "350102001001"  # 福州市鼓楼区鼓东街道营迹社区
FZ_STATION = "350102-H01"

pytestmark = pytest.mark.usefixtures("fresh")


def ids(response):
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()]


def test_the_catalogue_needs_a_login(client):
    assert client.get("/api/catalog/items").status_code == 401
    assert client.get("/api/catalog/items/fc-t-10").status_code == 401


def test_every_item_is_listed_once_with_its_list_counts(as_user):
    listed = as_user("qujiang.township_clerk").get("/api/catalog/items").get_json()
    assert len(listed) == len({item["id"] for item in listed}) == len(catalog().items)
    counts = {}
    for item in listed:
        counts[item["list_id"]] = counts.get(item["list_id"], 0) + 1
    assert {
        k: counts[k]
        for k in ("fuzhou-grassroots", "fuzhou-station", "fengcheng-township", "fengcheng-village", "yongzhou-levels")
    } == {
        "fuzhou-grassroots": 25,
        "fuzhou-station": 19,
        "fengcheng-township": 16,
        "fengcheng-village": 12,
        "yongzhou-levels": 43,
    }


def test_region_and_level_filters(as_user):
    clerk = as_user("qujiang.township_clerk")
    fengcheng = clerk.get("/api/catalog/items?region=丰城市").get_json()
    assert len(fengcheng) == 28 and {item["region"] for item in fengcheng} == {"丰城市"}
    villages = ids(clerk.get("/api/catalog/items?region=丰城市&level=village"))
    assert villages == [f"fc-v-{n:02d}" for n in range(1, 13)]
    centre_only = clerk.get("/api/catalog/items?region=永州市&level=city").get_json()
    assert centre_only and all("city" in [level["code"] for level in item["levels"]] for item in centre_only)
    assert {"code": "city", "label": "市级"} in centre_only[0]["levels"]


def test_org_filter_gives_the_items_that_unit_may_accept(as_user):
    clerk = as_user("qujiang.township_clerk")
    assert ids(clerk.get(f"/api/catalog/items?org={QUJIANG_VILLAGE}")) == [f"fc-v-{n:02d}" for n in range(1, 13)]
    assert ids(clerk.get(f"/api/catalog/items?org={QUJIANG_TOWNSHIP}")) == [f"fc-t-{n:02d}" for n in range(1, 17)]
    fuzhou_community = clerk.get(f"/api/catalog/items?org={YINGJI_COMMUNITY}").get_json()
    assert [item["name"] for item in fuzhou_community] == ["医保政策宣传和咨询解答", "城乡居民参保登记"]
    station = ids(clerk.get(f"/api/catalog/items?org={FZ_STATION}"))
    assert station and all(item_id.startswith("fz-s-") for item_id in station)
    # the filters combine: a Fuzhou unit offers nothing of 丰城市's list
    assert ids(clerk.get(f"/api/catalog/items?org={YINGJI_COMMUNITY}&region=丰城市")) == []


def test_org_filter_agrees_with_what_starting_a_case_accepts(as_user):
    """Every item listed for 曲江村 passes the start rule; an unlisted one is refused for its level."""
    agent = as_user("qujiangcun.village_agent")
    offered = set(ids(agent.get(f"/api/catalog/items?org={QUJIANG_VILLAGE}")))
    refused = agent.post(
        "/api/instances", json={"item": "fc-t-10", "org": QUJIANG_VILLAGE, "applicant": {"name": "张三"}}
    )
    assert "fc-t-10" not in offered
    assert refused.status_code == 422


def test_bad_filters_are_refused_per_field(as_user):
    response = as_user("qujiang.township_clerk").get("/api/catalog/items?region=火星市&level=moon&org=000")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert "丰城市" in errors["region"][0]
    assert "village" in errors["level"][0]
    assert errors["org"] == ["未知单位编码：000"]


def test_item_detail_has_materials_limits_stages_flow_and_source(as_user):
    response = as_user("qujiang.township_clerk").get("/api/catalog/items/fc-t-10")
    assert response.status_code == 200
    item = response.get_json()
    assert (item["name"], item["code"], item["region"], item["category"]) == (
        "门诊费用报销",
        "002036006001",
        "丰城市",
        "待遇报销",
    )
    assert [(m["name"], m["required"]) for m in item["materials"]][:2] == [
        ("医保电子凭证或有效身份证件或社保卡（查看）", True),
        ("费用发票原件", True),
    ]
    assert (item["limit_days"], item["limit_text"]) == (30, "不超过30个工作日")
    assert [(s["stage"], s["days"]) for s in item["stage_limits"]] == [
        ("township_review", 20),
        ("centre_review", 5),
        ("payout", 5),
    ]
    assert item["stage_limits"][0]["label"].startswith("乡镇")
    assert (item["pattern"], item["stage"]) == ("township_review_pay", "收件受理")
    assert item["pattern_steps"] and item["pattern_label"]
    assert item["source"] == {"file": "001_edb9f78bad0f2cee.txt", "annex": "附件1", "row": 10, "section": None}
    assert item["inferred"] == ["stage"] and item["flow_inferred"] is False
    assert item["flow"]["process_key"] == flow_for(catalog().get("fc-t-10")).process_key
    assert "《基本医疗保险医疗费用零星报销受理单》" in item["steps_text"]


def test_item_detail_marks_inferred_flows_and_alternative_materials(as_user):
    clerk = as_user("qujiang.township_clerk")
    yongzhou = clerk.get("/api/catalog/items/yz-01").get_json()
    assert yongzhou["flow_inferred"] is True and "pattern" in yongzhou["inferred"]
    assert yongzhou["limit_days"] is None
    with_alternatives = next(i for i in catalog().items if any(m.one_of for m in i.materials))
    detail = clerk.get(f"/api/catalog/items/{with_alternatives.id}").get_json()
    grouped = [m for m in detail["materials"] if m["one_of"]]
    assert len(grouped) >= 2 and not any(m["required"] for m in grouped)


def test_unknown_item_is_404_in_chinese(as_user):
    response = as_user("qujiang.township_clerk").get("/api/catalog/items/nope-01")
    assert response.status_code == 404
    assert response.get_json()["message"] == "事项不存在：nope-01"


def test_openapi_documents_the_catalogue(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/catalog/items" in paths and "/api/catalog/items/{item_id}" in paths
