"""Timers on time: a 即将超期 marker fires from its row, a worker plans its sleep to the next due instant, and on
PostgreSQL a step that arms a timer due soon wakes a sleeping worker (LISTEN/NOTIFY), also after a lost connection.

The two-worker run on the wall clock is in tests/api/test_timer_workers.py.
"""

import os
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.cases.step import write_step
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.errors import Conflict
from engine.core.models import AuditEvent, CaseInstance, Timer
from engine.core.uow import unit_of_work
from engine.timers import sweep, wakeups
from engine.timers.table import is_marker, record_incident
from engine.workflow import snapshot
from server.extensions import db
from tests.scenarios import APPROVE, accept_at_township_window, at, sweep_at, work

pytestmark = pytest.mark.usefixtures("fresh")
on_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
)
WARN_AT = "2026-11-02T00:00:00"  # the probe's 即将超期 for a case accepted on 2026-09-30 (tests/api/test_timers.py)


def warnings_of(case_id):
    events = db.session.query(AuditEvent).filter_by(instance_id=case_id, action="timer_fired").all()
    return [e for e in events if e.detail["kind"] == "warning"]


def test_only_a_warning_whose_path_just_ends_is_a_marker(app, probe):
    with app.app_context():
        case_specs = {}
        for name in ("deadline_probe", "centre_only", "handover_review"):
            spec, _ = deployment.specs_of(deployment.latest_definition(db.session, name))
            case_specs[name] = spec.task_specs
    assert is_marker(case_specs["deadline_probe"]["review_warning"])
    assert is_marker(case_specs["centre_only"]["centre_review_warning"])
    assert not is_marker(case_specs["deadline_probe"]["review_overdue"])  # opens 催办
    assert not is_marker(case_specs["deadline_probe"]["review_escalation"])
    assert not is_marker(case_specs["deadline_probe"]["township_review"])


def test_a_marker_fires_from_its_row_once_and_the_case_concludes(app, as_user, probe):
    clock.freeze(at("2026-09-30T10:00:00"))
    case = accept_at_township_window(as_user)
    with app.app_context():
        before = db.session.get_one(CaseInstance, case["id"])
        state, version = before.state, before.version
        assert {t.kind: t.marker for t in db.session.query(Timer).filter_by(instance_id=case["id"])} == {
            "warning": True,
            "overdue": False,
            "escalation": False,
        }
    assert sweep_at(app, WARN_AT).fired == 1
    with app.app_context():
        after = db.session.get_one(CaseInstance, case["id"])
        assert after.state == state and after.version == version + 1  # not loaded nor stored, yet guarded
        assert db.session.query(Timer).filter_by(instance_id=case["id"], kind="warning").one().state == "fired"
        assert len(warnings_of(case["id"])) == 1
    clerk = as_user("qujiang.township_clerk")
    (task,) = clerk.get("/api/tasks").get_json()["items"]
    assert task["deadline"] == "即将超期"

    work(clerk, "乡镇初审", APPROVE)  # the marker's boundary event still waits: it ends with its task
    with app.app_context():
        assert db.session.get_one(CaseInstance, case["id"]).status == "concluded"
        assert db.session.query(Timer).filter_by(instance_id=case["id"], state="waiting").count() == 0
        assert len(warnings_of(case["id"])) == 1
    assert sweep_at(app, "2026-12-31T00:00:00").fired == 0


def test_a_step_over_a_workflow_where_the_fired_marker_still_waits_does_not_arm_it_again(app, as_user, probe):
    clock.freeze(at("2026-09-30T10:00:00"))
    case = accept_at_township_window(as_user)
    assert sweep_at(app, WARN_AT).fired == 1
    with app.app_context():
        with unit_of_work(db.session):
            row = db.session.get_one(CaseInstance, case["id"])
            spec, subprocess_specs = deployment.specs_of(row.definition)
            workflow = snapshot.load_state(row.state, spec, subprocess_specs)
            write_step(db.session, row, catalog().get(row.item_id), workflow)
        waiting = db.session.query(Timer).filter_by(instance_id=case["id"], state="waiting").all()
        assert sorted(t.kind for t in waiting) == ["escalation", "overdue"]
    assert sweep_at(app, "2026-11-04T00:00:00").fired == 1  # 超期, through the workflow
    with app.app_context():
        assert len(warnings_of(case["id"])) == 1


def test_a_marker_two_workers_picked_goes_off_once(app, as_user, probe):
    """SQLite has no SKIP LOCKED: a worker that read the row before another fired it must not fire it again."""
    clock.freeze(at("2026-09-30T10:00:00"))
    case = accept_at_township_window(as_user)
    clock.freeze(at(WARN_AT))
    with app.app_context():
        picked = db.session.query(Timer).filter_by(instance_id=case["id"], kind="warning").one()
        with Session(db.engine) as other:
            assert sweep.sweep(other).fired == 1
        with pytest.raises(Conflict):
            with unit_of_work(db.session):
                sweep.fire(db.session, picked)
        assert len(warnings_of(case["id"])) == 1


def test_the_next_due_instant_is_the_earliest_timer_retry_or_promise(app, as_user, probe):
    clock.freeze(at("2026-09-30T10:00:00"))
    with app.app_context():
        assert wakeups.next_due(db.session) is None
        assert wakeups.pause(None, progressed=False, cap=30.0) == 30.0
    first = accept_at_township_window(as_user)
    with app.app_context():
        assert wakeups.next_due(db.session) == at(WARN_AT)
        assert wakeups.pause(at(WARN_AT), progressed=False, cap=30.0) == 30.0
        clock.freeze(at(WARN_AT) - timedelta(seconds=2.5))
        assert wakeups.pause(at(WARN_AT), progressed=False, cap=30.0) == 2.5
        assert wakeups.pause(at(WARN_AT), progressed=False, cap=1.0) == 1.0  # SQLite polls each second
        clock.freeze(at(WARN_AT))
        assert wakeups.pause(at(WARN_AT), progressed=True, cap=30.0) == 0.0
        assert wakeups.pause(at(WARN_AT), progressed=False, cap=30.0) == wakeups.BUSY_PAUSE

        warning = db.session.query(Timer).filter_by(instance_id=first["id"], kind="warning").one()
        with unit_of_work(db.session):
            record_incident(db.session, warning.id, RuntimeError("案卷数据损坏"))
        retry_at = db.session.get_one(Timer, warning.id).retry_at
        assert retry_at == at(WARN_AT) + timedelta(minutes=2)
        assert wakeups.next_due(db.session) == retry_at  # before the 超期 on 11-04
        assert isinstance(wakeups.waker_for(db.engine), wakeups.Listener if on_pg() else wakeups.Poller)


def on_pg():
    return db.engine.dialect.name == "postgresql"


def listening_pids():
    return db.session.scalars(
        text("SELECT pid FROM pg_stat_activity WHERE query = :listen AND datname = current_database()"),
        {"listen": f"LISTEN {wakeups.CHANNEL}"},
    ).all()


def wait_in_thread(waker, seconds):
    """Start `waker.wait(seconds)` in a thread; a function joining it gives (woken, seconds slept)."""
    outcome = {}

    def sleep():
        started = time.monotonic()
        outcome["woken"] = waker.wait(seconds)
        outcome["slept"] = time.monotonic() - started

    thread = threading.Thread(target=sleep)
    thread.start()

    def joined():
        thread.join(timeout=seconds + 5)
        return outcome["woken"], outcome["slept"]

    return joined


@on_postgres
def test_arming_an_earlier_timer_wakes_a_sleeping_worker(app, as_user, soon):
    with app.app_context():
        waker = wakeups.waker_for(db.engine)
        try:
            joined = wait_in_thread(waker, 30.0)
            time.sleep(0.5)
            accept_at_township_window(as_user)  # arms a 即将超期 2 s ahead: announced at commit
            woken, slept = joined()
            assert woken and slept < 2.0, slept
        finally:
            waker.close()


@on_postgres
def test_a_timer_armed_weeks_ahead_does_not_wake_workers(app, as_user, probe):
    with app.app_context():
        waker = wakeups.waker_for(db.engine)
        try:
            joined = wait_in_thread(waker, 1.5)
            time.sleep(0.3)
            accept_at_township_window(as_user)
            assert joined()[0] is False  # they look again within MAX_SLEEP anyway
        finally:
            waker.close()


@on_postgres
def test_a_worker_listens_again_after_losing_its_connection(app, as_user, soon):
    with app.app_context():
        waker = wakeups.waker_for(db.engine)
        try:
            (pid,) = listening_pids()
            joined = wait_in_thread(waker, 30.0)
            time.sleep(0.3)
            db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            db.session.commit()
            woken, slept = joined()
            assert woken and slept < 5.0  # lost: it plans again rather than sleep on a dead connection
            assert waker.wait(1.0) is True  # reconnected and listening: announcements missed meanwhile, plan afresh
            assert len(listening_pids()) == 1 and listening_pids() != [pid]
            joined = wait_in_thread(waker, 30.0)
            time.sleep(0.3)
            accept_at_township_window(as_user)
            woken, slept = joined()
            assert woken and slept < 2.0
        finally:
            waker.close()
