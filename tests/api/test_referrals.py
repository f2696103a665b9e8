"""首问负责 over the API: a window records a referral to any unit; both units, and their administrators, read it."""

from datetime import datetime

import pytest

from engine.core.clock import SHANGHAI, clock
from tests.factories import applicant

pytestmark = pytest.mark.usefixtures("fresh")

VILLAGE_AGENT = "qujiangcun.village_agent"  # 曲江村, 丰城市
FUZHOU_TOWNSHIP = "350102001"  # 鼓东街道, 福州市
RECORDED_AT = datetime(2026, 11, 2, 9, 30, tzinfo=SHANGHAI)


def referral(**overrides):
    person = applicant("李四")
    body = {
        "item": "fc-t-05",
        "name": person["name"],
        "id_number": person["id_number"],
        "mobile": person["mobile"],
        "question": "异地安置退休人员备案，村里能否办理",
        "referred_to": "360981104",
    }
    return {**body, **overrides}


def record(as_user, username=VILLAGE_AGENT, **overrides):
    clock.freeze(RECORDED_AT)
    return as_user(username).post("/api/referrals", json=referral(**overrides))


def listed(as_user, username):
    response = as_user(username).get("/api/referrals")
    assert response.status_code == 200
    return [row["id"] for row in response.get_json()["items"]]


def test_a_window_records_a_referral_with_the_applicant_masked(as_user):
    response = record(as_user)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["org"] == {"code": "360981104201", "name": "曲江村"}
    assert body["referred_to"]["code"] == "360981104"
    assert (body["item_id"], body["item_name"]) == ("fc-t-05", "异地安置退休人员备案")
    assert body["id_number"] == "3609**********" + applicant()["id_number"][-4:]
    assert body["mobile"] == "139****1234"
    assert body["recorded_by"]["username"] == VILLAGE_AGENT
    assert body["recorded_at"] == RECORDED_AT.isoformat()


def test_a_plain_enquiry_names_no_item(as_user):
    response = record(as_user, item=None, mobile=None, question="门诊报销比例是多少")
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["item_id"], response.get_json()["mobile"]) == (None, None)


def test_both_units_and_their_administrators_read_a_referral_across_regions(as_user):
    made = record(as_user, referred_to=FUZHOU_TOWNSHIP).get_json()["id"]
    assert made in listed(as_user, VILLAGE_AGENT)  # made
    assert made in listed(as_user, "gudong.township_clerk")  # received, in another region
    assert made in listed(as_user, "fengcheng.admin")
    assert made in listed(as_user, "fuzhou.admin")
    assert made in listed(as_user, "platform.admin")
    assert made not in listed(as_user, "qujiang.township_clerk")  # neither made nor received there
    assert made not in listed(as_user, "yongzhou.admin")
    assert made not in listed(as_user, "yitang.township_clerk")


def test_a_referral_outside_the_scope_answers_as_missing(app, as_user):
    from tests.web_login import page_login

    made = record(as_user, referred_to=FUZHOU_TOWNSHIP).get_json()["id"]
    yongzhou, _ = page_login(app, "yitang.township_clerk")
    assert yongzhou.get(f"/referrals/{made}/slip").status_code == 404
    fuzhou, _ = page_login(app, "gudong.township_clerk")
    assert fuzhou.get(f"/referrals/{made}/slip").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "此项为必填项"),
        ({"id_number": "123"}, "id_number", None),
        ({"mobile": "12345"}, "mobile", "手机号应为 11 位数字，以 13 至 19 开头"),
        ({"question": "x" * 501}, "question", None),
        ({"referred_to": "999999"}, "referred_to", "未知单位编码：999999"),
        ({"referred_to": "360981104201"}, "referred_to", "不能转介到本单位"),
        ({"item": "no-such-item"}, "item", "未知事项：no-such-item"),
        ({"referred_to": ["<script>"]}, "referred_to", None),
        ({"item": {"$ne": 1}}, "item", None),
    ],
)
def test_bad_input_answers_422_by_field(as_user, overrides, field, message):
    response = record(as_user, **overrides)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert field in errors
    if message:
        assert message in errors[field]


def test_a_body_that_is_no_object_is_refused(as_user):
    response = as_user(VILLAGE_AGENT).post("/api/referrals", json=["x"])
    assert 400 <= response.status_code < 500


def test_only_window_staff_record(as_user):
    assert record(as_user, "fengcheng.admin").status_code == 403
    assert listed(as_user, VILLAGE_AGENT) == []


def test_the_sla_figures_count_referrals_made_and_received(as_user):
    record(as_user, referred_to=FUZHOU_TOWNSHIP)
    record(as_user, referred_to="360981104")
    clock.freeze(RECORDED_AT)
    fengcheng = as_user("fengcheng.admin").get("/api/sla", query_string={"from": "2026-11-01", "to": "2026-11-30"})
    assert fengcheng.get_json()["referrals"] == {"made": 2, "received": 1}
    fuzhou = as_user("fuzhou.admin").get("/api/sla").get_json()
    assert fuzhou["referrals"] == {"made": 0, "received": 1}
    before = as_user("fengcheng.admin").get("/api/sla", query_string={"to": "2026-10-31"}).get_json()
    assert before["referrals"] == {"made": 0, "received": 0}
    everyone = as_user("platform.admin").get("/api/sla").get_json()
    assert everyone["referrals"] == {"made": 2, "received": 2}


def test_the_openapi_documents_the_request_body(client):
    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"]["/api/referrals"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert {"name", "id_number", "question", "referred_to"} <= set(schema["required"])
    assert "get" in spec["paths"]["/api/referrals"]
