"""门诊费用报销 (丰城市, 002036006001) end to end through the HTTP API."""

from datetime import date

import pytest

from tests.factories import applicant, reimbursement_details
from tests.scenarios import (
    ALL_MATERIALS,
    APPROVE,
    TODAY,
    TOWNSHIP,
    VILLAGE,
    collect,
    only_task,
    settle,
    start_at_village,
    work,
)

pytestmark = pytest.mark.usefixtures("fresh")


def test_happy_path_from_village_to_payment_across_three_units(as_user):
    case = start_at_village(as_user)
    assert case["case_no"].startswith("360981-")
    assert case["status"] == "running"

    township = as_user("qujiang.township_clerk")
    review = work(township, "乡镇初审", APPROVE)
    assert review["org"]["code"] == TOWNSHIP
    assert review["role"] == "township_clerk"
    work(township, "移交医保中心", {"method": "系统流转"})

    reviewer = as_user("fc-centre.centre_reviewer")
    centre_task = work(reviewer, "医保中心复核", APPROVE)
    assert centre_task["org"]["code"] == "360981-YB"
    settle(as_user, case)

    payer = as_user("fc-centre.centre_payer")
    work(
        payer,
        "拨付",
        {
            "amount": "200.50",
            "payee_name": "张三",
            "bank_name": "中国农业银行丰城支行",
            "account_no": "6228480012345678901",
            "paid_on": TODAY,
        },
    )

    agent = as_user("qujiangcun.village_agent")
    assert agent.get(f"/api/instances/{case['id']}").get_json()["status"] == "running", "not before 出件"
    handed_out = collect(agent)
    assert handed_out["org"]["code"] == VILLAGE, "the result returns to the accepting window"

    detail = agent.get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "concluded"
    assert detail["tasks"] == []
    done = [
        (e["action"], e["task"], e["user"]["username"] if e["user"] else None, e["org"]["code"] if e["org"] else None)
        for e in detail["history"]
    ]
    assert done[0] == ("accepted", None, "qujiangcun.village_agent", VILLAGE)
    assert ("completed", "乡镇初审", "qujiang.township_clerk", TOWNSHIP) in done
    assert ("completed", "医保中心复核", "fc-centre.centre_reviewer", "360981-YB") in done
    assert ("completed", "拨付", "fc-centre.centre_payer", "360981-YB") in done
    assert ("completed", "出件", "qujiangcun.village_agent", VILLAGE) in done
    assert done[-1][0] == "concluded"


def test_task_due_dates_come_from_the_working_day_calendar(as_user):
    case = start_at_village(as_user)
    detail = as_user("qujiangcun.village_agent").get(f"/api/instances/{case['id']}").get_json()
    (review,) = detail["tasks"]
    assert review["title"] == "乡镇初审"
    from engine.workcalendar import default_calendar

    started = date.fromisoformat(detail["started_at"][:10])
    expected = default_calendar().due(started, 20).due_at
    assert review["due_at"] == expected.isoformat()
    assert detail["due_at"] == default_calendar().due(started, 30).due_at.isoformat()


def test_one_time_notice_then_supplement_resumes_the_case(as_user):
    start_at_village(as_user, materials=ALL_MATERIALS[:2])
    agent = as_user("qujiangcun.village_agent")
    notice = only_task(agent, "一次性告知")
    detail = agent.get(f"/api/tasks/{notice['id']}").get_json()
    assert detail["form_schema"]["properties"]["missing"]
    work(agent, "一次性告知", {"missing": ALL_MATERIALS[2:]})
    work(agent, "补正登记", {"received": ALL_MATERIALS[2:]})
    review = only_task(as_user("qujiang.township_clerk"), "乡镇初审")
    assert review["org"]["code"] == TOWNSHIP


def test_partial_supplement_asks_again(as_user):
    start_at_village(as_user, materials=ALL_MATERIALS[:2])
    agent = as_user("qujiangcun.village_agent")
    work(agent, "一次性告知", {"missing": ALL_MATERIALS[2:]})
    work(agent, "补正登记", {"received": ALL_MATERIALS[2:3]})
    assert only_task(agent, "一次性告知")
    assert as_user("qujiang.township_clerk").get("/api/tasks").get_json()["total"] == 0


def test_rejection_needs_a_reason_and_goes_back_to_the_accepting_unit(as_user):
    case = start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    task = only_task(township, "乡镇初审")
    township.post(f"/api/tasks/{task['id']}/claim")
    refused = township.post(f"/api/tasks/{task['id']}/complete", json={"data": {"decision": "reject"}})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["reason"] == ["审核不通过时必须填写理由"]

    done = township.post(
        f"/api/tasks/{task['id']}/complete", json={"data": {"decision": "reject", "reason": "发票与清单金额不符"}}
    )
    assert done.status_code == 200
    agent = as_user("qujiangcun.village_agent")
    handed_out = collect(agent, {"method": "邮寄", "tracking_no": "SF1234567890"})
    assert handed_out["org"]["code"] == VILLAGE
    detail = agent.get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "concluded"
    rejected = next(e for e in detail["history"] if e["task"] == "乡镇初审" and e["action"] == "completed")
    assert rejected["detail"]["reason"] == "发票与清单金额不符"


def test_claim_by_a_second_clerk_conflicts(app, as_user):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "qujiang.clerk2",
            "--password",
            "Clerk2-pass-2026",
            "--role",
            "township_clerk",
            "--org",
            TOWNSHIP,
            "--no-forced-change",
        ]
    )
    if "用户名已存在" not in result.output:
        assert result.exit_code == 0, result.output
    start_at_village(as_user)
    first, second = as_user("qujiang.township_clerk"), as_user("qujiang.clerk2", "Clerk2-pass-2026")
    task = only_task(first, "乡镇初审")
    assert first.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    assert first.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    conflict = second.post(f"/api/tasks/{task['id']}/claim")
    assert conflict.status_code == 409
    assert second.post(f"/api/tasks/{task['id']}/complete", json={"data": APPROVE}).status_code in (404, 409)
    assert first.post(f"/api/tasks/{task['id']}/unclaim").status_code == 200
    assert second.post(f"/api/tasks/{task['id']}/claim").status_code == 200


def test_clerk_of_another_township_cannot_see_or_claim(as_user):
    case = start_at_village(as_user)
    task = only_task(as_user("qujiang.township_clerk"), "乡镇初审")
    other = as_user("xiaogang.township_clerk")
    assert other.get("/api/tasks").get_json()["total"] == 0
    assert other.get(f"/api/tasks/{task['id']}").status_code == 404
    assert other.post(f"/api/tasks/{task['id']}/claim").status_code == 403
    assert other.get(f"/api/instances/{case['id']}").status_code == 404


def test_invalid_form_is_refused_with_field_messages_in_chinese(as_user):
    start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    work(township, "乡镇初审", APPROVE)
    work(township, "移交医保中心", {"method": "系统流转"})
    work(as_user("fc-centre.centre_reviewer"), "医保中心复核", APPROVE)
    settle(as_user)
    payer = as_user("fc-centre.centre_payer")
    task = only_task(payer, "拨付")
    payer.post(f"/api/tasks/{task['id']}/claim")
    response = payer.post(
        f"/api/tasks/{task['id']}/complete",
        json={
            "data": {
                "amount": "12.345",
                "payee_name": "张",
                "bank_name": "农行",
                "account_no": "12ab",
                "paid_on": "2026-13-01",
            }
        },
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) >= {"amount", "payee_name", "account_no", "paid_on"}
    for messages in errors.values():
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in messages), messages


def test_starting_needs_a_valid_applicant(as_user):
    valid = applicant()["id_number"]
    wrong_check_digit = valid[:-1] + ("1" if valid[-1] != "1" else "2")
    response = as_user("qujiangcun.village_agent").post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": VILLAGE,
            "applicant": {"name": "张三", "id_number": wrong_check_digit, "mobile": "12345"},
        },
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["applicant"]) == {"id_number", "mobile"}


def test_accepting_at_another_unit_is_forbidden(as_user):
    response = as_user("xinzhuang.village_agent").post(
        "/api/instances",
        json={"item": "fc-v-08", "org": VILLAGE, "applicant": applicant(), "details": reimbursement_details()},
    )
    assert response.status_code == 403


def test_the_api_needs_a_token(client):
    assert client.get("/api/tasks").status_code == 401
    assert client.get("/api/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert (
        client.post("/api/auth/token", json={"username": "qujiang.township_clerk", "password": "wrong"}).status_code
        == 401
    )
    assert client.get("/api/openapi.json").status_code == 200


def test_items_are_refused_outside_their_region_and_level(as_user):
    other_region = as_user("yingji.village_agent").post(
        "/api/instances",
        json={"item": "fc-v-08", "org": "350102001001", "applicant": applicant(), "details": reimbursement_details()},
    )
    assert other_region.status_code == 422
    assert "丰城市" in other_region.get_json()["errors"]["item"][0]
    wrong_level = as_user("qujiang.township_clerk").post(
        "/api/instances",
        json={"item": "fc-v-08", "org": TOWNSHIP, "applicant": applicant(), "details": reimbursement_details()},
    )
    assert wrong_level.status_code == 422
    assert "村（社区）" in wrong_level.get_json()["errors"]["org"][0]


def test_inbox_pages_report_the_whole_count(as_user):
    for _ in range(3):
        start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    first = township.get("/api/tasks?per_page=2").get_json()
    second = township.get("/api/tasks?per_page=2&page=2").get_json()
    whole = township.get("/api/tasks").get_json()
    assert (first["total"], len(first["items"])) == (3, 2)
    assert (second["total"], len(second["items"])) == (3, 1)
    assert (whole["total"], len(whole["items"])) == (3, 3)
    assert {t["id"] for t in first["items"] + second["items"]} == {t["id"] for t in whole["items"]}
