"""Listings, inboxes and SLA figures as the data grows to a province's, measured side by side in one run.

On PostgreSQL (a database of its own, `yibao_scale` on DATABASE_URL's server by default, rebuilt unless --keep)
it builds 15K, 150K and 1.5M cases (10K / 100K / 1M open tasks over 20 centres, 200 townships, 600 villages):
template 门诊费用报销 cases worked by the engine, cloned by set-based SQL (bench/scale_data.py). At each size it
times, through Flask's test client with bearer tokens, as of one instant: GET /api/instances unfiltered and
?overdue=true (the platform's administrator), a township clerk's own listing, the search (ID number, name, case
number, a day's case numbers), the 待认领 inbox's first and last pages of a township clerk and of a centre
reviewer, and GET /api/sla for a month and a year; `repeats` runs each, interleaved, and keeps the p95. Prints
`ratio_<name>=<p95 at the largest size / p95 at the smallest>`, `p95_ms_<name>_<size>=`, `inbox_last_over_first=`;
then `bytes_per_concluded_case=` (cases walked by the engine on a fresh database, the growth of the fourth batch
after three, each followed by a plain VACUUM, as autovacuum keeps it: no VACUUM FULL), `timer_lateness_p95_s=` (two `flask timers run`
workers firing timers armed 2-3 s ahead) and bench/engine.py's lines (its ratios, and cases/s over HTTP with
2 gunicorn workers and 4 clients beside the bare SpiffWorkflow loop).

    python bench/scale.py [--sizes 15000,150000,1500000] [--repeats 20] [--explain] [--keep]
    python bench/scale.py --sizes 1500,15000 --repeats 5      # a quick check
"""

import argparse
import gc
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its calendar.py would shadow the standard library's

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bench import pgdb, scale_data, scale_side  # noqa: E402
from bench.engine import WORKER  # noqa: E402
from engine.bpmn import deployment  # noqa: E402
from engine.core.clock import clock  # noqa: E402
from engine.org import accounts, workers  # noqa: E402
from engine.org.permissions import SYSTEM  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402

ADMIN, CLERK, REVIEWER = "platform.admin", "bench.township_clerk", "bench.centre_reviewer"
MONTH, YEAR = "month=2026-11", "from=2025-12-01&to=2026-11-30"
# psycopg prepares a statement at its fifth execution on a connection: the first size, timed first, would otherwise
# count the unprepared executions in its p95 and the larger sizes not (their statements prepared by then).
WARM_ROUNDS = 6
EXPLAINED = {"instances_overdue": (ADMIN, "/api/instances?overdue=true"), "sla_month": (ADMIN, f"/api/sla?{MONTH}")}


def label(size: int) -> str:
    for unit, scale in (("M", 1_000_000), ("K", 1_000)):
        if size >= scale:
            return f"{size / scale:g}{unit}"
    return str(size)


def prepared(url: str, keep: bool):
    """The app on the bench's database, migrated, with the demo organisation, the diagrams and the bench's units."""
    if not (keep and pgdb.exists(url)):
        pgdb.recreate(url)
    app = create_app({**pgdb.app_settings(url), "DEPLOY_ON_START": False, "PASSWORD_HASH_METHOD": "scrypt:16:8:1"})
    with app.app_context():
        upgrade()
        accounts.seed_demo(db.session)
        deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
        db.session.execute(text("DELETE FROM worker_credential WHERE name = :n"), {"n": WORKER})
        db.session.commit()
        secret = workers.create(db.session, SYSTEM, WORKER, "360981").secret
        scale_data.build_units(db.session)
        db.session.remove()
    return app, secret


class Caller:
    """Requests as one user through the test client, each answer checked."""

    def __init__(self, client, username: str):
        self.client, self.username = client, username
        answer = client.post("/api/auth/token", json={"username": username, "password": "yibao2026"})
        assert answer.status_code == 200, (username, answer.get_json())
        self.headers = {"Authorization": f"Bearer {answer.get_json()['token']}"}

    def get(self, path: str) -> dict:
        answer = self.client.get(path, headers=self.headers)
        assert answer.status_code == 200, (path, answer.status_code, answer.get_data(as_text=True)[:300])
        return answer.get_json()


def requests_at(app, callers: dict[str, Caller]) -> dict[str, tuple[str, str]]:
    """Name → (user, path) of every timed request, the search texts and last pages read from this size's data."""
    with app.app_context():
        number, name, id_number, started = db.session.execute(
            text(
                "SELECT case_no, applicant_name, applicant_id_number, started_at FROM case_instance"
                " WHERE status = 'running' ORDER BY id DESC LIMIT 1"
            )
        ).one()
        db.session.remove()
    named = {
        "instances": (ADMIN, "/api/instances"),
        "instances_overdue": (ADMIN, "/api/instances?overdue=true"),
        "township_listing": (CLERK, "/api/instances"),
        "search_id_number": (ADMIN, f"/api/instances?q={id_number}"),
        "search_name": (ADMIN, f"/api/instances?q={name}"),
        "search_case_no": (ADMIN, f"/api/instances?q={number}"),
        "search_case_day": (ADMIN, f"/api/instances?q={number.rsplit('-', 1)[0]}"),
        "sla_month": (ADMIN, f"/api/sla?{MONTH}"),
        "sla_year": (ADMIN, f"/api/sla?{YEAR}"),
    }
    for who, user in (("township", CLERK), ("centre", REVIEWER)):
        first = "/api/tasks?view=candidate&page=1"
        named[f"inbox_{who}_first"] = (user, first)
        named[f"inbox_{who}_last"] = (user, f"/api/tasks?view=candidate&page={last_page(app, callers[user], first)}")
    return named


def last_page(app, caller: Caller, first: str) -> int:
    """The inbox's last page: from its count, or past the count's cap from the unit's open unclaimed tasks."""
    page = caller.get(first)
    total = page["total"]
    if page.get("total_capped"):
        with app.app_context():
            total = db.session.scalar(
                text(
                    "SELECT count(*) FROM task t JOIN app_user u ON u.org_id = t.org_id"
                    " JOIN role_grant g ON g.user_id = u.id AND g.role = t.role"
                    " WHERE u.username = :u AND t.state = 'open' AND t.assignee_id IS NULL"
                ),
                {"u": caller.username},
            )
            db.session.remove()
    return max(1, math.ceil(total / page["per_page"]))


def timed(callers: dict[str, Caller], named: dict[str, tuple[str, str]], repeats: int) -> dict[str, float]:
    """p95 in ms of each request over `repeats` rounds, the requests interleaved, after WARM_ROUNDS to warm up."""
    seconds: dict[str, list[float]] = {name: [] for name in named}
    for round_number in range(WARM_ROUNDS + repeats):
        for name, (user, path) in named.items():
            started = time.perf_counter()
            callers[user].get(path)
            if round_number >= WARM_ROUNDS:
                seconds[name].append(time.perf_counter() - started)
    return {name: p95(values) * 1000 for name, values in seconds.items()}


def stored_p95s(app, size: int) -> dict[str, float]:
    """The p95s this database's earlier run kept for `size` (a database only grows: a run resumed with --keep
    cannot time a smaller size again)."""
    with app.app_context():
        rows = dict(db.session.execute(text("SELECT name, ms FROM bench_p95 WHERE size = :s"), {"s": size}).all())
        db.session.remove()
    return rows


def store_p95s(app, size: int, p95s: dict[str, float]) -> None:
    with app.app_context():
        db.session.execute(text("DELETE FROM bench_p95 WHERE size = :s"), {"s": size})
        rows = [{"s": size, "n": name, "ms": ms} for name, ms in p95s.items()]
        db.session.execute(text("INSERT INTO bench_p95 VALUES (:s, :n, :ms)"), rows)
        db.session.commit()
        db.session.remove()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def explain(app, callers: dict[str, Caller]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement the overdue listing and the SLA month request send about cases,
    tasks or the SLA counts, with the parameters they sent."""
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    for name, (user, path) in EXPLAINED.items():
        sent.clear()
        event.listen(Engine, "before_cursor_execute", record)
        try:
            callers[user].get(path)
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        statements = [(s, p) for s, p in sent if s.lstrip().upper().startswith(("SELECT", "WITH")) and _about_cases(s)]
        with app.app_context():
            connection = db.session.connection()
            for number, (statement, parameters) in enumerate(statements, 1):
                print(f"--- explain {name} {number}/{len(statements)}: {path}")
                print(statement)
                plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print("\n".join(row[0] for row in plan))
            db.session.remove()


def _about_cases(statement: str) -> bool:
    return any(f" {table}" in statement for table in ("case_instance", "task", "sla_", "case_scope"))


def engine_lines(url: str, triples: int, seconds: float) -> None:
    """bench/engine.py's own run, its lines printed as they are."""
    command = [
        sys.executable,
        str(ROOT / "bench" / "engine.py"),
        str(triples),
        "--served-db",
        url,
        "--served-seconds",
        str(seconds),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "LOG_LEVEL": "WARNING"})
    assert done.returncode == 0, done.stderr[-2000:]
    for line in done.stdout.splitlines():
        if "=" in line:
            print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="15000,150000,1500000", help="cases at each size, comma-separated")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the overdue listing and SLA month")
    parser.add_argument(
        "--keep", action="store_true", help="resume on the existing bench database: sizes timed before are read back"
    )
    parser.add_argument("--database", help="PostgreSQL URL (default yibao_scale on DATABASE_URL's server)")
    parser.add_argument("--bytes-cases", type=int, default=500, help="cases a batch of the bytes measure")
    parser.add_argument("--timer-cases", type=int, default=20)
    parser.add_argument("--engine-triples", type=int, default=30)
    parser.add_argument("--served-seconds", type=float, default=60.0)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    url = args.database or pgdb.named("yibao_scale")
    app, secret = prepared(url, args.keep)
    scale_data.build_templates(app, secret)
    gc.freeze()  # as wsgi.py does once the app is built
    clock.freeze(scale_data.NOW)
    client = app.test_client(use_cookies=False)
    callers = {user: Caller(client, user) for user in (ADMIN, CLERK, REVIEWER)}
    p95s = {}
    for size in sizes:
        p95s[size] = stored_p95s(app, size) if args.keep else {}
        if p95s[size]:
            print(f"size={label(size)} (timed before on this database)")
        else:
            started = time.monotonic()
            scale_data.grow(app, size)
            built = time.monotonic() - started
            p95s[size] = timed(callers, requests_at(app, callers), args.repeats)
            store_p95s(app, size, p95s[size])
            counts = scale_side.counts(app, scale_data.NOW)
            print(f"size={label(size)} built_s={built:.0f} " + " ".join(f"{k}={v}" for k, v in counts.items()))
        print(" ".join(f"p95_ms_{name}={ms:.1f}" for name, ms in p95s[size].items()), flush=True)
    small, large = p95s[sizes[0]], p95s[sizes[-1]]
    for name in large:
        print(f"ratio_{name}={large[name] / small[name]:.2f}")
    for name, ms in large.items():
        print(f"p95_ms_{name}_{label(sizes[-1])}={ms:.1f}")
    over = {who: large[f"inbox_{who}_last"] / large[f"inbox_{who}_first"] for who in ("township", "centre")}
    print(" ".join(f"inbox_last_over_first_{who}={ratio:.2f}" for who, ratio in over.items()))
    print(f"inbox_last_over_first={max(over.values()):.2f}")
    if args.explain:
        explain(app, callers)
    clock.thaw()
    bytes_per_case = scale_side.bytes_per_concluded_case(url + "_bytes", args.bytes_cases)
    print(f"bytes_per_concluded_case={bytes_per_case:.0f}", flush=True)
    print(f"timer_lateness_p95_s={scale_side.timer_lateness_p95(url + '_timers', args.timer_cases):.3f}", flush=True)
    engine_lines(url + "_served", args.engine_triples, args.served_seconds)


if __name__ == "__main__":
    main()
