"""Listings read indexed columns (issue 16 point 1): a case's next deadline and the units it is listed under.

The old predicates — overdue as `due_at <= now OR EXISTS(open task past due)`, scopes as `OR id IN (tasks of the
units)` — are written here as the oracle: on a random mix of cases, steps, suspensions, terminations and timer
firings every caller's listing holds the same cases in the same order, and the columns follow every writer.
"""

import random
from datetime import timedelta

import pytest
from sqlalchemy import and_, exists, func, inspect, or_, select, text, true

from engine.cases import queries
from engine.cases.lifecycle import ENDED, RUNNING, TASK_OPEN, TASK_PENDING
from engine.core.clock import clock
from engine.core.models import CaseInstance, CaseScope, CaseScopeDeadline, OpenTaskCount, Task, User
from engine.org.permissions import ADMIN, scope_units
from engine.tasks import work
from server.extensions import db
from tests.factories import applicant, reimbursement_details
from tests.scenarios import ADMIN as CITY_ADMIN
from tests.scenarios import ALL_MATERIALS, APPROVE, NOTICE_2027, SYSTEM_ADMIN, TOWNSHIP, accept_at_instant, at, sweep_at

pytestmark = pytest.mark.usefixtures("fresh")

VILLAGES = {
    "qujiangcun": ("360981104201", "qujiang"),
    "xinzhuang": ("360981104202", "qujiang"),
    "xiaogangcun": ("360981106201", "xiaogang"),
}
CALLERS = (
    CITY_ADMIN,
    SYSTEM_ADMIN,
    "fuzhou.admin",
    "qujiang.township_clerk",
    "xiaogang.township_clerk",
    "qujiangcun.village_agent",
    "xiaogangcun.village_agent",
    "fc-centre.centre_reviewer",
    "qujiang.supervisor",
    "fc-centre.supervisor",
)
QUERIES = ("", "overdue=true", "status=running", "status=suspended", "overdue=true&org=360981104")


# --- the oracle: the predicates as they were read before the columns ---------------------------------------


def old_visible(user: User):
    if ADMIN in user.roles:
        units = scope_units(user)
        if units is None:
            return true()
        return or_(
            CaseInstance.org_id.in_(units), CaseInstance.id.in_(select(Task.instance_id).where(Task.org_id.in_(units)))
        )
    return or_(
        CaseInstance.org_id == user.org_id,
        CaseInstance.id.in_(select(Task.instance_id).where(Task.org_id == user.org_id)),
    )


def old_overdue(now):
    late_task = exists().where(Task.instance_id == CaseInstance.id, Task.state == TASK_OPEN, Task.due_at <= now)
    return and_(CaseInstance.status == RUNNING, or_(CaseInstance.due_at <= now, late_task))


def old_listing(username: str, query: str) -> list[str]:
    args = dict(part.split("=") for part in query.split("&") if part)
    user = db.session.scalars(select(User).where(User.username == username)).one()
    conditions = [old_visible(user)]
    if args.get("overdue") == "true":
        conditions.append(old_overdue(clock.now()))
    if "status" in args:
        conditions.append(CaseInstance.status == args["status"])
    if "org" in args:
        unit = queries.unit_by_code(db.session, args["org"])
        conditions.append(CaseInstance.org_id.in_(queries.units_at_or_below(db.session, unit)))
    if args.get("overdue") == "true":  # longest overdue first: by the earliest pending deadline, then id
        found = db.session.scalars(select(CaseInstance).where(*conditions)).all()
        return [case.case_no for case in sorted(found, key=lambda case: (expected_next_deadline(case), case.id))]
    statement = (
        select(CaseInstance.case_no).where(*conditions).order_by(CaseInstance.started_at.desc(), CaseInstance.id.desc())
    )
    return list(db.session.scalars(statement))


def expected_next_deadline(case: CaseInstance):
    if case.status in ENDED:
        return None
    dues = [case.due_at] + [
        task.due_at
        for task in db.session.scalars(select(Task).where(Task.instance_id == case.id, Task.state.in_(TASK_PENDING)))
    ]
    return min((due for due in dues if due is not None), default=None)


# --- what the API answers -------------------------------------------------------------------------------


def listed(caller, query="") -> list[str]:
    response = caller.get(f"/api/instances?per_page=200&{query}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == len(body["items"]) and body["total_capped"] is False
    return [case["case_no"] for case in body["items"]]


def assert_as_before(app, as_user):
    """Every caller's listing, under every filter, is the oracle's: same cases, same order; every case's
    next deadline is the earliest of its pending ones."""
    with app.app_context():
        expected = {(name, q): old_listing(name, q) for name in CALLERS for q in QUERIES}
        for case in db.session.scalars(select(CaseInstance)):
            assert case.next_deadline == expected_next_deadline(case), case.case_no
            running = case.next_deadline if case.status == RUNNING else None
            scope_rows = set(
                db.session.execute(
                    select(CaseScope.org_id, CaseScope.subtree).where(CaseScope.instance_id == case.id)
                ).all()
            )
            deadline_rows = db.session.execute(
                select(CaseScopeDeadline.org_id, CaseScopeDeadline.subtree, CaseScopeDeadline.deadline).where(
                    CaseScopeDeadline.instance_id == case.id
                )
            ).all()
            expected_rows = {(*row, running) for row in scope_rows} if running else set()
            assert {tuple(row) for row in deadline_rows} == expected_rows, case.case_no
        db.session.remove()
    for (name, q), cases in expected.items():
        assert listed(as_user(name), q) == cases, (name, q)
    return expected


INBOX_CALLERS = (
    "qujiang.township_clerk",
    "xiaogang.township_clerk",
    "fc-centre.centre_reviewer",
    "qujiang.supervisor",
    "fc-centre.supervisor",
)


def assert_inbox_as_before(app, as_user):
    """Each inbox, walked two tasks a page, holds the old query's tasks in its order (earliest due first, none
    last, then oldest; ties in any order); returns how many tasks each holds."""
    sizes = {}
    for name in INBOX_CALLERS:
        with app.app_context():
            user = db.session.scalars(select(User).where(User.username == name)).one()
            old = db.session.scalars(
                select(Task)
                .where(
                    Task.org_id == user.org_id,
                    Task.role.in_(user.roles),
                    Task.state == TASK_OPEN,
                    Task.assignee_id.is_(None),
                )
                .order_by(Task.due_at.is_(None), Task.due_at, Task.created_at)
            ).all()
            expected = [(task.id, task.due_at, task.created_at) for task in old]
            db.session.remove()
        walked = []
        for page in range(1, len(expected) // 2 + 2):
            body = as_user(name).get(f"/api/tasks?view=candidate&per_page=2&page={page}").get_json()
            assert body["total"] == len(expected), name
            walked += body["items"]
        assert {task["id"] for task in walked} == {task_id for task_id, _, _ in expected}, name
        keys = {task_id: (due, created) for task_id, due, created in expected}
        assert [keys[task["id"]] for task in walked] == [(due, created) for _, due, created in expected], name
        assert all(task["case_no"] for task in walked)
        sizes[name] = len(expected)
    return sizes


def start(as_user, slug: str, name: str) -> dict:
    code, _ = VILLAGES[slug]
    response = as_user(f"{slug}.village_agent").post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": code,
            "applicant": applicant(name),
            "materials": ALL_MATERIALS,
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def work_on(caller, case: dict, title: str, data: dict) -> None:
    """Claim and complete the task `title` of this case among the caller's candidates."""
    items = caller.get("/api/tasks?view=candidate&per_page=200").get_json()["items"]
    (task,) = [t for t in items if t["title"] == title and t["case_no"] == case["case_no"]]
    assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    response = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()


def test_listings_are_the_old_predicates_on_a_random_mix_of_cases(app, as_user):
    rng = random.Random(16)
    admin = as_user(CITY_ADMIN)
    cases = []
    for number in range(12):
        clock.freeze(at("2026-10-08T09:00:00") + timedelta(days=number // 2, hours=rng.randrange(8)))
        slug = rng.choice(list(VILLAGES))
        cases.append((start(as_user, slug, f"申请人{'甲乙丙丁戊己庚辛壬癸子丑'[number]}"), VILLAGES[slug][1]))
    clock.freeze(at("2026-10-20T10:00:00"))
    for case, township in cases:
        roll = rng.random()
        if roll < 0.5:
            work_on(as_user(f"{township}.township_clerk"), case, "乡镇初审", APPROVE)
            if roll < 0.25:
                work_on(as_user(f"{township}.township_clerk"), case, "移交医保中心", {"method": "系统流转"})
        elif roll < 0.65:
            assert (
                admin.post(f"/api/admin/instances/{case['id']}/suspend", json={"reason": "核实材料"}).status_code == 200
            )
        elif roll < 0.75:
            assert (
                admin.post(f"/api/admin/instances/{case['id']}/terminate", json={"reason": "申请人撤回"}).status_code
                == 200
            )
    assert_as_before(app, as_user)

    clock.freeze(at("2026-10-27T10:00:00"))
    suspended = [
        case for case, _ in cases if admin.get(f"/api/instances/{case['id']}").get_json()["status"] == "suspended"
    ]
    for case in suspended[: len(suspended) // 2 + 1]:
        assert admin.post(f"/api/admin/instances/{case['id']}/resume").status_code == 200
    assert_as_before(app, as_user)

    # Past the 20 working days of 乡镇初审 and later: 超期 timers open 催办 tasks, 超期通报 at the unit above.
    for instant in ("2026-11-06T23:00:00", "2026-11-12T09:00:00", "2026-11-20T09:00:00", "2026-12-01T09:00:00"):
        assert sweep_at(app, instant).failed == 0
        expected = assert_as_before(app, as_user)
        inboxes = assert_inbox_as_before(app, as_user)
    assert max(inboxes.values()) > 2, inboxes  # some inbox is walked over several pages
    assert expected[(CITY_ADMIN, "overdue=true")], "the mix must hold overdue cases"
    assert expected[("fc-centre.supervisor", "")], "a timer's task at a new unit lists the case there"


def test_the_next_deadline_follows_suspension_resumption_and_steps(app, as_user):
    clock.freeze(at("2026-10-12T09:00:00"))
    case = start(as_user, "qujiangcun", "张三")
    admin = as_user(CITY_ADMIN)

    def stored():
        with app.app_context():
            row = db.session.get(CaseInstance, case["id"])
            return row.next_deadline, expected_next_deadline(row)

    first, expected = stored()
    assert first == expected is not None  # 乡镇初审's 20 working days come before the case's 30
    assert admin.post(f"/api/admin/instances/{case['id']}/suspend", json={"reason": "核实"}).status_code == 200
    assert stored()[0] == first
    clock.freeze(at("2026-10-15T09:00:00"))
    assert admin.post(f"/api/admin/instances/{case['id']}/resume").status_code == 200
    moved, expected = stored()
    assert moved == expected and moved > first  # put off by the working days suspended
    work_on(as_user("qujiang.township_clerk"), case, "乡镇初审", APPROVE)
    after_step, expected = stored()
    assert after_step == expected and after_step != moved
    assert admin.post(f"/api/admin/instances/{case['id']}/terminate", json={"reason": "撤回"}).status_code == 200
    assert stored() == (None, None)


def test_the_next_deadline_follows_a_holiday_notices_recomputation(app, as_user, writable_holidays, tmp_path):
    case = accept_at_instant(
        as_user, "2026-12-10T10:00:00", item="fc-t-10", org=TOWNSHIP, user="qujiang.township_clerk"
    )
    with app.app_context():
        before = db.session.get(CaseInstance, case["id"]).next_deadline
        db.session.remove()
    notice = tmp_path / "2027.toml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calendar", "load", str(notice)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        row = db.session.get(CaseInstance, case["id"])
        assert row.next_deadline == expected_next_deadline(row) and row.next_deadline > before
        db.session.remove()
    clock.freeze(before + timedelta(minutes=1))
    assert case["case_no"] not in listed(as_user(CITY_ADMIN), "overdue=true")


def test_counts_stop_at_the_cap_and_say_so(as_user, monkeypatch):
    clock.freeze(at("2026-10-12T09:00:00"))
    for name in ("张三", "李四", "王五"):
        start(as_user, "qujiangcun", name)
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    body = as_user(CITY_ADMIN).get("/api/instances?per_page=1&page=3").get_json()
    assert (body["total"], body["total_capped"], len(body["items"])) == (2, True, 1)
    body = as_user(CITY_ADMIN).get("/api/instances?status=running&item=fc-v-08&per_page=1").get_json()
    assert (body["total"], body["total_capped"]) == (2, True)


def test_the_listing_columns_are_indexed(app):
    with app.app_context():
        found = inspect(db.engine)
        indexes = {
            table: {ix["name"]: ix["column_names"] for ix in found.get_indexes(table)}
            for table in ("case_instance", "case_scope", "case_scope_deadline", "task")
        }
    assert indexes["case_instance"]["ix_case_instance_overdue"] == ["next_deadline", "id"]
    assert indexes["case_instance"]["ix_case_instance_started"] == ["started_at", "id"]
    assert indexes["case_instance"]["ix_case_instance_running_due"] == ["due_at", "id"]
    assert indexes["case_instance"]["ix_case_instance_concluded_late"] == ["due_at", "id"]
    assert indexes["case_scope"]["ix_case_scope_listing"] == ["org_id", "subtree", "started_at", "instance_id"]
    assert indexes["case_scope"].keys() == {"ix_case_scope_listing"}
    assert indexes["case_scope_deadline"]["ix_case_scope_deadline_overdue"] == [
        "org_id",
        "subtree",
        "deadline",
        "instance_id",
    ]
    assert indexes["task"]["ix_task_inbox"] == ["org_id", "due_at", "created_at", "role", "assignee_id", "id"]
    assert indexes["task"]["ix_task_assignee"] == ["assignee_id", "due_at", "created_at", "id"]
    assert "ix_task_open_due" not in indexes["task"]  # its count is kept in open_task_count


PARTIAL = {
    "ix_case_instance_overdue": "status = 'running'",
    "ix_case_instance_running_due": "status = 'running'",
    "ix_case_instance_concluded_late": "completed_at >= due_at",
    "ix_task_inbox": "state = 'open'",
    "ix_task_assignee": "state = 'open'",
}


def index_condition(name: str) -> str:
    """The condition of a partial index as the store keeps it, spaces, brackets and casts left out."""
    if db.engine.dialect.name == "sqlite":
        sql = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": name})
        condition = sql.split(" WHERE ", 1)[1] if " WHERE " in sql else ""
    else:
        condition = db.session.scalar(
            text("SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = CAST(:n AS regclass)"),
            {"n": name},
        )
        condition = (condition or "").replace("::text", "")
    return "".join(ch for ch in condition if ch not in " ()")


def test_concluded_cases_and_done_tasks_have_no_entry_in_the_listing_indexes(app):
    """The overdue, inbox and 考核 indexes are partial: a concluded case or a done task adds nothing to them (the
    scopes' deadlines are rows of running cases only: `assert_as_before`)."""
    with app.app_context():
        found = {name: index_condition(name) for name in PARTIAL}
        db.session.remove()
    assert found == {name: "".join(ch for ch in c if ch not in " ()") for name, c in PARTIAL.items()}


def plan_of(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        return " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    # On a few rows any index, or none, is as cheap, so a listing is asked for a plan only an index serving its
    # order can give (no full scan, no sort); a count for one without a full scan.
    ordered = bool(statement._order_by_clauses)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    for name in ("enable_sort", "enable_incremental_sort"):
        db.session.execute(text(f"SET LOCAL {name} = {'off' if ordered else 'on'}"))
    return " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}")))


def test_scoped_and_overdue_listings_read_indexes(app):
    with app.app_context():
        scoped = (
            select(CaseInstance.id)
            .join(CaseScope, CaseScope.instance_id == CaseInstance.id)
            .where(CaseScope.org_id == 1, CaseScope.subtree.is_(True))
            .order_by(CaseScope.started_at.desc(), CaseScope.instance_id.desc())
            .limit(20)
        )
        overdue = (
            select(CaseInstance.id)
            .where(queries.overdue.overdue_case_condition(clock.now()))
            .order_by(CaseInstance.next_deadline, CaseInstance.id)
            .limit(20)
        )
        scoped_overdue = (
            select(CaseScopeDeadline.instance_id)
            .where(
                CaseScopeDeadline.org_id == 1,
                CaseScopeDeadline.subtree.is_(True),
                queries.overdue.overdue_scope_condition(clock.now()),
            )
            .order_by(CaseScopeDeadline.deadline, CaseScopeDeadline.instance_id)
            .limit(20)
        )
        open_past_due = (
            select(OpenTaskCount.org_id, OpenTaskCount.stage, func.sum(OpenTaskCount.tasks))
            .where(OpenTaskCount.due_at <= clock.now())
            .group_by(OpenTaskCount.org_id, OpenTaskCount.stage)
        )
        inbox = select(Task.id).where(work.OPEN, Task.org_id == 1).order_by(Task.due_at, Task.created_at).limit(20)
        for statement, indexes in (
            (scoped, ("ix_case_scope_listing",)),
            (overdue, ("ix_case_instance_overdue",)),
            (scoped_overdue, ("ix_case_scope_deadline_overdue",)),
            # the open tasks past their limit: a range of the counts' primary key, whose first column is the limit
            (open_past_due, ("open_task_count_pkey", "sqlite_autoindex_open_task_count_1")),
            (inbox, ("ix_task_inbox",)),
        ):
            plan = plan_of(statement)
            # SQLite, without statistics, may range another index of the same condition; PostgreSQL takes this one
            assert any(index in plan for index in indexes) or db.engine.dialect.name == "sqlite", plan
            assert "Seq Scan" not in plan, plan  # ranges of an index, no scan
            # SQLite may walk the whole inbox index, which holds open tasks only
            assert "SCAN" not in plan.replace("SCAN task USING INDEX ix_task_inbox", ""), plan
            db.session.rollback()


def test_postgresql_connections_run_without_jit(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("JIT is PostgreSQL's")
        assert db.session.scalar(text("SHOW jit")) == "off"
        db.session.rollback()
