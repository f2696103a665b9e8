"""SMS notices through the outbox, driven through the flows as clerks work them: which steps write which
messages, in the step's own transaction, and none to an applicant who declined them."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.cases import transfers
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.models import CaseInstance, SmsMessage
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import ADMIN, ALL_MATERIALS, TASK_DATA, TOWNSHIP, VILLAGE, at, settle, window_user, work

pytestmark = pytest.mark.usefixtures("fresh")

AGENT = "qujiangcun.village_agent"
REJECT = {"decision": "reject", "reason": "发票与清单金额不符"}
FEEDBACK = {"notified_on": "2026-11-03", "method": "电话"}
PAYOUT = TASK_DATA["payout"] | {"paid_on": "2026-11-02"}
NOTICE = {"missing": ["费用清单原件（加盖医院公章）"], "deadline_days": 10}


def start(as_user, materials=ALL_MATERIALS, **person):
    clock.freeze(at("2026-11-02T09:30:00"))
    response = as_user(AGENT).post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": VILLAGE,
            "applicant": applicant() | person,
            "materials": materials,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def walk(as_user, case, **data):
    """Work the case's open task, as a user of the unit holding it, until it ends."""
    data = {**TASK_DATA, "rejection_feedback": FEEDBACK, "payout": PAYOUT, **data}
    for _ in range(15):
        detail = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()
        if detail["status"] != "running":
            return detail
        if not detail["tasks"]:
            settle(as_user, case)
            continue
        (task,) = detail["tasks"]
        caller = as_user(window_user(task["org"]["code"], task["role"]))
        assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
        done = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data[task["form_key"]]})
        assert done.status_code == 200, (task["title"], done.get_json())
    raise AssertionError("the case did not end")


def outbox(app, case=None):
    with app.app_context():
        query = select(SmsMessage).order_by(SmsMessage.id)
        if case is not None:
            query = query.where(SmsMessage.instance_id == case["id"])
        return [(m.kind, m.mobile, m.body, m.state, m.next_attempt_at) for m in db.session.scalars(query)]


def kinds(app, case):
    return [row[0] for row in outbox(app, case)]


def test_acceptance_writes_the_signed_text_with_number_item_and_due_date(app, as_user):
    case = start(as_user)
    ((kind, mobile, body, state, send_at),) = outbox(app, case)
    assert (kind, mobile, state, send_at) == ("accepted", applicant()["mobile"], "pending", at("2026-11-02T09:30:00"))
    with app.app_context():
        due = db.session.get(CaseInstance, case["id"]).due_at
    last_day = (due - timedelta(microseconds=1)).date()
    assert body.startswith("【医保经办】张三您好，您申请的“门诊费用报销”已由曲江村受理")
    assert f"办件编号{case['case_no']}" in body
    assert f"承诺办结日期{last_day.year}年{last_day.month}月{last_day.day}日" in body


def test_an_approved_case_tells_acceptance_then_collection_then_the_result(app, as_user):
    case = start(as_user)
    assert walk(as_user, case)["status"] == "concluded"
    assert kinds(app, case) == ["accepted", "collection", "concluded"]
    assert "已办结" in outbox(app, case)[-1][2]


def test_a_rejection_is_the_one_result_with_its_reason(app, as_user):
    case = start(as_user)
    walk(as_user, case, review=REJECT)
    sent = outbox(app, case)
    assert [row[0] for row in sent] == ["accepted", "rejected", "collection"]  # not 办结 as well
    (rejected,) = [row[2] for row in sent if row[0] == "rejected"]
    assert "审核不通过，原因：发票与清单金额不符" in rejected


def test_the_one_time_notice_names_the_materials_and_the_supplement_deadline_and_schedules_a_reminder(app, as_user):
    case = start(as_user, materials=ALL_MATERIALS[:2] + ALL_MATERIALS[3:])
    assert kinds(app, case) == []  # materials missing: no 受理 text, the 一次性告知 tells the applicant
    agent = as_user(AGENT)
    (task,) = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["tasks"]
    agent.post(f"/api/tasks/{task['id']}/claim")
    assert agent.post(f"/api/tasks/{task['id']}/complete", json={"data": NOTICE}).status_code == 200
    (wait,) = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["tasks"]
    sent = outbox(app, case)
    assert [(row[0], row[3]) for row in sent] == [("missing_materials", "pending"), ("supplement_reminder", "pending")]
    notice, reminder = sent[0][2], sent[1][2]
    assert "材料不齐，请于" in notice and "费用清单原件（加盖医院公章）" in notice
    assert wait["due_at"] is not None
    assert sent[1][4] < at(wait["due_at"][:19]) and sent[1][4].hour == 9
    assert "逾期将不予受理" in reminder
    # The 补正 comes in: the reminder is withdrawn before it was due.
    agent.post(f"/api/tasks/{wait['id']}/claim")
    supplied = {"received": ["费用清单原件（加盖医院公章）"]}
    assert agent.post(f"/api/tasks/{wait['id']}/complete", json={"data": supplied}).status_code == 200
    assert [(row[0], row[3]) for row in outbox(app, case)] == [
        ("missing_materials", "pending"),
        ("supplement_reminder", "cancelled"),
    ]


def test_a_declined_applicant_gets_no_message_at_any_step(app, as_user):
    case = start(as_user, sms=False)
    assert walk(as_user, case)["status"] == "concluded"
    assert outbox(app, case) == []
    assert as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["applicant"]["sms"] is False


def test_a_failed_step_writes_none_of_its_messages(app, as_user, monkeypatch):
    case = start(as_user)
    walk_to_review(as_user, case)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk went away after the step had written its messages")

    monkeypatch.setattr(transfers, "after_completion", broken)
    reviewer, task = review_task(as_user, case)
    failed = reviewer.post(f"/api/tasks/{task['id']}/complete", json={"data": REJECT})
    assert failed.status_code == 422, failed.get_json()
    assert kinds(app, case) == ["accepted"]  # the rejection's text went with the step
    monkeypatch.undo()
    assert reviewer.post(f"/api/tasks/{task['id']}/complete", json={"data": REJECT}).status_code == 200
    assert kinds(app, case) == ["accepted", "rejected", "collection"]


def walk_to_review(as_user, case):
    """Work the case up to its first task that takes a decision."""
    for _ in range(10):
        (task,) = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["tasks"]
        if task["form_key"] == "review":
            return
        caller = as_user(window_user(task["org"]["code"], task["role"]))
        caller.post(f"/api/tasks/{task['id']}/claim")
        done = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": TASK_DATA[task["form_key"]]})
        assert done.status_code == 200, done.get_json()


def review_task(as_user, case):
    (task,) = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["tasks"]
    caller = as_user(window_user(task["org"]["code"], task["role"]))
    assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    return caller, task


def test_administrators_see_the_outbox_of_their_scope_only(as_user):
    case = start(as_user)
    answer = as_user(ADMIN).get("/api/sms-messages?state=pending")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["counts"] == {"pending": 1, "sending": 0, "sent": 0, "failed": 0, "cancelled": 0}
    (item,) = body["items"]
    assert (item["case_no"], item["kind_label"], item["state_label"]) == (case["case_no"], "受理", "待发送")
    assert item["mobile"] == "139****1234"
    other = as_user("fuzhou.admin").get("/api/sms-messages").get_json()
    assert other["items"] == [] and set(other["counts"].values()) == {0}
    assert as_user(AGENT).get("/api/sms-messages").status_code == 403
    wrong = as_user(ADMIN).get("/api/sms-messages?state=lost")
    assert wrong.status_code == 422 and "state" in wrong.get_json()["errors"]


TOWNSHIP_CLERK = "qujiang.township_clerk"
FILING_ITEM = "fc-t-05"  # 异地安置退休人员备案: 即办 at the township window; 补正 period 30 natural days
COPY = "本人有效身份证件或社会保障卡复印件"  # 可容缺 for this item
FILING = {
    "filing_type": "异地安置退休人员",
    "destination_province": "广东省",
    "destination_city": "深圳市",
    "start_date": "2026-11-02",
}


def accept_filing(as_user, **body):
    clock.freeze(at("2026-11-02T09:30:00"))
    materials = [m.name for m in catalog().get(FILING_ITEM).materials if m.name != COPY]
    payload = {"item": FILING_ITEM, "org": TOWNSHIP, "applicant": applicant(), "materials": materials}
    response = as_user(TOWNSHIP_CLERK).post("/api/instances", json=payload | {"details": FILING} | body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def run_timers(app, instant):
    result = app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", instant])
    assert result.exit_code == 0, result.output


def test_the_supplement_period_passing_tells_not_accepted_and_withdraws_the_reminder(app, as_user):
    case = accept_filing(as_user)
    work(as_user(TOWNSHIP_CLERK), "一次性告知", {"missing": [COPY]})
    notice, reminder = outbox(app, case)
    assert "请于2026年12月2日前到曲江镇补齐" in notice[2]
    assert reminder[4] == at("2026-11-27T09:00:00")  # three working days before the last day, at 09:00
    run_timers(app, "2026-12-03T00:00:01+08:00")
    assert [(row[0], row[3]) for row in outbox(app, case)] == [
        ("missing_materials", "pending"),
        ("supplement_reminder", "cancelled"),
        ("not_accepted", "pending"),
    ]
    assert "不予受理" in outbox(app, case)[-1][2]


def test_a_promise_past_its_day_is_chased_by_text(app, as_user):
    case = accept_filing(as_user, deferred=[COPY], promise_date="2026-11-09")
    run_timers(app, "2026-11-10T00:00:00+08:00")
    chased = [row for row in outbox(app, case) if row[0] == "promise_reminder"]
    assert len(chased) == 1
    assert f"承诺于2026年11月9日前补交的材料尚未收到：{COPY}" in chased[0][2]


def test_a_suspension_withdraws_the_reminder_and_resuming_schedules_it_for_the_moved_deadline(app, as_user):
    case = accept_filing(as_user)
    work(as_user(TOWNSHIP_CLERK), "一次性告知", {"missing": [COPY]})
    admin = as_user(ADMIN)
    assert admin.post(f"/api/admin/instances/{case['id']}/suspend", json={"reason": "申请人住院"}).status_code == 200
    assert [(row[0], row[3]) for row in outbox(app, case)][1] == ("supplement_reminder", "cancelled")
    clock.freeze(at("2026-11-09T09:00:00"))  # a week later
    assert admin.post(f"/api/admin/instances/{case['id']}/resume").status_code == 200
    reminders = [(row[3], row[4]) for row in outbox(app, case) if row[0] == "supplement_reminder"]
    assert reminders[0] == ("cancelled", at("2026-11-27T09:00:00"))
    ((state, send_at),) = reminders[1:]
    assert state == "pending" and send_at > at("2026-11-27T09:00:00") and send_at.hour == 9
