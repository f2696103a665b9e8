"""What bench/scale.py measures beside the listings: what the data holds, the bytes a concluded case keeps in
steady state on PostgreSQL, and how late two timer workers fire — each on a fresh database of its own (the
bench's database name with `_bytes` or `_timers`)."""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import MetaData, select, text

from bench import pgdb
from bench.engine import WORKER, Service
from engine.bpmn import deployment
from engine.cases import acceptance
from engine.catalogue.flows import Flow
from engine.core.models import Timer
from engine.org import accounts, workers
from engine.org.permissions import SYSTEM
from engine.timers import wakeups
from server.app import create_app
from server.extensions import db
from tests.factories import applicant

ROOT = Path(__file__).resolve().parent.parent
SOON = ROOT / "tests" / "fixtures" / "bpmn" / "timer_soon.bpmn"  # 即将超期 2 s and 超期 3 s after 初审 opens


def counts(app, now: datetime) -> dict[str, int]:
    """Cases, open tasks and overdue cases (running past their next deadline) as of `now`."""
    with app.app_context():
        row = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM case_instance), (SELECT count(*) FROM task WHERE state = 'open'),"
                " (SELECT count(*) FROM case_instance WHERE status = 'running' AND next_deadline <= :now)"
            ),
            {"now": now.astimezone(UTC).replace(tzinfo=None)},
        ).one()
        db.session.remove()
    return dict(zip(("cases", "open_tasks", "overdue"), row, strict=True))


def _fresh_app(url: str):
    pgdb.recreate(url)
    app = create_app({**pgdb.app_settings(url), "DEPLOY_ON_START": False, "PASSWORD_HASH_METHOD": "scrypt:16:8:1"})
    with app.app_context():
        upgrade()
        accounts.seed_demo(db.session)
        deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
        db.session.remove()
    return app, url


# Batches of cases worked before the one measured. A B-tree page a VACUUM empties is reused only after the next
# VACUUM (it must outlive every snapshot that could still see it), so the indexes a case's steps churn (the overdue
# and inbox ones) reach their steady size from the third batch on, as under autovacuum's repeated runs.
WARM_BATCHES = 3


def bytes_per_concluded_case(url: str, cases: int) -> float:
    """Growth of every table holding case data (heap, TOAST, indexes) over `cases` concluded cases, after
    `WARM_BATCHES` batches as large with a plain VACUUM after each, so that old row versions' and emptied index
    pages' space is reused as autovacuum leaves it (no VACUUM FULL); divided by `cases`."""
    app, _ = _fresh_app(url)
    with app.app_context():
        secret = workers.create(db.session, SYSTEM, WORKER, "360981").secret
        db.session.remove()
    service = Service(app, secret)
    sizes = []
    for _ in range(WARM_BATCHES + 1):
        for _ in range(cases):
            service.run()
        sizes.append(_case_tables_size(app))
    return (sizes[-1] - sizes[-2]) / cases


def _case_tables_size(app) -> int:
    with app.app_context():
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM"))
            metadata = MetaData()
            metadata.reflect(connection)
            names = [
                t.name
                for t in metadata.sorted_tables
                if t.name == "case_instance" or any(fk.column.table.name == "case_instance" for fk in t.foreign_keys)
            ]
            return sum(connection.scalar(text("SELECT pg_total_relation_size(:t)"), {"t": name}) for name in names)


def timer_lateness_p95(url: str, cases: int) -> float:
    """Seconds between a timer's instant and its firing, p95, with two `flask timers run` workers asleep on a fresh
    database while cases are accepted one by one, each arming timers 2 and 3 s ahead on the wall clock."""
    app, url = _fresh_app(url)
    with app.app_context():
        deployment.deploy(db.session, SYSTEM, SOON.read_bytes(), SOON.name)
        clerk = accounts.active_user(
            db.session, db.session.scalar(text("SELECT id FROM app_user WHERE username = 'qujiang.township_clerk'"))
        )
        db.session.remove()
    env = {**os.environ, "DATABASE_URL": url, "DEPLOY_ON_START": "0", "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "timers", "run"]
    runners = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    flow_for = acceptance.flow_for
    acceptance.flow_for = lambda item: Flow("timer_soon", None, 2)
    try:
        _wait_for_listeners(app, runners)
        with app.app_context():
            for _ in range(cases):
                user = db.session.merge(clerk)
                acceptance.start_case(
                    db.session, user, {"item": "fc-t-10", "org": "360981104", "applicant": applicant(), "materials": []}
                )
                time.sleep(0.25)
            db.session.remove()
        lateness = _lateness_once_fired(app, 2 * cases)
    finally:
        acceptance.flow_for = flow_for
        for runner in runners:
            runner.terminate()
        for runner in runners:
            runner.wait(timeout=30)
    assert len(lateness) == 2 * cases, f"{len(lateness)} of {2 * cases} timers fired"
    return lateness[max(0, -(-95 * len(lateness) // 100) - 1)]


def _lateness_once_fired(app, timers: int) -> list[float]:
    """Each fired timer's lateness in seconds, sorted, once `timers` fired or a minute passed."""
    deadline = time.monotonic() + 60
    with app.app_context():
        while True:
            fired = db.session.execute(select(Timer.fired_at, Timer.fire_at).where(Timer.state == "fired")).all()
            db.session.rollback()
            if len(fired) >= timers or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        db.session.remove()
    return sorted((fired_at - fire_at).total_seconds() for fired_at, fire_at in fired)


def _wait_for_listeners(app, runners) -> None:
    """Both workers asleep on LISTEN: from then on only a NOTIFY wakes them in time."""
    deadline = time.monotonic() + 120
    with app.app_context():
        while True:
            listening = db.session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE query = :q AND datname = current_database()"),
                {"q": f"LISTEN {wakeups.CHANNEL}"},
            )
            db.session.rollback()
            if listening >= len(runners):
                break
            if time.monotonic() > deadline or any(r.poll() is not None for r in runners):
                raise SystemExit("the timer workers did not start listening")
            time.sleep(0.2)
        db.session.remove()
    time.sleep(0.5)
