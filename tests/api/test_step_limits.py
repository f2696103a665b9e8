"""Limits on every human step (issue 14 point 6): 当场办结 to 24:00 of the day, 移交 and 归档 timed after 办结,
永州's inferred limits, 整改 5 / 回访 7, and an administrator's adjustment of a default for one item."""

from datetime import date, timedelta

import pytest

from engine.catalogue.flows import catalog
from engine.core.clock import clock
from tests.factories import applicant, reimbursement_details
from tests.scenarios import (
    ADMIN,
    APPROVE,
    SYSTEM_ADMIN,
    TOWNSHIP,
    at,
    concluded_case,
    only_task,
    window_user,
    work,
)

pytestmark = pytest.mark.usefixtures("fresh")

GUDONG = "350102001"  # 鼓东街道, 福州
YITANG = "431103104"  # 永州 乡镇


def start(caller, item, org, details=None):
    """Accept `item` at `org` with every material it lists."""
    materials = [m.name for m in catalog().get(item).materials]
    response = caller.post(
        "/api/instances",
        json={"item": item, "org": org, "applicant": applicant(), "materials": materials, "details": details or {}},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def delete(caller, override_id):
    return caller.test_client.delete(f"/api/step-limits/{override_id}", headers=caller.headers)


def limit_of(task):
    return task["limit_days"], task["limit_label"], task["limit_inferred"]


def test_an_instant_task_accepted_at_ten_is_overdue_after_midnight_the_same_day(as_user):
    clock.freeze(at("2026-11-04T10:00:00"))  # a Wednesday
    clerk = as_user("qujiang.township_clerk")
    start(clerk, "fc-t-03", TOWNSHIP)  # 参保人员参保信息查询: 当场办结
    task = only_task(clerk, "办结")
    assert limit_of(task) == (0, "默认时限", False)
    assert task["due_at"] == "2026-11-05T00:00:00+08:00"

    clock.freeze(at("2026-11-04T23:59:00"))
    late_evening = only_task(clerk, "办结")
    assert (late_evening["overdue"], late_evening["deadline"]) == (False, "即将超期")
    clock.freeze(at("2026-11-05T00:00:01"))
    after_midnight = only_task(clerk, "办结")
    assert (after_midnight["overdue"], after_midnight["deadline"]) == (True, "已超期")
    overdue = as_user(ADMIN).get(f"/api/sla?org={TOWNSHIP}").get_json()["overdue_tasks"]
    assert [(row["stage"], row["count"]) for row in overdue] == [("办结", 1)]


def test_handover_and_archive_after_the_same_day_conclusion_get_their_own_limits(as_user):
    clock.freeze(at("2026-11-04T10:00:00"))
    clerk = as_user("gudong.township_clerk")
    details = {
        "filing_type": "异地转诊人员",
        "destination_province": "上海市",
        "destination_city": "上海市",
        "start_date": "2026-11-04",
        "end_date": (date(2026, 11, 4) + timedelta(days=30)).isoformat(),
    }
    start(clerk, "fz-g-15", GUDONG, details)  # 异地转诊人员备案: 当场办结, then 移交 and 归档
    work(clerk, "办结", {"result": "备案成功"})
    handover = only_task(clerk, "移交医保中心")
    assert limit_of(handover) == (2, "默认时限", True)
    assert handover["due_at"] == "2026-11-07T00:00:00+08:00"  # Thursday and Friday, not capped at 24:00 today

    clock.freeze(at("2026-11-05T09:00:00"))
    work(clerk, "移交医保中心", {"method": "窗口移交"})
    archive = only_task(as_user("gl-centre.archivist"), "归档")
    assert limit_of(archive) == (5, "默认时限", True)
    assert archive["due_at"] == "2026-11-13T00:00:00+08:00"  # 5 working days from Friday 6th
    assert archive["deadline"] == ""


def test_a_yongzhou_item_gets_an_inferred_limit_though_its_list_sets_none(as_user):
    clock.freeze(at("2026-11-04T10:00:00"))
    clerk = as_user("yitang.township_clerk")
    case = start(clerk, "yz-17", YITANG)  # 灵活就业人员减少登记: 004 gives codes and levels only
    assert case["due_at"] is None
    review = only_task(clerk, "审核")
    assert limit_of(review) == (3, "默认时限", True)
    assert review["due_at"] == "2026-11-10T00:00:00+08:00"  # Thursday, Friday, Monday
    assert review["warn_at"] == "2026-11-06T00:00:00+08:00"  # 即将超期 two working days before


def test_stage_timers_and_the_task_agree_on_a_stage_limit_from_the_defaults(as_user):
    clock.freeze(at("2026-11-04T10:00:00"))
    clerk = as_user("yitang.township_clerk")
    start(clerk, "yz-37", YITANG, reimbursement_details(visited_on="2026-10-20"))
    review = only_task(clerk, "乡镇初审")
    assert limit_of(review) == (12, "默认时限", True)
    assert review["due_at"] == "2026-11-21T00:00:00+08:00"  # the diagram's 超期 timer, armed with the same 12


def test_rectification_and_follow_up_get_five_and_seven_working_days(as_user):
    case = concluded_case(as_user)  # concluded and rated on Thursday 2026-10-08
    agent = as_user("qujiangcun.village_agent")
    rated = agent.post(f"/api/instances/{case['id']}/rating", json={"level": "不满意", "comment": "拨付太慢"})
    assert rated.status_code == 201, rated.get_json()
    rectification = rated.get_json()["rectification"]
    tasks = as_user(ADMIN).get(f"/api/instances/{rectification['id']}").get_json()["tasks"]
    (rectify,) = [t for t in tasks if t["title"] == "整改"]
    assert limit_of(rectify) == (5, "默认时限", False)
    assert rectify["due_at"] == "2026-10-15T00:00:00+08:00"

    clerk = as_user(window_user(rectify["org"]["code"], rectify["role"]))  # whichever unit the rating rules name
    work(clerk, "整改", {"finding": "拨付环节积压", "measures": "增设拨付岗", "rectified_on": "2026-10-08"})
    (visit,) = [
        t
        for t in as_user(ADMIN).get(f"/api/instances/{rectification['id']}").get_json()["tasks"]
        if t["title"] == "回访"
    ]
    assert limit_of(visit) == (7, "默认时限", False)
    assert visit["due_at"] == "2026-10-17T00:00:00+08:00"  # 7 working days from 整改, past the 整改 deadline


def test_an_administrator_adjusts_a_default_for_one_item_and_the_next_case_uses_it(as_user):
    admin = as_user(ADMIN)
    listed = admin.get("/api/step-limits?item=fc-t-10")
    assert listed.status_code == 200, listed.get_json()
    steps = {row["step"]: row for row in listed.get_json()["steps"]}
    assert steps["township_review"]["limit"]["label"] == "清单时限" and not steps["township_review"]["adjustable"]
    handover = steps["hand_over/hand_over"]
    assert (handover["title"], handover["limit"]["days"], handover["limit"]["label"]) == ("移交医保中心", 2, "默认时限")

    refused = admin.post("/api/step-limits", json={"item": "fc-t-10", "step": "township_review", "days": 3})
    assert refused.status_code == 422 and refused.get_json()["errors"] == {
        "step": ["该环节的时限由事项清单规定，不能调整"]
    }
    bad = admin.post("/api/step-limits", json={"item": "fc-t-10", "step": "hand_over/hand_over", "days": "三"})
    assert bad.status_code == 422 and "days" in bad.get_json()["errors"]
    done = admin.post("/api/step-limits", json={"item": "fc-t-10", "step": "hand_over/hand_over", "days": 4})
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["days"], done.get_json()["label"]) == (4, "已调整")
    again = admin.get("/api/step-limits?item=fc-t-10").get_json()["steps"]
    adjusted = next(row for row in again if row["step"] == "hand_over/hand_over")
    assert (adjusted["limit"]["label"], adjusted["default"]["days"]) == ("已调整", 2)

    clock.freeze(at("2026-11-04T10:00:00"))
    township = as_user("qujiang.township_clerk")
    start(township, "fc-t-10", TOWNSHIP, reimbursement_details(visited_on="2026-10-20"))
    work(township, "乡镇初审", APPROVE)
    task = only_task(township, "移交医保中心")
    assert limit_of(task) == (4, "已调整", False)
    assert task["due_at"] == "2026-11-11T00:00:00+08:00"


def test_an_adjustment_stays_inside_the_administrators_region(as_user):
    fuzhou = as_user("fuzhou.admin")
    assert fuzhou.get("/api/step-limits?item=fc-t-10").status_code == 404
    outside = fuzhou.post("/api/step-limits", json={"item": "fc-t-10", "step": "hand_over/hand_over", "days": 9})
    assert outside.status_code == 404
    assert fuzhou.get("/api/step-limits?item=fz-g-15").status_code == 200
    assert as_user("qujiang.township_clerk").get("/api/step-limits?item=fc-t-10").status_code == 403

    mine = as_user(ADMIN).post("/api/step-limits", json={"item": "fc-t-10", "step": "hand_over/hand_over", "days": 3})
    override_id = mine.get_json()["id"]
    assert delete(fuzhou, override_id).status_code == 404
    assert delete(as_user(SYSTEM_ADMIN), override_id).status_code == 204
    after = as_user(ADMIN).get("/api/step-limits?item=fc-t-10").get_json()["steps"]
    assert next(row for row in after if row["step"] == "hand_over/hand_over")["limit"]["label"] == "默认时限"
