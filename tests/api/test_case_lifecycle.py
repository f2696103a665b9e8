"""The case lifecycle end to end: terminate cancels timers, suspend holds the case clock and resume
puts every pending deadline off, an administrator's action racing a completion is a conflict, and a
new year's notice caps the stages that start later at the recomputed case deadline."""

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine import workcalendar
from engine.bpmn import deployment
from engine.cases import admin as admin_actions
from engine.core.clock import clock
from engine.core.models import AuditEvent, CaseInstance, Task, Timer
from engine.tasks import work as task_work
from engine.workflow import snapshot
from server.extensions import db
from tests.scenarios import (
    ADMIN,
    APPROVE,
    NOTICE_2027,
    TOWNSHIP,
    accept_at_instant,
    accept_at_township_window,
    at,
    only_task,
    open_tasks,
    start_at_village,
    sweep_at,
    work,
)

pytestmark = pytest.mark.usefixtures("fresh")
TOWNSHIP_CLERK = "qujiang.township_clerk"


def timers_of(app, case_id):
    with app.app_context():
        rows = db.session.scalars(select(Timer).where(Timer.instance_id == case_id).order_by(Timer.id)).all()
        db.session.remove()
    return rows


def last_day(instant: datetime):
    return workcalendar.shanghai_date(instant - timedelta(microseconds=1))


def test_a_terminated_case_fires_no_timer_and_records_no_incident(app, as_user, probe):
    clock.freeze(at("2026-09-30T10:00:00"))
    case = accept_at_township_window(as_user)
    armed = timers_of(app, case["id"])
    assert armed and {t.state for t in armed} == {"waiting"}

    response = as_user(ADMIN).post(f"/api/admin/instances/{case['id']}/terminate", json={"reason": "申请人撤回申请"})
    assert response.status_code == 200

    result = sweep_at(app, "2027-06-30T10:00:00")  # past every instant the timers were armed for
    assert (result.fired, result.failed) == (0, 0)
    assert timers_of(app, case["id"]) == [], "an ended case keeps no cancelled timer rows (cases.retention)"
    history = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["history"]
    assert not [e for e in history if e["action"] in ("timer_fired", "error")]


def test_suspending_for_three_working_days_puts_every_pending_deadline_off_by_three(app, as_user, probe):
    clock.freeze(at("2026-11-02T10:00:00"))  # Monday
    case = accept_at_township_window(as_user)
    before = {t.id: t.fire_at for t in timers_of(app, case["id"])}
    (task_before,) = open_tasks(as_user, case)
    case_due_before = datetime.fromisoformat(as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["due_at"])

    clock.freeze(at("2026-11-04T10:00:00"))  # Wednesday
    assert as_user(ADMIN).post(f"/api/admin/instances/{case['id']}/suspend", json={"reason": "暂缓"}).status_code == 200
    assert {t.state for t in timers_of(app, case["id"])} == {"held"}
    assert sweep_at(app, "2026-12-31T10:00:00").fired == 0  # held timers do not go off, even when due
    assert {t.state for t in timers_of(app, case["id"])} == {"held"}

    clock.freeze(at("2026-11-09T10:00:00"))  # Monday: Thursday, Friday and Monday were suspended
    resumed = as_user(ADMIN).post(f"/api/admin/instances/{case['id']}/resume")
    assert resumed.status_code == 200, resumed.get_json()

    calendar = workcalendar.default_calendar()
    after = {t.id: t for t in timers_of(app, case["id"])}
    assert after.keys() == before.keys() and {t.state for t in after.values()} == {"waiting"}
    for timer_id, old in before.items():
        new = after[timer_id].fire_at
        assert calendar.working_days_between(last_day(old), last_day(new)) == 3, (old, new)
        assert new.time() == old.time()
    detail = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()
    case_due_after = datetime.fromisoformat(detail["due_at"])
    assert calendar.working_days_between(last_day(case_due_before), last_day(case_due_after)) == 3
    (task_after,) = detail["tasks"]
    for column in ("due_at", "warn_at"):
        old, new = datetime.fromisoformat(task_before[column]), datetime.fromisoformat(task_after[column])
        assert calendar.working_days_between(last_day(old), last_day(new)) == 3
    resumed_event = [e for e in detail["history"] if e["action"] == "resumed"][-1]
    assert resumed_event["detail"] == {"working_days_suspended": 3}

    # The workflow agrees with the rows: nothing goes off at the old warning instant, the new one does.
    warning = next(t for t in after.values() if t.kind == "warning")
    old_warning = before[warning.id]
    assert sweep_at(app, (old_warning + timedelta(hours=1)).replace(tzinfo=None).isoformat()).fired == 0
    assert sweep_at(app, (warning.fire_at + timedelta(hours=1)).replace(tzinfo=None).isoformat()).fired == 1


def _race(monkeypatch, module, name, other_action):
    """Run `other_action` to its end in another thread (its own request and unit of work) just before
    `module.name` writes, as a caller racing this one would."""
    real = getattr(module, name)

    def late_writer(*args, **kwargs):
        racer = threading.Thread(target=other_action)
        racer.start()
        racer.join()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, late_writer)


def claimed_review(as_user):
    """A case at 乡镇初审, claimed by the township clerk: (case, task, clerk, administrator)."""
    case = start_at_village(as_user)
    township = as_user(TOWNSHIP_CLERK)
    task = only_task(township, "乡镇初审")
    assert township.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    return case, task, township, as_user(ADMIN)


def test_an_administrators_action_racing_a_completion_is_a_conflict(app, as_user, monkeypatch):
    case, task, township, admin = claimed_review(as_user)
    outcome = {}

    def complete_meanwhile():
        monkeypatch.undo()
        outcome["completion"] = app.test_client().post(
            f"/api/tasks/{task['id']}/complete", json={"data": APPROVE}, headers=township.headers
        )

    _race(monkeypatch, admin_actions, "write_case", complete_meanwhile)
    refused = admin.post(f"/api/admin/instances/{case['id']}/suspend", json={"reason": "暂缓"})
    assert outcome["completion"].status_code == 200
    assert refused.status_code == 409, refused.get_json()
    detail = admin.get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "running" and [t["title"] for t in detail["tasks"]] == ["移交医保中心"]
    assert not [e for e in detail["history"] if e["action"] == "suspended"]


def test_a_completion_racing_an_administrators_action_is_a_conflict(app, as_user, monkeypatch):
    case, task, township, admin = claimed_review(as_user)
    outcome = {}

    def suspend_meanwhile():
        monkeypatch.undo()
        outcome["suspend"] = app.test_client().post(
            f"/api/admin/instances/{case['id']}/suspend", json={"reason": "暂缓"}, headers=admin.headers
        )

    _race(monkeypatch, task_work, "_write_completion", suspend_meanwhile)
    refused = township.post(f"/api/tasks/{task['id']}/complete", json={"data": APPROVE})
    assert outcome["suspend"].status_code == 200
    assert refused.status_code == 409, refused.get_json()
    with app.app_context():
        stored = db.session.get(CaseInstance, case["id"])
        assert stored.status == "suspended"
        assert db.session.get(Task, task["id"]).state == "suspended"
        completions = db.session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == case["id"], AuditEvent.action == "completed")
        ).all()
        assert completions == []
        db.session.remove()


def test_after_a_new_notice_a_later_stage_is_capped_at_the_recomputed_case_deadline(
    app, as_user, writable_holidays, tmp_path
):
    case = accept_at_instant(as_user, "2026-12-10T10:00:00", item="fc-t-10", org=TOWNSHIP, user=TOWNSHIP_CLERK)
    provisional_due = workcalendar.default_calendar().due(at("2026-12-10T10:00:00"), 30).due_at

    notice = tmp_path / "2027.toml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calendar", "load", str(notice)])
    assert result.exit_code == 0, result.output
    recomputed_due = workcalendar.default_calendar().due(at("2026-12-10T10:00:00"), 30).due_at
    assert recomputed_due > provisional_due  # 2027-01-04 is a day off in the notice
    with app.app_context():
        stored = db.session.get(CaseInstance, case["id"])
        workflow = snapshot.load_state(stored.state, *deployment.specs_of(stored.definition))
        pending = [t.data["case_due"] for t in workflow.get_tasks() if "case_due" in t.data and not t.has_state(64)]
        db.session.remove()
    assert recomputed_due.isoformat() in pending and provisional_due.isoformat() not in pending

    # 复核 starts two working days before the case deadline: its 5-day stage limit is capped by it.
    clock.freeze(
        datetime.combine(
            last_day(recomputed_due) - timedelta(days=3), datetime.min.time(), at("2026-01-01T00:00:00").tzinfo
        )
        + timedelta(hours=10)
    )
    township = as_user(TOWNSHIP_CLERK)
    work(township, "乡镇初审", APPROVE)
    work(township, "移交医保中心", {"method": "系统流转"})
    (review,) = open_tasks(as_user, case)
    assert review["title"] == "医保中心复核"
    assert datetime.fromisoformat(review["due_at"]) == recomputed_due
