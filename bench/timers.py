"""Cost of one timer sweep as the number of waiting timers grows, measured side by side in one run.

Two databases, each with 100 due timers (real cases whose 即将超期 timer is due), plus cases whose
timers wait years ahead: 1,000 waiting timers in all in the first, 100,000 in the second. One sweep fires the
100 due timers in each; since the sweep reads only due rows through the (state, fire_at) index,
its cost should not grow with the waiting ones. Prints `sweep_cost_ratio=<t(100,000) / t(1,000)>`.

    python bench/timers.py
"""

import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its calendar.py would shadow the standard library's

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from engine.bpmn import deployment  # noqa: E402
from engine.cases import acceptance  # noqa: E402
from engine.catalogue.flows import Flow  # noqa: E402
from engine.core.clock import SHANGHAI, clock  # noqa: E402
from engine.core.models import CaseInstance, Timer, User  # noqa: E402
from engine.org import accounts  # noqa: E402
from engine.org.permissions import SystemActor  # noqa: E402
from engine.timers import sweep  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from tests.factories import applicant  # noqa: E402

PROBE = ROOT / "tests" / "fixtures" / "bpmn" / "deadline_probe.bpmn"
DUE = 100
ACCEPTED = datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)
SWEEP_AT = datetime(2026, 11, 2, 9, tzinfo=SHANGHAI)


def prepared(tmp: str, total: int):
    """An app whose database holds DUE due timers and total - DUE far-off waiting ones."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/timers-{total}.db", "DEPLOY_ON_START": False})
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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small, large = prepared(tmp, 1_000), prepared(tmp, 100_000)
        t_small, fired_small = timed_sweep(small)
        t_large, fired_large = timed_sweep(large)
    assert fired_small == fired_large == DUE, (fired_small, fired_large)
    print(f"waiting=1000 due={DUE} sweep_s={t_small:.3f}")
    print(f"waiting=100000 due={DUE} sweep_s={t_large:.3f}")
    print(f"sweep_cost_ratio={t_large / t_small:.2f}")


if __name__ == "__main__":
    main()
