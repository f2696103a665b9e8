"""Deadline arithmetic: our indexed calendar against workalendar's day-by-day China().add_working_days.

Both count the same way (the N-th working day after the start, the start itself not counted), on 100,000
random (date, N) pairs whose whole span lies in 2022–2023, the years both hold official schedules.
Run as `python bench/calendar.py`; the last line is `speedup_vs_workalendar=<ratio>`.
"""

import sys
from pathlib import Path

# This script is named calendar.py as the issue asks: keep its own folder off the import path so that
# `import calendar` inside the standard library and workalendar finds the real module, not this file.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import random  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from datetime import date, timedelta  # noqa: E402

from workalendar.asia import China  # noqa: E402

from engine.workcalendar import default_calendar  # noqa: E402

PAIRS = 100_000
MAX_N = 60
SEED = 20260930
FIRST, LAST = date(2022, 1, 1), date(2023, 12, 31)


def random_pairs(calendar) -> list[tuple[date, int]]:
    """Uniform (start, N) pairs, redrawn until the due date also falls in 2022–2023."""
    rng = random.Random(SEED)
    span = (LAST - FIRST).days
    pairs = []
    while len(pairs) < PAIRS:
        start, n = FIRST + timedelta(days=rng.randrange(span + 1)), rng.randint(0, MAX_N)
        if calendar.add_working_days(start, n) <= LAST:
            pairs.append((start, n))
    return pairs


def timed(function, pairs) -> tuple[list[date], float]:
    began = time.perf_counter()
    results = [function(start, n) for start, n in pairs]
    return results, time.perf_counter() - began


def main() -> None:
    ours = default_calendar()
    pairs = random_pairs(ours)
    theirs = China()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # China warns on every year it is asked about
        theirs.add_working_days(FIRST, 1)
        expected, their_seconds = timed(theirs.add_working_days, pairs)
    ours.due(FIRST, 1)  # read the data files and build the indexes before timing, as in a running server
    got, our_seconds = timed(lambda start, n: ours.due(start, n).due_date, pairs)
    mismatches = [(pair, mine, theirs) for pair, mine, theirs in zip(pairs, got, expected) if mine != theirs]
    assert not mismatches, f"{len(mismatches)} pairs differ, e.g. {mismatches[:3]}"
    print(f"pairs={PAIRS} seed={SEED} max_n={MAX_N} identical=True")
    print(f"workalendar_seconds={their_seconds:.3f} ours_seconds={our_seconds:.3f}")
    print(f"workalendar_us_per_call={their_seconds / PAIRS * 1e6:.1f} ours_us_per_call={our_seconds / PAIRS * 1e6:.2f}")
    print(f"speedup_vs_workalendar={their_seconds / our_seconds:.1f}")


if __name__ == "__main__":
    main()
