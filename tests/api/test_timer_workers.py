"""Two timer workers on one PostgreSQL database fire each due timer exactly once, and on time."""

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.core.clock import clock
from engine.core.models import AuditEvent, Task, Timer
from engine.timers import wakeups
from server.extensions import db
from tests.scenarios import accept_at_township_window, at

ROOT = Path(__file__).resolve().parents[2]
CASES = 30

pytestmark = [
    pytest.mark.usefixtures("fresh"),
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"),
]


def test_two_workers_fire_each_timer_exactly_once(app, as_user, probe):
    from engine.core.clock import clock

    clock.freeze(at("2026-09-30T10:00:00"))
    for _ in range(CASES):
        accept_at_township_window(as_user)
    clock.thaw()
    env = {**os.environ, "DEPLOY_ON_START": "0"}
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "timers",
        "run",
        "--once",
        "--now",
        "2026-11-04T09:00:00+08:00",
    ]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs

    with app.app_context():
        fired = db.session.query(Timer).filter_by(state="fired").all()
        assert len(fired) == 2 * CASES
        events = db.session.query(AuditEvent).filter_by(action="timer_fired").all()
        per_timer = Counter((e.instance_id, e.detail["kind"]) for e in events)
        assert len(per_timer) == 2 * CASES and set(per_timer.values()) == {1}
        urges = db.session.query(Task).filter_by(title="催办", state="open").count()
        assert urges == CASES
    assert all("失败 0 个" in out for out, _ in outputs), outputs


ON_TIME_CASES = 5


def listening_workers():
    return db.session.scalar(
        text("SELECT count(*) FROM pg_stat_activity WHERE query = :listen AND datname = current_database()"),
        {"listen": f"LISTEN {wakeups.CHANNEL}"},
    )


def test_two_sleeping_workers_fire_a_timer_armed_two_seconds_ahead_within_a_second_once(app, as_user, soon):
    env = {**os.environ, "DEPLOY_ON_START": "0"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "timers", "run"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        with app.app_context():
            deadline = time.monotonic() + 60
            while listening_workers() < 2:  # both asleep, for up to 30 s: only a NOTIFY can wake them in time
                assert time.monotonic() < deadline and all(w.poll() is None for w in workers)
                time.sleep(0.2)
                db.session.rollback()
            time.sleep(0.5)
        cases = [accept_at_township_window(as_user)["id"] for _ in range(ON_TIME_CASES)]
        with app.app_context():
            timers = db.session.query(Timer).filter(Timer.instance_id.in_(cases)).all()
            assert len(timers) == 2 * ON_TIME_CASES
            last = max(t.fire_at for t in timers)
        time.sleep(max(0.0, (last - clock.now()).total_seconds()) + 2.0)
        with app.app_context():
            timers = db.session.query(Timer).filter(Timer.instance_id.in_(cases)).all()
            lateness = {(t.instance_id, t.kind): t.fired_at - t.fire_at for t in timers if t.state == "fired"}
            assert len(lateness) == 2 * ON_TIME_CASES, [(t.kind, t.state, t.fire_at) for t in timers]
            assert all(timedelta(0) <= late <= timedelta(seconds=1) for late in lateness.values()), lateness
            events = db.session.query(AuditEvent).filter(
                AuditEvent.action == "timer_fired", AuditEvent.instance_id.in_(cases)
            )
            per_timer = Counter((e.instance_id, e.detail["kind"]) for e in events)
            assert set(per_timer) == set(lateness) and set(per_timer.values()) == {1}
            assert (
                db.session.query(Task).filter(Task.instance_id.in_(cases), Task.title == "催办").count()
                == ON_TIME_CASES
            )
    finally:
        for worker in workers:
            worker.terminate()
        outputs = [w.communicate(timeout=30) for w in workers]
    lines = [line for out, _ in outputs for line in out.splitlines()]
    assert sum(line.startswith("定时器服务已启动") for line in lines) == 2, outputs
    fired = sum(int(line.split("已触发 ")[1].split(" ")[0]) for line in lines if "已触发 " in line)
    assert fired == 2 * ON_TIME_CASES, outputs
