"""bench/scale.py end to end at a tiny size on PostgreSQL: it prints every figure it promises, and its EXPLAIN
ANALYZE of the overdue listing and of the SLA month. The numbers are the benchmark's business, not a test's."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import pgdb

ROOT = Path(__file__).resolve().parents[2]
TIMED = [
    "instances",
    "instances_overdue",
    "township_listing",
    "search_id_number",
    "search_name",
    "search_case_no",
    "search_case_day",
    "sla_month",
    "sla_year",
    "inbox_township_first",
    "inbox_township_last",
    "inbox_centre_first",
    "inbox_centre_last",
]
FIGURES = [
    "inbox_last_over_first",
    "bytes_per_concluded_case",
    "timer_lateness_p95_s",
    "overhead_service",
    "overhead_http",
    "bare_cases_per_s",
    "http_cases_per_s_2workers_4clients",
]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"),
]


def test_the_scale_bench_prints_every_figure_at_its_smallest_size():
    url = pgdb.named(pgdb.database_of(os.environ["DATABASE_URL"]) + "_bench_scale")
    command = [sys.executable, "bench/scale.py", "--sizes", "100,300", "--repeats", "1", "--explain"]
    command += ["--database", url, "--bytes-cases", "2", "--timer-cases", "2"]
    command += ["--engine-triples", "1", "--served-seconds", "2"]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, done.stderr[-3000:]
        printed = dict(re.findall(r"(\w[\w.]*)=([-\d.]+)", done.stdout))
        expected = [f"ratio_{name}" for name in TIMED] + [f"p95_ms_{name}_300" for name in TIMED] + FIGURES
        assert [key for key in expected if key not in printed] == []
        assert float(printed["timer_lateness_p95_s"]) >= 0 and int(printed["served_errors"]) == 0
        sections = done.stdout.split("--- explain ")[1:]
        assert {section.split(" ", 1)[0] for section in sections} == {"instances_overdue", "sla_month"}
        assert all("actual time=" in section for section in sections)
        with_cases = [s for s in sections if s.startswith("instances_overdue") and "FROM case_instance" in s]
        assert with_cases and all("Execution Time" in s for s in with_cases)
    finally:
        for suffix in ("", "_bytes", "_timers", "_served"):
            pgdb.drop(url + suffix)
