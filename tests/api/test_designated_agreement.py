"""定点医药机构协议管理 (002 §13, 004 items 34–35) from the centre's window to 签约: 材料初审, 现场评估, three 评审专家
scoring in parallel (each once), 协商谈判, 公示 for the item's working days during which an objection goes to 异议处理
and, not upheld, 公示 starts again; when 公示 passes without objection, 签约 and 纳入定点."""

from datetime import datetime

import pytest

from tests.factories import applicant
from tests.scenarios import at, only_task, sweep_at, work

pytestmark = pytest.mark.usefixtures("fresh")

CENTRE = "431103-YB"  # 冷水滩区医疗保障事务中心 (县级)
WINDOW = "lst-centre.centre_clerk"
REVIEWER = "lst-centre.centre_reviewer"
EXPERTS = [f"lst-centre.expert{i}" for i in (1, 2, 3)]
APPLICATION = {
    "institution_name": "冷水滩区康宁诊所",
    "credit_code": "92431103MA4L123456",
    "address": "永州市冷水滩区凤凰路1号",
    "business_scope": "内科、外科门诊",
}
SITE = {"decision": "approve", "assessed_on": "2026-11-02", "assessors": "王五、赵六", "findings": "设施齐全"}
AGREED = {"decision": "approve", "negotiated_on": "2026-11-02", "terms": "普通门诊，按项目结算"}
OBJECTION = {"objector": "匿名来信", "received_on": "2026-11-09", "content": "该诊所执业医师不足两名"}
SIGNED = {"agreement_no": "LST-DD-2026-017", "signed_on": "2026-11-24", "valid_until": "2027-11-23"}


def detail(as_user, case) -> dict:
    return as_user("yongzhou.admin").get(f"/api/instances/{case['id']}").get_json()


def test_three_experts_score_in_parallel_an_objection_is_handled_and_the_agreement_signed(app, as_user):
    sweep_at(app, "2026-11-02T09:00:00")  # a Monday; the clock stays frozen there
    started = as_user(WINDOW).post(
        "/api/instances",
        json={
            "item": "yz-34",
            "org": CENTRE,
            "applicant": applicant("刘院长"),
            "materials": [],
            "details": APPLICATION,
        },
    )
    assert started.status_code == 201, started.get_json()
    case = started.get_json()
    reviewer = as_user(REVIEWER)
    work(reviewer, "材料初审", {"decision": "approve", "opinion": "申请材料齐全"})
    work(reviewer, "现场评估", SITE)

    panel = detail(as_user, case)["tasks"]
    assert [(t["title"], t["role"], t["org"]["code"]) for t in panel] == [("专家评估", "expert", CENTRE)] * 3
    first = as_user(EXPERTS[0])
    ids = [t["id"] for t in first.get("/api/tasks?view=candidate").get_json()["items"]]
    assert len(ids) == 3
    assert first.post(f"/api/tasks/{ids[0]}/claim").status_code == 200
    again = first.post(f"/api/tasks/{ids[1]}/claim")
    assert again.status_code == 409 and "已参加" in again.get_json()["message"], "each expert scores once"
    bad = first.post(f"/api/tasks/{ids[0]}/complete", json={"data": {"score": 120, "recommendation": "agree"}})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"score", "opinion"}
    scores = [86, 78, 91]
    for expert, task_id, score in zip(EXPERTS, ids, scores, strict=True):
        caller = as_user(expert)
        assert caller.post(f"/api/tasks/{task_id}/claim").status_code == 200
        data = {"score": score, "recommendation": "agree", "opinion": "符合定点条件"}
        assert caller.post(f"/api/tasks/{task_id}/complete", json={"data": data}).status_code == 200
        if expert != EXPERTS[-1]:
            assert [t["title"] for t in detail(as_user, case)["tasks"]].count("专家评估") == 3 - EXPERTS.index(
                expert
            ) - 1
    negotiation = only_task(reviewer, "协商谈判")
    assert negotiation["org"]["code"] == CENTRE
    work(reviewer, "协商谈判", AGREED)

    publicity = detail(as_user, case)
    assert publicity["tasks"] == []
    (wait,) = publicity["waiting"]
    assert (wait["message"], wait["element"], wait["org"]["code"]) == ("公示异议", "公示", CENTRE)
    assert publicity["history"][-1]["action"] == "completed"
    timers = as_user("yongzhou.admin").get("/api/timers").get_json()
    (ends,) = [t for t in timers if t["case_no"] == case["case_no"] and t["title"] == "公示期满"]
    assert datetime.fromisoformat(ends["fire_at"]) == at("2026-11-10T00:00:00")  # 5 working days: 11-03 … 11-09

    sweep_at(app, "2026-11-09T10:00:00")
    sent = reviewer.post(f"/api/instances/{case['id']}/messages", json={"name": "公示异议", "variables": OBJECTION})
    assert sent.status_code == 200, sent.get_json()
    work(reviewer, "异议处理", {"decision": "approve", "findings": "经核查执业医师三名，异议不成立"})
    (wait,) = detail(as_user, case)["waiting"]
    assert wait["element"] == "公示", "公示 starts again after an objection that is not upheld"

    sweep_at(app, "2026-11-16T09:00:00")  # within the new period (11-10…11-16): still 公示
    assert detail(as_user, case)["waiting"]
    sweep_at(app, "2026-11-17T00:30:00")
    signing = only_task(reviewer, "签订定点协议")
    assert signing["org"]["code"] == CENTRE
    sweep_at(app, "2026-11-24T09:00:00")
    work(reviewer, "签订定点协议", SIGNED)
    done = detail(as_user, case)
    assert done["status"] == "concluded" and done["tasks"] == [] and done["waiting"] == []
    steps = [e["task"] for e in done["history"] if e["action"] == "completed"]
    assert steps == ["材料初审", "现场评估", "专家评估", "专家评估", "专家评估", "协商谈判", "异议处理", "签订定点协议"]
    assert at("2026-11-24T09:00:00").date().isoformat() in done["completed_at"]


def test_an_upheld_objection_ends_with_the_institution_told_why(app, as_user):
    started = as_user(WINDOW).post(
        "/api/instances",
        json={
            "item": "yz-35",
            "org": CENTRE,
            "applicant": applicant("陈店长"),
            "materials": [],
            "details": APPLICATION,
        },
    )
    case = started.get_json()
    reviewer = as_user(REVIEWER)
    work(reviewer, "材料初审", {"decision": "approve"})
    work(reviewer, "现场评估", {**SITE, "assessed_on": "2026-12-01"})
    for expert in EXPERTS:
        caller = as_user(expert)
        task = caller.get("/api/tasks?view=candidate").get_json()["items"][0]
        assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
        data = {"score": 70, "recommendation": "agree", "opinion": "基本符合"}
        assert caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data}).status_code == 200
    work(reviewer, "协商谈判", {**AGREED, "negotiated_on": "2026-12-02"})
    sent = reviewer.post(
        f"/api/instances/{case['id']}/messages",
        json={"name": "公示异议", "variables": {**OBJECTION, "received_on": "2026-12-03"}},
    )
    assert sent.status_code == 200, sent.get_json()
    refused = {"decision": "reject", "findings": "经核查药师不在岗属实"}
    task = only_task(reviewer, "异议处理")
    assert reviewer.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    missing = reviewer.post(f"/api/tasks/{task['id']}/complete", json={"data": refused})
    assert missing.status_code == 422 and missing.get_json()["errors"]["reason"] == ["结论为不通过时必须填写理由"]
    reason = "执业药师不在岗，不符合定点条件"
    assert (
        reviewer.post(f"/api/tasks/{task['id']}/complete", json={"data": {**refused, "reason": reason}}).status_code
        == 200
    )

    (told,) = detail(as_user, case)["tasks"]
    assert (told["title"], told["org"]["code"]) == ("告知申请人审核结果", CENTRE)
    notice = as_user(WINDOW).get(f"/api/instances/{case['id']}/documents/rejection").get_data(as_text=True)
    assert reason in notice
    work(as_user(WINDOW), "告知申请人审核结果", {"notified_on": "2026-12-04", "method": "邮寄"})
    assert detail(as_user, case)["status"] == "concluded"
