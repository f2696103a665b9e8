"""容缺受理 over the API: a window accepts with a 可容缺 material missing on a promise; the case proceeds, is held
before 办结 until the window records 容缺补交, and a promise whose day passes is chased (催补)."""

import pytest

from engine.catalogue.flows import catalog
from engine.core.clock import clock
from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import TOWNSHIP, VILLAGE, at, collect, sweep_at, work

pytestmark = pytest.mark.usefixtures("fresh")

CLERK = "qujiang.township_clerk"
ITEM = "fc-t-05"  # 异地安置退休人员备案: 即办 at the township window
COPY = "本人有效身份证件或社会保障卡复印件"  # 可容缺 for this item (processes/catalog/rules/deferrable.toml)
ACCEPTED_AT = "2026-11-02T09:30:00"  # a Monday
FILING = {
    "filing_type": "异地安置退休人员",
    "destination_province": "广东省",
    "destination_city": "深圳市",
    "start_date": "2026-11-02",
}


def materials_but(*left_out):
    return [m.name for m in catalog().get(ITEM).materials if m.name not in left_out]


def accept(as_user, **body):
    clock.freeze(at(ACCEPTED_AT))
    payload = {
        "item": ITEM,
        "org": TOWNSHIP,
        "applicant": applicant(),
        "materials": materials_but(COPY),
        "details": FILING,
        **body,
    }
    return as_user(CLERK).post("/api/instances", json=payload)


def deferred_case(as_user, promise_date="2026-11-09"):
    response = accept(as_user, deferred=[COPY], promise_date=promise_date)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_deferred_case_proceeds_is_held_before_conclusion_and_concludes_after_the_supplement(as_user):
    case = deferred_case(as_user)
    clerk = as_user(CLERK)
    detail = clerk.get(f"/api/instances/{case['id']}").get_json()
    assert [t["title"] for t in detail["tasks"]] == ["办结"]  # no 一次性告知: the copy is promised, not missing
    assert detail["promise"]["outstanding"] == [COPY]
    assert detail["promise"]["promised_on"] == "2026-11-09"

    task = detail["tasks"][0]
    assert clerk.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    held = clerk.post(f"/api/tasks/{task['id']}/complete", json={"data": {"result": "已备案"}})
    assert held.status_code == 409
    assert COPY in held.get_json()["message"] and "容缺" in held.get_json()["message"]
    assert clerk.get(f"/api/instances/{case['id']}").get_json()["status"] == "running"

    supplied = clerk.post(f"/api/instances/{case['id']}/deferred-materials", json={"received": [COPY]})
    assert supplied.status_code == 200, supplied.get_json()
    assert supplied.get_json()["state"] == "fulfilled"
    done = clerk.post(f"/api/tasks/{task['id']}/complete", json={"data": {"result": "已备案"}})
    assert done.status_code == 200, done.get_json()
    detail = clerk.get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "concluded"
    assert "deferred_supplied" in [event["action"] for event in detail["history"]]


def test_a_material_the_item_does_not_let_be_deferred_is_refused_by_field(as_user):
    invoice_like = catalog().get(ITEM).materials[0].name  # the 备案表 itself
    response = accept(
        as_user, materials=materials_but(invoice_like), deferred=[invoice_like], promise_date="2026-11-09"
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["deferred"]
    assert f"“{invoice_like}”不是本事项的可容缺材料" in errors
    assert f"本事项可容缺材料：{COPY}" in errors


@pytest.mark.parametrize(
    ("promise_date", "message"),
    [
        (None, "容缺受理须填写申请人承诺补交的日期"),
        ("2026-11-01", "承诺补交日期不能早于今天"),
        ("2026-12-31", "承诺补交日期不能晚于2026-11-17"),
    ],
)
def test_the_promised_date_must_be_given_not_past_and_not_too_far(as_user, promise_date, message):
    body = {"deferred": [COPY]} | ({"promise_date": promise_date} if promise_date else {})
    response = accept(as_user, **body)
    assert response.status_code == 422
    assert response.get_json()["errors"]["promise_date"] == [message]


def test_the_supplement_is_recorded_only_by_the_accepting_window(as_user):
    case = deferred_case(as_user)
    elsewhere = as_user("yitang.township_clerk").post(
        f"/api/instances/{case['id']}/deferred-materials", json={"received": [COPY]}
    )
    assert elsewhere.status_code == 404
    wrong = as_user(CLERK).post(f"/api/instances/{case['id']}/deferred-materials", json={"received": ["发票"]})
    assert wrong.status_code == 422 and "received" in wrong.get_json()["errors"]


def test_a_promise_past_its_day_is_chased_once_and_listed_as_overdue(app, as_user):
    case = deferred_case(as_user)
    assert sweep_at(app, "2026-11-09T23:00:00").chased == 0
    assert sweep_at(app, "2026-11-10T00:00:00").chased == 1
    assert sweep_at(app, "2026-11-10T09:00:00").chased == 0  # once
    events = as_user(CLERK).get(f"/api/instances/{case['id']}").get_json()["history"]
    assert [e["action"] for e in events].count("promise_chased") == 1
    listed = as_user(CLERK).get("/api/pending-supplements").get_json()["items"]
    row = next(r for r in listed if r["case_no"] == case["case_no"])
    assert (row["kind"], row["overdue"], row["status"]) == ("deferred", True, "逾期未补")
    assert row["materials"] == [COPY]


def test_the_promise_is_printed_for_the_applicant_to_sign(as_user):
    case = deferred_case(as_user)
    page = as_user(CLERK).get(f"/api/instances/{case['id']}/documents/promise")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "容缺受理承诺书" in text and COPY in text and "2026年11月9日" in text
    assert "承诺人（签名）" in text


def test_a_case_accepted_without_deferral_has_no_promise(as_user):
    response = accept(as_user, materials=materials_but())
    assert response.status_code == 201
    case = response.get_json()
    assert as_user(CLERK).get(f"/api/instances/{case['id']}").get_json()["promise"] is None
    assert as_user(CLERK).get(f"/api/instances/{case['id']}/documents/promise").status_code == 409


def test_a_refused_application_needs_no_promised_material_and_is_handed_out(as_user):
    """门诊费用报销 accepted 容缺 at the village; the township refuses it at 初审: the promise lapses, the refusal
    goes back to the village window's 出件 and the case concludes without a 容缺补交."""
    agent = as_user("qujiangcun.village_agent")
    materials = [m.name for m in catalog().get("fc-v-08").materials if m.name != "慢性病证复印件"]
    response = agent.post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": VILLAGE,
            "applicant": applicant(),
            "materials": materials,
            "deferred": ["慢性病证复印件"],
            "promise_date": clock.now().date().isoformat(),
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    work(as_user(CLERK), "乡镇初审", {"decision": "reject", "reason": "发票与清单金额不符"})
    collect(agent)

    detail = agent.get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "concluded"
    assert detail["promise"]["state"] == "lapsed"
    assert "申请未获通过，无需补交" in agent.get(f"/cases/{case['id']}").get_data(as_text=True)
