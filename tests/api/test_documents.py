"""Printed notices of a 门诊费用报销 case, fetched through the API like a clerk's print button."""

import html
from datetime import date

import pytest
from sqlalchemy import select

from engine.core.models import User
from engine.workcalendar import default_calendar
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import ADMIN, ALL_MATERIALS, TASK_DATA, TODAY, VILLAGE, settle, window_user

pytestmark = pytest.mark.usefixtures("fresh")

HOSTILE_NAME = "<script>alert(1)</script>"
AGENT, TOWNSHIP_CLERK = "qujiangcun.village_agent", "qujiang.township_clerk"


def start(as_user, materials=ALL_MATERIALS, name=HOSTILE_NAME):
    response = as_user(AGENT).post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": VILLAGE,
            "applicant": applicant(name=name),
            "materials": materials,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


REJECT = {"decision": "reject", "reason": "发票与清单金额不符<b>"}
TOLD = {"missing": ALL_MATERIALS[2:], "deadline_days": 5, "note": "请带<原件>"}
FEEDBACK = {"notified_on": TODAY, "method": "电话"}


def walk(as_user, case, steps=12, **data):
    """Work the case's open task `steps` times (or to 办结) as a user of the unit it lies at; returns its titles."""
    data = {**TASK_DATA, "rejection_feedback": FEEDBACK, **data}
    worked = []
    for _ in range(steps):
        detail = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()
        if detail["status"] == "concluded":
            break
        if not detail["tasks"]:
            settle(as_user, case)  # 医保结算, an external task
            worked.append("医保结算")
            continue
        (task,) = detail["tasks"]
        caller = as_user(window_user(task["org"]["code"], task["role"]))
        assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
        done = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data[task["form_key"]]})
        assert done.status_code == 200, (task["title"], done.get_json())
        worked.append(task["title"])
    return worked


def document(caller, case, kind, status=200):
    response = caller.get(f"/api/instances/{case['id']}/documents/{kind}")
    assert response.status_code == status, response.get_data(as_text=True)
    if status != 200:
        return response.get_json()["message"]
    assert response.content_type == "text/html; charset=utf-8"
    return response.get_data(as_text=True)


def display_name(app, username):
    with app.app_context():
        return db.session.scalar(select(User.display_name).where(User.username == username))


def test_receipt_is_the_items_own_acceptance_form_on_a4_with_the_case_facts(app, as_user):
    case = start(as_user)
    page = document(as_user(AGENT), case, "receipt")
    assert "@page { size: A4;" in page
    # 001 附件2 names the village's form 《基本医疗保险就医费用零星报销受理单》
    assert "<h1>基本医疗保险就医费用零星报销受理单</h1>" in page
    assert f"办件编号：{case['case_no']}" in page
    assert "门诊费用报销（事项编码 002036006001）" in page
    due = default_calendar().due(date.fromisoformat(case["started_at"][:10]), 30).due_date
    assert f"30个工作日（{due.year}年{due.month}月{due.day}日前办结）" in page
    assert "<tr><th>受理单位</th><td>曲江村</td></tr>" in page
    # masked as on the pages: first 4 and last 4 kept, the birth date hidden
    number = applicant()["id_number"]
    assert f"3609**********{number[-4:]}" in page and number not in page
    for material in ALL_MATERIALS:
        assert f"<li>{html.escape(material)}</li>" in page
    assert f"经办人：{display_name(app, AGENT)}" in page


def test_applicant_text_is_escaped_in_every_notice(as_user):
    case = start(as_user, materials=ALL_MATERIALS[:2])
    page = document(as_user(AGENT), case, "missing_materials")
    assert HOSTILE_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_missing_materials_lists_every_missing_one_and_receipt_waits_for_the_supplement(as_user):
    case = start(as_user, materials=ALL_MATERIALS[:2])
    agent = as_user(AGENT)
    page = document(agent, case, "missing_materials")
    assert "<h1>一次性告知书</h1>" in page
    for material in ALL_MATERIALS[2:]:
        assert f"<li>{html.escape(material)}</li>" in page
    refused = document(agent, case, "receipt", status=409)
    assert "材料尚未补齐" in refused and ALL_MATERIALS[3] in refused

    assert walk(as_user, case, steps=1, missing_materials_notice=TOLD) == ["一次性告知"]
    told = document(agent, case, "missing_materials")
    assert "请于5日内" in told and "逾期未补齐的，不予受理" in told and "请带&lt;原件&gt;" in told

    assert walk(as_user, case, steps=1, supplement={"received": ALL_MATERIALS[2:]}) == ["补正登记"]
    receipt = document(agent, case, "receipt")
    assert all(f"<li>{html.escape(m)}</li>" in receipt for m in ALL_MATERIALS)


def test_complete_materials_need_no_one_time_notice(as_user):
    case = start(as_user)
    assert document(as_user(AGENT), case, "missing_materials", status=409) == "该办件材料齐全，无需一次性告知"


def test_rejection_notice_carries_the_reviewers_reason(app, as_user):
    case = start(as_user)
    agent = as_user(AGENT)
    assert document(agent, case, "rejection", status=409) == "该办件没有不予受理或审核不通过的记录"
    assert walk(as_user, case, steps=1, review=REJECT) == ["乡镇初审"]
    page = document(agent, case, "rejection")
    assert "<h1>审核不通过告知书</h1>" in page
    assert "发票与清单金额不符&lt;b&gt;" in page
    assert "乡镇初审" in page and "曲江镇（盖章）" in page
    assert f"经办人：{display_name(app, TOWNSHIP_CLERK)}" in page
    assert "因上列理由，审核不通过" in page


def test_conclusion_only_once_concluded_with_the_payment(as_user):
    case = start(as_user)
    agent = as_user(AGENT)
    assert document(agent, case, "conclusion", status=409) == "该办件尚未办结"
    assert "拨付" in walk(as_user, case)
    page = document(agent, case, "conclusion")
    assert "<h1>办结通知</h1>" in page
    payout = TASK_DATA["payout"]
    assert f"已拨付{payout['amount']}元至{payout['bank_name']}账户（{TODAY}）" in page
    assert "<th>出件方式</th><td>现场领取</td>" in page
    assert "曲江村（盖章）" in page, "printed by the window that accepted and handed out the result"


def test_rejected_case_concludes_with_the_reason_as_its_outcome(as_user):
    case = start(as_user)
    walk(as_user, case, review=REJECT)
    assert "审核不通过：发票与清单金额不符&lt;b&gt;" in document(as_user(AGENT), case, "conclusion")


def test_only_who_may_see_the_case_gets_its_notices(as_user, client):
    case = start(as_user)
    stranger = as_user("xiaogang.township_clerk")
    for kind in ("receipt", "missing_materials", "rejection", "conclusion"):
        assert document(stranger, case, kind, status=404) == "办件不存在"
    assert client.get(f"/api/instances/{case['id']}/documents/receipt").status_code == 401
    assert document(as_user(TOWNSHIP_CLERK), case, "receipt")  # holds the 初审 task
    assert "没有这种文书" in document(as_user(AGENT), case, "certificate", status=404)


def test_a_notice_on_screen_has_a_print_button_and_a_way_back_that_print_hides(as_user):
    case = start(as_user)
    page = as_user(AGENT).get(f"/api/instances/{case['id']}/documents/receipt").get_data(as_text=True)
    assert f'<a href="/cases/{case["id"]}">返回办件</a>' in page
    assert "data-print>打印</button>" in page and "print.js" in page
    assert "@media print { .print-bar { display: none; } }" in page
    assert '"WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif' in page  # digits and Chinese from one family
