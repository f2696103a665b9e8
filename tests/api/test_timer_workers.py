"""Two timer workers on one PostgreSQL database fire each due timer exactly once."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from engine.core.models import AuditEvent, Task, Timer
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
