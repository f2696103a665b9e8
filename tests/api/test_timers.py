"""Deadlines that run themselves: working-day timers, 即将超期, 已超期 with 催办, 通报, incidents.

The timer machinery is exercised on `tests/fixtures/bpmn/deadline_probe.bpmn` (a 乡镇初审 with
the three deadline timers, deployed by the `probe` fixture of tests/conftest.py), run for the 丰城
门诊费用报销 item accepted at a township window.
"""

import pytest

from engine.core.clock import clock
from engine.core.models import Timer
from engine.timers import sweep
from server.extensions import db
from tests.scenarios import TOWNSHIP, accept_at_township_window, at, sweep_at

pytestmark = pytest.mark.usefixtures("fresh")


def review_task(as_user):
    (task,) = as_user("qujiang.township_clerk").get("/api/tasks").get_json()["items"]
    return task


def test_twenty_working_days_across_national_day(app, as_user, probe):
    clock.freeze(at("2026-09-30T10:00:00"))
    case = accept_at_township_window(as_user)
    task = review_task(as_user)
    assert task["due_at"] == "2026-11-04T00:00:00+08:00"
    assert task["warn_at"] == "2026-11-02T00:00:00+08:00"

    assert sweep_at(app, "2026-10-30T17:00:00").fired == 0
    assert review_task(as_user)["deadline"] == ""

    assert sweep_at(app, "2026-11-02T08:00:00").fired == 1
    task = review_task(as_user)
    assert task["deadline"] == "即将超期" and task["working_days_left"] == 2 and not task["overdue"]

    assert sweep_at(app, "2026-11-03T23:59:59").fired == 0
    task = review_task(as_user)
    assert not task["overdue"] and task["working_days_left"] == 1

    assert sweep_at(app, "2026-11-04T00:00:00").fired == 1
    task = review_task(as_user)
    assert task["overdue"] and task["deadline"] == "已超期"
    supervisor = as_user("qujiang.supervisor")
    (urge,) = supervisor.get("/api/tasks").get_json()["items"]
    assert urge["title"] == "催办" and urge["org"]["code"] == TOWNSHIP
    assert as_user("xiaogang.supervisor").get("/api/tasks").get_json()["total"] == 0

    assert sweep_at(app, "2026-11-10T23:00:00").fired == 0
    assert sweep_at(app, "2026-11-11T00:00:00").fired == 1
    (notice,) = as_user("fc-centre.supervisor").get("/api/tasks").get_json()["items"]
    assert notice["title"] == "超期通报" and notice["org"]["code"] == "360981-YB"

    history = as_user("qujiang.township_clerk").get(f"/api/instances/{case['id']}").get_json()["history"]
    fired = [e["detail"]["kind"] for e in history if e["action"] == "timer_fired"]
    assert fired == ["warning", "overdue", "escalation"]


def test_a_timer_fires_once_however_often_the_sweep_runs(app, as_user, probe):
    clock.freeze(at("2026-09-30T10:00:00"))
    accept_at_township_window(as_user)
    assert sweep_at(app, "2026-11-04T09:00:00").fired == 2
    assert sweep_at(app, "2026-11-04T09:00:00").fired == 0
    assert as_user("qujiang.supervisor").get("/api/tasks").get_json()["total"] == 1


def test_completing_the_task_cancels_its_timers(app, as_user, probe):
    clock.freeze(at("2026-09-30T10:00:00"))
    accept_at_township_window(as_user)
    clerk = as_user("qujiang.township_clerk")
    task = review_task(as_user)
    clerk.post(f"/api/tasks/{task['id']}/claim")
    assert clerk.post(f"/api/tasks/{task['id']}/complete", json={"data": {"decision": "approve"}}).status_code == 200
    with app.app_context():
        assert db.session.query(Timer).filter_by(state="waiting").count() == 0
    assert sweep_at(app, "2026-12-31T00:00:00").fired == 0


def test_a_failing_timer_is_an_incident_and_does_not_block_others(app, as_user, probe, monkeypatch):
    clock.freeze(at("2026-09-30T10:00:00"))
    broken, _healthy = accept_at_township_window(as_user), accept_at_township_window(as_user)
    real_fire = sweep.fire

    def fire_or_fail(session, timer):
        if timer.instance_id == broken["id"]:
            raise RuntimeError("案卷数据损坏")
        return real_fire(session, timer)

    monkeypatch.setattr(sweep, "fire", fire_or_fail)
    result = sweep_at(app, "2026-11-02T09:00:00")
    assert (result.fired, result.failed) == (1, 1)
    with app.app_context():
        failed = (
            db.session.query(Timer)
            .filter_by(instance_id=broken["id"], state="waiting")
            .filter(Timer.attempts == 1)
            .one()
        )
        assert "案卷数据损坏" in failed.last_error
        assert failed.retry_at > clock.now()
    assert sweep_at(app, "2026-11-02T09:00:30").failed == 0
    admin = as_user("fengcheng.admin")
    incidents = admin.get("/api/timers?incidents=true").get_json()
    assert [i["instance_id"] for i in incidents] == [broken["id"]]
    assert as_user("qujiang.township_clerk").get("/api/timers?incidents=true").status_code == 403
    waiting = admin.get("/api/timers?limit=2").get_json()
    assert len(waiting) == 2 and waiting[0]["fire_at"] <= waiting[1]["fire_at"]
    for limit in ("0", "1001"):
        refused = admin.get(f"/api/timers?limit={limit}")
        assert refused.status_code == 422
        assert refused.get_json()["errors"]["query"] == {"limit": ["每次最多列出 1000 个，至少 1 个"]}


def test_timers_run_once_with_now(app, as_user, probe):
    clock.freeze(at("2026-09-30T10:00:00"))
    accept_at_township_window(as_user)
    clock.thaw()
    result = app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", "2026-11-04T08:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert "已触发 2 个定时器" in result.output
    refused = app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", "昨天"])
    assert refused.exit_code == 2
