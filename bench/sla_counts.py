"""The SLA figures' queries over `sla_count` at a 地级市's 15K and 1.5M cases a year, side by side in one run.

Two PostgreSQL databases (`<name>_15k`, `<name>_1500k`, dropped and migrated afresh from BENCH_DATABASE_URL) get a
city's 841 units (20 counties with a centre each, 200 townships, 600 villages) and a year of counts, built by
set-based SQL the way the steps would leave them: each day, each unit's (item, stage) pairs that saw work —
at 1.5M cases a year nearly all of them (≈5,000 rows a day), at 15K a year as few as that many cases touch.
Then the figures of the whole city and of one county are summed (`engine.reporting.daily.sums`, as 时效统计 and
考核 do) for a month, a year and a period of partial months, and each is printed as `ratio_sla_<name>=<p95 at
1.5M / p95 at 15K>` with `p95_ms_sla_<name>_1500k=`; then EXPLAIN ANALYZE of the city's month query at 1.5M.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_sla python bench/sla_counts.py

BENCH_SLA_REUSE=1 measures the databases an earlier run built (their build takes minutes).
"""

import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its calendar.py would shadow the standard library's

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine.cases import tallies  # noqa: E402
from engine.core.models import OrgUnit  # noqa: E402
from engine.reporting import daily  # noqa: E402
from server.app import create_app  # noqa: E402

SIZES = {"15k": 15_000, "1500k": 1_500_000}
ITEMS = ("fc-v-08", "fc-v-04", "fc-v-11")
STAGES = {
    "village": ("", "出件"),
    "township": ("乡镇初审", "移交医保中心"),
    "centre": ("医保中心复核", "医保结算", "拨付"),
}
PERIODS = {
    "month": (date(2026, 11, 1), date(2026, 11, 30)),
    "year": (date(2026, 1, 1), date(2026, 12, 31)),
    "partial_months": (date(2026, 10, 15), date(2026, 12, 14)),
}
RUNS = 25


def _units(connection) -> None:
    """City B0, counties B1..B20 each with a centre, ten townships a county, three villages a township."""

    def run(sql: str) -> None:
        connection.execute(text(sql))

    run("INSERT INTO org_unit (code, name, kind) VALUES ('B0', '基准市', 'city')")
    run(
        "INSERT INTO org_unit (code, name, kind, parent_id) SELECT 'B' || c, '县' || c, 'county', "
        "(SELECT id FROM org_unit WHERE code = 'B0') FROM generate_series(1, 20) c"
    )
    run(
        "INSERT INTO org_unit (code, name, kind, parent_id) SELECT code || '-YB', name || '医保中心', 'centre', id "
        "FROM org_unit WHERE kind = 'county' AND code LIKE 'B%'"
    )
    run(
        "INSERT INTO org_unit (code, name, kind, parent_id) SELECT code || '-' || t, name || '镇' || t, 'township', id "
        "FROM org_unit, generate_series(1, 10) t WHERE kind = 'county' AND code LIKE 'B%'"
    )
    run(
        "INSERT INTO org_unit (code, name, kind, parent_id) SELECT code || '-' || v, name || '村' || v, 'village', id "
        "FROM org_unit, generate_series(1, 3) v WHERE kind = 'township' AND code LIKE 'B%'"
    )


def _counts(connection, cases: int) -> None:
    """A year of day rows: a unit's (item, stage) pair has work on a day with the chance that `cases` a year,
    spread over the pairs of its kind, give it some; then the month rows summed from them."""
    per_day = cases / 365
    for kind, stages in STAGES.items():
        pairs = connection.scalar(
            text("SELECT count(*) FROM org_unit WHERE kind = :kind AND code LIKE 'B%'"), {"kind": kind}
        )
        pairs *= len(ITEMS)
        chance = min(1.0, per_day / pairs)
        done = f"greatest(1, round({per_day} / {pairs} * (0.5 + random())))::int"
        connection.execute(
            text(
                "INSERT INTO sla_count (span, day, org_id, item_id, stage, closed, closed_on_time, closed_late,"
                " stage_done, stage_on_time, stage_late, stage_working_days, approved, rejected)"
                f" SELECT 'day', d, u.id, i, s, n * (s = '')::int, (n * 0.9)::int * (s = '')::int,"
                f" (n - (n * 0.9)::int) * (s = '')::int, n * (s <> '')::int, (n * 0.8)::int * (s <> '')::int,"
                f" (n - (n * 0.8)::int) * (s <> '')::int, 3 * n * (s <> '')::int, (n * 0.9)::int, n - (n * 0.9)::int"
                f" FROM (SELECT d::date AS d, u.id AS uid, i, s, {done} AS n"
                "   FROM generate_series('2026-01-01'::date, '2026-12-31'::date, '1 day') d, org_unit u,"
                "   unnest(CAST(:items AS text[])) i, unnest(CAST(:stages AS text[])) s"
                "   WHERE u.kind = :kind AND u.code LIKE 'B%' AND random() < :chance) g"
                " JOIN org_unit u ON u.id = g.uid"
            ),
            {"items": list(ITEMS), "stages": list(stages), "kind": kind, "chance": chance},
        )
    counters = ", ".join(name for name in tallies.COUNTS)
    summed = ", ".join(f"sum({name})" for name in tallies.COUNTS)
    connection.execute(
        text(
            f"INSERT INTO sla_count (span, day, org_id, item_id, stage, {counters}) SELECT 'month',"
            f" date_trunc('month', day)::date, org_id, item_id, stage, {summed} FROM sla_count WHERE span = 'day'"
            " GROUP BY 2, 3, 4, 5"
        )
    )
    connection.execute(text("ANALYZE sla_count"))


def _database(url, name: str) -> str:
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def build(url, size: str, cases: int) -> str:
    target = _database(url, f"{url.database}_{size}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": target, "DEPLOY_ON_START": False, "TESTING": True})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    engine = create_engine(target)
    with engine.begin() as connection:
        _units(connection)
        _counts(connection, cases)
    engine.dispose()
    return target


def _queries(session: Session, first: date, last: date, org_ids: list[int]):
    return (
        lambda: daily.sums(session, tallies.CLOSED, first=first, last=last, org_ids=org_ids, by=("org_id",)),
        lambda: daily.sums(session, tallies.STAGES, first=first, last=last, org_ids=org_ids, by=("org_id", "stage")),
    )


def measure(target: str) -> dict[str, float]:
    """p95 in ms of each period's two sums (ended cases per unit, stages per unit and stage), city and county."""
    engine = create_engine(target)
    found: dict[str, float] = {}
    with Session(engine) as session:
        city = session.scalars(select(OrgUnit.id).where(OrgUnit.code.like("B%"))).all()
        county = session.scalars(select(OrgUnit.id).where((OrgUnit.code == "B7") | OrgUnit.code.like("B7-%"))).all()
        for scope, org_ids in (("city", list(city)), ("county", list(county))):
            for period, (first, last) in PERIODS.items():
                timings = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    for query in _queries(session, first, last, org_ids):
                        query()
                    timings.append((time.perf_counter() - started) * 1000)
                found[f"{scope}_{period}"] = statistics.quantiles(timings, n=20)[-1]
        rows = session.execute(text("SELECT span, count(*) FROM sla_count GROUP BY span ORDER BY span")).all()
        print(f"# {make_url(target).database}: rows " + ", ".join(f"{span} {n:,}" for span, n in rows))
    engine.dispose()
    return found


def explain(target: str) -> None:
    """EXPLAIN ANALYZE of the city's sums for each period at 1.5M (the unit list cut short in the print)."""
    engine = create_engine(target)
    with Session(engine) as session:
        city = list(session.scalars(select(OrgUnit.id).where(OrgUnit.code.like("B%"))).all())
        for period, (first, last) in PERIODS.items():
            for counters, by in ((tallies.CLOSED, ("org_id",)), (tallies.STAGES, ("org_id", "stage"))):
                statement = daily.statement(counters, first=first, last=last, org_ids=city, item=None, by=by)
                compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
                print(f"# EXPLAIN ANALYZE, {period}, city: {counters[0]}… by {', '.join(by)}")
                for (line,) in session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")):
                    print("#   " + (line if len(line) < 160 else line[:157] + "..."))
    engine.dispose()


def main() -> None:
    raw = os.environ.get("BENCH_DATABASE_URL", "")
    if not raw.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must name a PostgreSQL database (its _15k and _1500k siblings are rebuilt)")
    url = make_url(raw)
    if os.environ.get("BENCH_SLA_REUSE"):  # measure the databases an earlier run built
        targets = {size: url.set(database=f"{url.database}_{size}").render_as_string(False) for size in SIZES}
    else:
        targets = {size: build(url, size, cases) for size, cases in SIZES.items()}
    results = {size: measure(target) for size, target in targets.items()}
    for name in results["15k"]:
        small, large = results["15k"][name], results["1500k"][name]
        print(f"ratio_sla_{name}={large / small:.2f}")
        print(f"p95_ms_sla_{name}_15k={small:.1f} p95_ms_sla_{name}_1500k={large:.1f}")
    explain(targets["1500k"])


if __name__ == "__main__":
    main()
