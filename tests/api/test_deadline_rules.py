"""Deadline rules on the shipped flows: the 补正 pause, stage and total limits, 督办, provisional years."""

from datetime import date, datetime, timedelta

import pytest

from engine import workcalendar
from engine.core.clock import clock
from tests.scenarios import (
    ALL_MATERIALS,
    APPROVE,
    NOTICE_2027,
    TOWNSHIP,
    accept_at_instant,
    at,
    open_tasks,
    sweep_at,
    work,
)

pytestmark = pytest.mark.usefixtures("fresh")


def test_supplement_pause_pushes_the_deadline_by_the_working_days_it_covered(as_user):
    case = accept_at_instant(as_user, "2026-09-30T10:00:00", materials=ALL_MATERIALS[:2])
    calendar = workcalendar.default_calendar()
    original = calendar.due(date(2026, 9, 30), 30).due_at
    assert case["due_at"] == original.isoformat()

    agent = as_user("qujiangcun.village_agent")
    work(agent, "一次性告知", {"missing": ALL_MATERIALS[2:]})
    paused = agent.get(f"/api/instances/{case['id']}").get_json()
    assert paused["due_at"] is None

    clock.freeze(at("2026-10-14T10:00:00"))
    work(agent, "补正登记", {"received": ALL_MATERIALS[2:]})
    resumed = agent.get(f"/api/instances/{case['id']}").get_json()
    restarted = datetime.fromisoformat(resumed["due_at"])
    assert restarted == calendar.due(date(2026, 10, 14), 30).due_at
    covered = calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 14))
    assert covered == 6  # 10-08, 10-09, 10-10 (调休上班), 10-12, 10-13, 10-14
    assert calendar.working_days_between(original.date(), restarted.date()) == covered
    actions = [e["action"] for e in resumed["history"]]
    assert "clock_paused" in actions and "clock_restarted" in actions


def test_stage_limit_within_the_total_limit(as_user):
    case = accept_at_instant(as_user, "2026-09-30T10:00:00")
    (review,) = open_tasks(as_user, case)
    assert review["title"] == "乡镇初审"
    assert review["due_at"] == "2026-11-04T00:00:00+08:00"
    township = as_user("qujiang.township_clerk")
    clock.freeze(at("2026-11-25T10:00:00"))
    work(township, "乡镇初审", APPROVE)
    later = [t for t in open_tasks(as_user, case) if t["title"] != "乡镇初审"]
    stage_alone = workcalendar.default_calendar().due(date(2026, 11, 25), 5).due_at
    total = datetime.fromisoformat(case["due_at"])
    assert total < stage_alone
    assert {t["due_at"] for t in later if t["role"] == "township_clerk"} <= {total.isoformat(), None}


def test_overdue_review_on_the_shipped_flow_goes_to_the_township_supervisor(app, as_user):
    case = accept_at_instant(as_user, "2026-09-30T10:00:00")
    assert sweep_at(app, "2026-11-03T23:59:00").fired == 1
    assert as_user("qujiang.supervisor").get("/api/tasks").get_json()["total"] == 0
    assert sweep_at(app, "2026-11-04T00:00:00").fired == 1
    (urge,) = as_user("qujiang.supervisor").get("/api/tasks").get_json()["items"]
    assert urge["title"] == "催办（乡镇初审）" and urge["case_no"] == case["case_no"]
    (review,) = as_user("qujiang.township_clerk").get("/api/tasks").get_json()["items"]
    assert review["overdue"] and review["deadline"] == "已超期"


def test_a_new_years_notice_recomputes_provisional_deadlines(app, as_user, writable_holidays, tmp_path):
    case = accept_at_instant(
        as_user, "2026-12-10T10:00:00", item="fc-t-10", org=TOWNSHIP, user="qujiang.township_clerk"
    )
    (review,) = open_tasks(as_user, case)
    provisional_due = datetime.fromisoformat(review["due_at"])
    assert provisional_due == workcalendar.default_calendar().due(date(2026, 12, 10), 20).due_at
    assert workcalendar.default_calendar().due(date(2026, 12, 10), 20).provisional

    notice = tmp_path / "2027.toml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calendar", "load", str(notice)])
    assert result.exit_code == 0, result.output
    assert "重算" in result.output
    changed = int(result.output.split("重算 ")[1].split(" ")[0])
    assert changed >= 2

    (review,) = open_tasks(as_user, case)
    recomputed = datetime.fromisoformat(review["due_at"])
    last_day = lambda expiry: (expiry - timedelta(microseconds=1)).date()  # noqa: E731
    calendar = workcalendar.default_calendar()
    assert calendar.working_days_between(last_day(provisional_due), last_day(recomputed)) == 1
    assert not workcalendar.default_calendar().due(date(2026, 12, 10), 20).provisional
    history = as_user("fengcheng.admin").get(f"/api/instances/{case['id']}").get_json()["history"]
    (event,) = [e for e in history if e["action"] == "deadline_recomputed"]
    assert any(
        c["old"] == provisional_due.isoformat() and c["new"] == recomputed.isoformat()
        for c in event["detail"]["changes"]
    )
