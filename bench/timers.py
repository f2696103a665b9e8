"""Timer sweeps and timer workers, measured side by side in one run.

1. Cost of one sweep as the number of waiting timers grows: two databases, each with 100 due timers (real
   cases whose 即将超期 timer is due), plus cases whose timers wait years ahead: 1,000 waiting timers in all in the
   first, 100,000 in the second. Since the sweep reads only due rows through the (state, fire_at) index, its cost
   should not grow with the waiting ones. Prints `sweep_cost_ratio=<t(100,000) / t(1,000)>`.
2. Cost per timer, old and new: a third database like the first is swept the old way, every timer advanced
   through its case's workflow (`sweep.advance`), against today's sweep, which fires a 即将超期 marker from its
   row. Prints `sweep_cost_per_timer_ratio=<old / new>`.
3. Lateness: two `flask timers run` workers, started and asleep (each said so), then 40 cases accepted a few tenths of a second
   apart, each arming a marker 2 s and a 超期 (催办, through the workflow) 3 s ahead on the wall clock. Prints each
   timer's firing minus its instant as `timer_lateness_p50_s=`, `timer_lateness_p95_s=` and whether every timer
   fired exactly once. On PostgreSQL when BENCH_DATABASE_URL names a database (dropped and migrated afresh: give
   one of its own), else on SQLite, where the workers poll each second.

    python bench/timers.py
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench_timers python bench/timers.py
"""

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its calendar.py would shadow the standard library's

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from engine.bpmn import deployment  # noqa: E402
from engine.cases import acceptance  # noqa: E402
from engine.catalogue.flows import Flow  # noqa: E402
from engine.core.clock import SHANGHAI, clock  # noqa: E402
from engine.core.models import AuditEvent, CaseInstance, Timer, User  # noqa: E402
from engine.core.uow import unit_of_work  # noqa: E402
from engine.org import accounts  # noqa: E402
from engine.org.permissions import SystemActor  # noqa: E402
from engine.timers import sweep  # noqa: E402
from engine.timers.table import due_timers  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config import database_url  # noqa: E402
from server.extensions import db  # noqa: E402
from tests.factories import applicant  # noqa: E402

PROBE = ROOT / "tests" / "fixtures" / "bpmn" / "deadline_probe.bpmn"
SOON = ROOT / "tests" / "fixtures" / "bpmn" / "timer_soon.bpmn"
LATENESS_CASES = 40
DUE = 100
ACCEPTED = datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)
SWEEP_AT = datetime(2026, 11, 2, 9, tzinfo=SHANGHAI)


def prepared(tmp: str, total: int, name: str = "new"):
    """An app whose database holds DUE due timers and total - DUE far-off waiting ones."""
    url = f"sqlite:///{tmp}/timers-{name}-{total}.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEPLOY_ON_START": False})
    acceptance.flow_for = lambda item: Flow("deadline_probe", None, 2)
    with app.app_context():
        upgrade()
        accounts.seed_demo(db.session)
        deployment.deploy(db.session, SystemActor("bench"), PROBE.read_bytes(), PROBE.name)
        clerk = db.session.query(User).filter_by(username="qujiang.township_clerk").one()
        clock.freeze(ACCEPTED)
        started = [
            acceptance.start_case(db.session, clerk, {"item": "fc-t-10", "org": "360981104", "applicant": applicant()})
            for _ in range(DUE)
        ]
        filler = total - db.session.query(Timer).count()
        template = started[0]
        first_id = template.id + DUE
        far = ACCEPTED + timedelta(days=3650)
        waiting_cases = [
            {
                "id": first_id + i,
                "item_id": template.item_id,
                "item_name": template.item_name,
                "definition_id": template.definition_id,
                "org_id": template.org_id,
                "status": "running",
                "applicant": template.applicant,
                "state": "{}",
                "started_by_id": clerk.id,
                "started_at": ACCEPTED,
                "version": 1,
            }
            for i in range(filler)
        ]
        waiting_timers = [
            {
                "instance_id": first_id + i,
                "task_id": str(uuid4()),
                "kind": "overdue",
                "title": "超期",
                "fire_at": far + timedelta(minutes=i),
                "armed_at": ACCEPTED,
                "state": "waiting",
                "attempts": 0,
            }
            for i in range(filler)
        ]
        for table, rows in ((CaseInstance, waiting_cases), (Timer, waiting_timers)):
            for chunk in range(0, len(rows), 10_000):
                db.session.execute(insert(table), rows[chunk : chunk + 10_000])
        db.session.commit()
        db.session.remove()
    return app


def timed_sweep(app) -> tuple[float, int]:
    clock.freeze(SWEEP_AT)
    with app.app_context():
        start = time.perf_counter()
        result = sweep.sweep(db.session)
        elapsed = time.perf_counter() - start
        db.session.remove()
    return elapsed, result.fired


def old_sweep(session) -> int:
    """The sweep before markers: every due timer advanced through its case's workflow, one unit of work each."""
    fired = 0
    while True:
        with unit_of_work(session):
            timers = due_timers(session, 1)
            if not timers:
                return fired
            fired += sweep.advance(session, timers[0].instance, timers[0])


def timed_old_sweep(app) -> tuple[float, int]:
    clock.freeze(SWEEP_AT)
    with app.app_context():
        start = time.perf_counter()
        fired = old_sweep(db.session)
        elapsed = time.perf_counter() - start
        db.session.remove()
    return elapsed, fired


def lateness_app(url: str):
    """A fresh database at `url` with the demo organisation and item fc-t-10 running timer_soon.bpmn."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEPLOY_ON_START": False})
    acceptance.flow_for = lambda item: Flow("timer_soon", None, 2)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        accounts.seed_demo(db.session)
        deployment.deploy(db.session, SystemActor("bench"), SOON.read_bytes(), SOON.name)
        db.session.remove()
    return app


def asleep(workers: list[subprocess.Popen[str]]) -> None:
    """Wait until every worker has warmed up and sleeps: each says so in its first line."""
    for worker in workers:
        assert worker.stdout is not None
        for line in worker.stdout:
            if line.startswith("定时器服务已启动"):
                break
        else:
            raise AssertionError("a timer worker stopped before it started")


def measure_lateness(url: str, cases: int = LATENESS_CASES) -> tuple[list[float], bool]:
    """Seconds each timer fired after its instant with two workers running, and whether each fired exactly once."""
    clock.thaw()
    app = lateness_app(database_url(url, ROOT))
    env = {**os.environ, "DATABASE_URL": url, "DEPLOY_ON_START": "0"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "timers", "run"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for _ in range(2)
    ]
    spacing = random.Random(16)
    try:
        asleep(workers)
        with app.app_context():
            clerk = db.session.query(User).filter_by(username="qujiang.township_clerk").one()
            for _ in range(cases):
                acceptance.start_case(
                    db.session, clerk, {"item": "fc-t-10", "org": "360981104", "applicant": applicant()}
                )
                time.sleep(spacing.uniform(0.05, 0.4))
            db.session.remove()
        deadline = time.monotonic() + 30
        with app.app_context():
            while db.session.query(Timer).filter_by(state="waiting").count() and time.monotonic() < deadline:
                db.session.rollback()
                time.sleep(0.5)
            timers = db.session.query(Timer).all()
            events = Counter(
                (e.instance_id, e.detail["kind"]) for e in db.session.query(AuditEvent).filter_by(action="timer_fired")
            )
            db.session.remove()
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    late = [(t.fired_at - t.fire_at).total_seconds() for t in timers if t.fired_at is not None]
    once = len(late) == len(timers) == 2 * cases and set(events.values()) == {1} and len(events) == len(timers)
    return late, once


def percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small, large, old = prepared(tmp, 1_000), prepared(tmp, 100_000), prepared(tmp, 1_000, "old")
        t_small, fired_small = timed_sweep(small)
        t_large, fired_large = timed_sweep(large)
        t_old, fired_old = timed_old_sweep(old)
        assert fired_small == fired_large == fired_old == DUE, (fired_small, fired_large, fired_old)
        print(f"waiting=1000 due={DUE} sweep_s={t_small:.3f}")
        print(f"waiting=100000 due={DUE} sweep_s={t_large:.3f}")
        print(f"sweep_cost_ratio={t_large / t_small:.2f}")
        print(f"sweep_ms_per_timer_old={1000 * t_old / DUE:.2f} sweep_ms_per_timer_new={1000 * t_small / DUE:.2f}")
        print(f"sweep_cost_per_timer_ratio={t_old / t_small:.2f}")
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/lateness.db"
        late, once = measure_lateness(url)
    store = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"lateness store={store} timers={len(late)} exactly_once={once} max_s={max(late):.3f}")
    print(f"timer_lateness_p50_s={percentile(late, 0.5):.3f}")
    print(f"timer_lateness_p95_s={percentile(late, 0.95):.3f}")


if __name__ == "__main__":
    main()
