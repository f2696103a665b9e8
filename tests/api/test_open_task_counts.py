"""The open tasks' counts (`open_task_count`, engine/tasks/open_counts.py) follow a task through every writer of
its state or limit — opened, completed, 挂起 and 恢复 (the limit put off), 终止, a holiday notice moving the limit —
always equal to the counts of the task rows, and 时效统计's open tasks past their limit are read from them; a unit
of work writes its changes as it commits, and none when it rolls back."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine import workcalendar
from engine.core.clock import clock
from engine.core.models import OrgUnit
from engine.core.uow import unit_of_work
from engine.reporting import rebuild
from engine.tasks import open_counts
from server.extensions import db
from tests.scenarios import (
    ADMIN,
    APPROVE,
    NOTICE_2027,
    TOWNSHIP,
    accept_at_instant,
    at,
    open_counts_of,
    open_tasks,
    start_at_village,
    work,
)

pytestmark = pytest.mark.usefixtures("fresh")
TOWNSHIP_CLERK = "qujiang.township_clerk"
ITEM = "fc-v-08"


def counts(app) -> dict:
    """The kept counts, checked against the task rows' own."""
    stored, raw = open_counts_of(app)
    assert stored == raw
    return stored


def unit_id(app, code: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == code))
        db.session.remove()
    return found


def due_of(as_user, case, title: str) -> datetime:
    (task,) = [t for t in open_tasks(as_user, case) if t["title"] == title]
    return datetime.fromisoformat(task["due_at"])


def work_every(caller, title: str, data: dict) -> None:
    """Claim and complete every task titled `title` that `caller` may claim."""
    for task in caller.get("/api/tasks?view=candidate").get_json()["items"]:
        if task["title"] == title:
            assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
            done = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
            assert done.status_code == 200, done.get_json()


def test_a_task_is_counted_at_its_limit_while_open_and_read_by_the_sla_figures(app, as_user):
    clock.freeze(at("2026-11-02T10:00:00"))  # Monday
    case = start_at_village(as_user)
    township = unit_id(app, TOWNSHIP)
    first_due = due_of(as_user, case, "乡镇初审")
    assert counts(app) == {(first_due, township, "乡镇初审", ITEM): 1}

    clock.freeze(at("2026-11-04T10:00:00"))
    admin = as_user(ADMIN)
    assert admin.post(f"/api/admin/instances/{case['id']}/suspend", json={"reason": "暂缓"}).status_code == 200
    assert counts(app) == {}  # a held task is not open
    clock.freeze(at("2026-11-09T10:00:00"))
    assert admin.post(f"/api/admin/instances/{case['id']}/resume").status_code == 200
    put_off = due_of(as_user, case, "乡镇初审")
    assert put_off > first_due
    assert counts(app) == {(put_off, township, "乡镇初审", ITEM): 1}

    clerk = as_user(TOWNSHIP_CLERK)
    work(clerk, "乡镇初审", APPROVE)
    handover_due = due_of(as_user, case, "移交医保中心")
    assert counts(app) == {(handover_due, township, "移交医保中心", ITEM): 1}

    clock.freeze(handover_due + timedelta(hours=1))
    figures = admin.get("/api/sla").get_json()
    assert figures["overdue_tasks"] == [
        {
            "stage": "移交医保中心",
            "org": {"code": TOWNSHIP, "name": "曲江镇"},
            "count": 1,
            "earliest_due_at": handover_due.isoformat(),
        }
    ]
    clock.freeze(handover_due - timedelta(hours=1))
    assert admin.get("/api/sla").get_json()["overdue_tasks"] == []  # not yet past its limit

    assert admin.post(f"/api/admin/instances/{case['id']}/terminate", json={"reason": "申请人撤回"}).status_code == 200
    assert counts(app) == {}  # an ended case leaves no row, not a row of zero


def test_two_tasks_of_one_limit_share_a_row_and_a_holiday_notice_moves_it(app, as_user, writable_holidays, tmp_path):
    cases = [
        accept_at_instant(as_user, "2026-12-10T10:00:00", item="fc-t-10", org=TOWNSHIP, user=TOWNSHIP_CLERK)
        for _ in range(2)
    ]
    provisional_due = workcalendar.default_calendar().due(at("2026-12-10T10:00:00"), 30).due_at
    # Two working days before the case limit: 复核's 5-day limit is capped at the case's.
    clock.freeze(at(f"{(provisional_due - timedelta(days=3)).date().isoformat()}T10:00:00"))
    clerk = as_user(TOWNSHIP_CLERK)
    work_every(clerk, "乡镇初审", APPROVE)
    work_every(clerk, "移交医保中心", {"method": "系统流转"})
    assert {due_of(as_user, case, "医保中心复核") for case in cases} == {provisional_due}
    centre = unit_id(app, "360981-YB")
    assert counts(app) == {(provisional_due, centre, "医保中心复核", "fc-t-10"): 2}

    notice = tmp_path / "2027.toml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calendar", "load", str(notice)])
    assert result.exit_code == 0, result.output
    recomputed_due = workcalendar.default_calendar().due(at("2026-12-10T10:00:00"), 30).due_at
    assert recomputed_due != provisional_due
    assert {due_of(as_user, case, "医保中心复核") for case in cases} == {recomputed_due}
    assert counts(app) == {(recomputed_due, centre, "医保中心复核", "fc-t-10"): 2}


def test_a_unit_of_work_counts_as_it_commits_and_not_at_all_when_it_rolls_back(app):
    limit = at("2026-11-20T00:00:00")
    with app.app_context():
        township = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == TOWNSHIP))
        task = (limit, township, "乡镇初审")
        with pytest.raises(RuntimeError), unit_of_work(db.session):
            open_counts.change(db.session, ITEM, opened=[task])
            raise RuntimeError("the step failed")
        with unit_of_work(db.session):  # the next unit of work carries nothing of the failed one
            db.session.execute(select(OrgUnit.id).limit(1))
        assert rebuild.stored_open_counts(db.session) == {}
        with unit_of_work(db.session):
            open_counts.change(db.session, ITEM, opened=[task, task, (None, township, "乡镇初审")])
            open_counts.change(db.session, ITEM, closed=[task])
            assert rebuild.stored_open_counts(db.session) == {}  # written as the unit of work commits
        assert rebuild.stored_open_counts(db.session) == {(limit, township, "乡镇初审", ITEM): 1}
        with unit_of_work(db.session):
            open_counts.change(db.session, ITEM, closed=[task])
        assert rebuild.stored_open_counts(db.session) == {}  # the row at zero is gone
        db.session.remove()
