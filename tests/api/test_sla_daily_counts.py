"""The SLA counts (`sla_count`, per day and per month) kept as steps happen agree with the raw rows after a seeded random walk of the
clerks' work — 受理 of 门诊费用报销 at two villages and of 异地安置备案 with a material missing at 曲江镇, reviews
approved and rejected, 一次性告知 and 补正, 补正 periods that pass (不予受理), the timers' 即将超期 and 超期 with the
催办 they open answered, 挂起/恢复 and 终止 by the administrator — over two months; and 时效统计/考核 (GET /api/sla) read from them
the same figures as from the counts rebuilt from the raw rows (`flask sla rebuild`), for several periods and scopes.
"""

import os
import random
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from engine.cases import tallies
from engine.catalogue.flows import catalog
from engine.core.clock import SHANGHAI, clock
from engine.core.models import CaseInstance, OpenTaskCount, OrgUnit, SlaCount
from engine.core.uow import unit_of_work
from engine.reporting import daily, rebuild
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import ADMIN, ALL_MATERIALS, IN_PERSON, PAYOUT, TASK_DATA, TOWNSHIP, open_counts_of, settle

pytestmark = pytest.mark.usefixtures("fresh")

VILLAGES = {"360981104201": "qujiangcun", "360981104202": "xinzhuang"}
STAFF = (
    "qujiangcun.village_agent",
    "xinzhuang.village_agent",
    "qujiang.township_clerk",
    "fc-centre.centre_reviewer",
    "fc-centre.centre_payer",
    "fc-centre.supervisor",
    "qujiang.supervisor",
)
FILING_ITEM = "fc-t-05"  # 异地安置退休人员备案 at the township window; 补正 within 30 natural days
COPY = "本人有效身份证件或社会保障卡复印件"
FILING = {
    "filing_type": "异地安置退休人员",
    "destination_province": "广东省",
    "destination_city": "深圳市",
    "start_date": "2026-11-02",
}
REJECT = {"decision": "reject", "opinion": "材料不符合报销条件", "reason": "发票不属于报销范围"}
START = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)
STEPS = 150


def _accept(as_user, chance: random.Random) -> None:
    if chance.random() < 0.6:
        code = chance.choice(list(VILLAGES))
        body = {
            "item": "fc-v-08",
            "org": code,
            "applicant": applicant(),
            "materials": ALL_MATERIALS,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        }
        caller = as_user(f"{VILLAGES[code]}.village_agent")
    else:
        materials = [m.name for m in catalog().get(FILING_ITEM).materials if m.name != COPY]
        body = {"item": FILING_ITEM, "org": TOWNSHIP, "applicant": applicant(), "materials": materials}
        body["details"] = FILING
        caller = as_user("qujiang.township_clerk")
    response = caller.post("/api/instances", json=body)
    assert response.status_code == 201, response.get_json()


def _data(chance: random.Random, task: dict) -> dict:
    """What a clerk enters on the task's form: reviews approve or reject at random."""
    key = task["form_key"]
    if key == "review":
        return REJECT if chance.random() < 0.3 else TASK_DATA["review"]
    fixed = {
        "missing_materials_notice": {"missing": [COPY]},
        "supplement": {"received": [COPY]},
        "handover": {"method": "系统流转"},
        "payout": PAYOUT,
        "collection": IN_PERSON,
    }
    if key in fixed:
        return fixed[key]
    if key in TASK_DATA:
        return TASK_DATA[key]
    schema = task["form_schema"]
    return {name: schema["properties"][name].get("enum", ["已督促办理"])[0] for name in schema.get("required", [])}


def _work(as_user, chance: random.Random) -> None:
    """One of the tasks open to the staff, claimed and completed by one who may (a 补正 sometimes left to lapse)."""
    open_to = [
        (caller, listed["id"])
        for caller in map(as_user, STAFF)
        for listed in caller.get("/api/tasks?view=candidate&per_page=200").get_json()["items"]
    ]
    if not open_to:
        return
    caller, task_id = chance.choice(open_to)
    task = caller.get(f"/api/tasks/{task_id}").get_json()
    if task["form_key"] == "supplement" and chance.random() < 0.7:
        return  # the applicant never comes back: the 补正 period will pass
    assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    data = _data(chance, task)
    response = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()
    if task["title"] == "医保中心复核" and data["decision"] == "approve":
        settle(as_user, {"case_no": task["case_no"]})


def _administer(app, as_user, chance: random.Random) -> None:
    """终止 a running case, or 挂起 one and 恢复 it at a later act."""
    with app.app_context():
        cases = db.session.execute(select(CaseInstance.id, CaseInstance.status).order_by(CaseInstance.id)).all()
        db.session.remove()
    suspended = [case_id for case_id, status in cases if status == "suspended"]
    running = [case_id for case_id, status in cases if status == "running"]
    if suspended:
        action, case_id = "resume", suspended[0]
    elif running:
        action, case_id = chance.choice(("terminate", "suspend")), chance.choice(running)
    else:
        return
    response = as_user(ADMIN).post(f"/api/admin/instances/{case_id}/{action}", json={"reason": "申请人要求"})
    assert response.status_code == 200, response.get_json()


def _sweep(app, instant: datetime) -> None:
    result = app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", instant.isoformat()])
    assert result.exit_code == 0, result.output


def walk(app, as_user, seed: int, after_act=None) -> None:
    """STEPS random acts of staff over about two months, the clock moving on and the timers swept between them;
    `after_act(number)` is called after each act."""
    chance = random.Random(seed)
    now = START
    for number in range(STEPS):
        now += timedelta(hours=chance.choice((1, 2, 3, 5, 22, 70)))
        _sweep(app, now)
        clock.freeze(now)
        act = chance.random()
        if act < 0.3:
            _accept(as_user, chance)
        elif act < 0.93:
            _work(as_user, chance)
        else:
            _administer(app, as_user, chance)
        if after_act is not None:
            after_act(number)
    _sweep(app, now + timedelta(days=40))  # every 补正 left open lapses: 不予受理
    clock.freeze(now + timedelta(days=40))


QUERIES = (
    "",
    "from=2026-10-01&to=2026-10-31",
    "from=2026-11-01&to=2026-11-30",
    "from=2026-10-20&to=2026-12-31",
    "from=2026-10-01&to=2027-03-31&org=360981104",
    "from=2026-10-01&to=2027-03-31&org=360981104201",
    "from=2026-10-01&to=2027-03-31&item=fc-v-08",
    f"from=2026-10-01&to=2027-03-31&item={FILING_ITEM}&org=360981104",
)


def reports(as_user) -> dict[str, dict]:
    figures = {}
    for query in QUERIES:
        response = as_user(ADMIN).get(f"/api/sla?{query}")
        assert response.status_code == 200, response.get_json()
        figures[query] = response.get_json()
    return figures


@pytest.mark.parametrize("seed", (16, 2026))
def test_daily_counts_agree_with_the_raw_rows_after_a_random_walk(app, as_user, seed):
    seen_open: list[int] = []

    def open_counts_agree(number: int) -> None:
        if number % 10 == 9:
            stored_open, raw_open = open_counts_of(app)
            assert stored_open == raw_open, number
            seen_open.append(sum(raw_open.values()))

    walk(app, as_user, seed, open_counts_agree)
    with app.app_context():
        stored, raw = rebuild.stored_rows(db.session), rebuild.raw_rows(db.session)
        statuses = set(db.session.scalars(select(CaseInstance.status)))
        db.session.remove()
    assert stored == raw
    stored_open, raw_open = open_counts_of(app)
    assert stored_open == raw_open and max(seen_open) > 5, seen_open
    assert_shared_reads_sum_as_sql_does(app)
    counted = {name for counts in raw.values() for name in counts}
    assert {key[0] for key in raw} == {"day", "month"}
    assert {"closed_on_time", "stage_late", "approved", "rejected", "supplement", "not_accepted"} <= counted
    assert {"concluded", "not_accepted"} <= statuses
    assert app.test_cli_runner().invoke(args=["sla", "check"]).exit_code == 0

    from_steps = reports(as_user)
    assert from_steps[""]["concluded"]["total"] > 0 and from_steps[""]["stages"] and from_steps[""]["overdue_tasks"]
    with app.app_context():  # as a database from before the tables: the counts come only from the rebuild
        db.session.execute(delete(SlaCount))
        db.session.execute(delete(OpenTaskCount))
        db.session.commit()
    rebuilt = app.test_cli_runner().invoke(args=["sla", "rebuild"])
    assert rebuilt.exit_code == 0 and f"{len(raw)} 行" in rebuilt.output
    assert reports(as_user) == from_steps


def assert_shared_reads_sum_as_sql_does(app) -> None:
    """`daily.sums` inside `read_once` (one read per unit × item × stage, summed in Python) gives what its SQL
    gives, for each grouping the reports ask for, with and without an item, over months and partial months."""
    periods = ((None, None), (date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 10, 20), date(2026, 12, 31)))
    groupings = ((), ("org_id",), ("item_id",), ("org_id", "stage"))
    asked = [
        (counters, {"first": first, "last": last, "item": item, "by": by})
        for counters in (tallies.CLOSED, tallies.STAGES, ("approved", "rejected"), ("supplement", "not_accepted"))
        for first, last in periods
        for item in (None, "fc-v-08")
        for by in groupings
    ]
    with app.app_context():
        direct = [daily.sums(db.session, counters, **kwargs) for counters, kwargs in asked]
        with daily.read_once(db.session):
            shared = [daily.sums(db.session, counters, **kwargs) for counters, kwargs in asked]
        db.session.remove()
    assert shared == direct
    assert sum(1 for found in direct if found) > len(asked) / 2


def test_check_names_a_wrong_row_and_rebuild_since_a_day_repairs_from_its_month(app, as_user):
    walk(app, as_user, 7)
    with app.app_context():
        days = sorted({key[1] for key in rebuild.raw_rows(db.session) if key[0] == "day"})
        early, late = days[0], days[-1]
        assert early.replace(day=1) < late.replace(day=1)
        wrong = SlaCount.__table__.update().where(SlaCount.span == "day", SlaCount.day.in_((early, late)))
        db.session.execute(wrong.values(closed=99))
        db.session.commit()
    checked = app.test_cli_runner().invoke(args=["sla", "check"])
    assert checked.exit_code == 1 and f"日 {late.isoformat()}" in checked.output and "汇总" in checked.output
    repaired = app.test_cli_runner().invoke(args=["sla", "rebuild", "--since", late.isoformat()])
    assert repaired.exit_code == 0 and late.replace(day=1).isoformat() in repaired.output
    with app.app_context():
        stored, raw = rebuild.stored_rows(db.session), rebuild.raw_rows(db.session)
        db.session.remove()
    assert {key for key in stored.keys() | raw.keys() if stored.get(key) != raw.get(key)} == {
        key for key in raw if key[:2] == ("day", early)
    }
    refused = app.test_cli_runner().invoke(args=["sla", "rebuild", "--since", "2026-13-01"])
    assert refused.exit_code == 2 and "不是日期" in refused.output


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
def test_concurrent_steps_add_to_one_row_without_losing_a_count(app):
    """Eight threads, each its own session and unit of work, add to the same day's row at once (PostgreSQL's
    INSERT … ON CONFLICT DO UPDATE under concurrency; SQLite serialises the writers)."""
    with app.app_context():
        org_id = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == TOWNSHIP))
        db.session.remove()
    key = (date(2026, 11, 2), org_id, "fc-v-08", "乡镇初审")
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def add() -> None:
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(5):
                    with unit_of_work(db.session):
                        tallies.write(db.session, {key: {"stage_done": 1, "stage_working_days": 2}})
                db.session.remove()
        except BaseException as exc:  # reported below, with the thread's error
            failures.append(exc)

    threads = [threading.Thread(target=add) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    with app.app_context():
        rows = db.session.execute(select(SlaCount.stage_done, SlaCount.stage_working_days)).all()
    assert sorted(tuple(row) for row in rows) == [(40, 80), (40, 80)]  # the day's row and the month's
