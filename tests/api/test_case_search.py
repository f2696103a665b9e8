"""GET /api/instances?q=: a case found by its number, the applicant's name, ID number or mobile — among the
cases the caller may see — and GET /api/instances/accepted, the cases a window accepted."""

import os

import pytest
from sqlalchemy import select, text

from engine.cases.queries import SEARCH_MAX_LENGTH, case_search_condition, cases_of_applicant
from engine.core.clock import clock
from engine.core.models import CaseInstance, User
from server.extensions import db
from tests.factories import applicant, id_number, mandate, reimbursement_details
from tests.scenarios import ALL_MATERIALS, APPROVE, at

pytestmark = pytest.mark.usefixtures("fresh")

# 李四's ID number ends with X: the check digit GB 11643 computes for these 17 digits.
LISI = "36098119900307206"


def accept(as_user, slug, org, name, first17, mobile):
    response = as_user(f"{slug}.village_agent").post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": org,
            "applicant": applicant(name, first17) | {"mobile": mobile},
            "materials": ALL_MATERIALS,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def cases(as_user):
    """李四 (ID number ending in X) at 曲江村, 王五 at 小港村 — two townships apart — and 李四 again at 新庄村."""
    clock.freeze(at("2026-10-08T10:00:00"))
    lisi = accept(as_user, "qujiangcun", "360981104201", "李四", LISI, "13907950001")
    wangwu = accept(as_user, "xiaogangcun", "360981106201", "王五", "36098119851111002", "13907950002")
    clock.freeze(at("2026-10-09T10:00:00"))
    again = accept(as_user, "xinzhuang", "360981104202", "李四", LISI, "13907950001")
    return {"lisi": lisi, "wangwu": wangwu, "again": again}


def found(caller, q):
    response = caller.get("/api/instances", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return [case["case_no"] for case in response.get_json()["items"]]


def test_finds_by_name_id_number_and_mobile(as_user, cases):
    admin = as_user("fengcheng.admin")
    both = [cases["again"]["case_no"], cases["lisi"]["case_no"]]
    assert id_number(LISI).endswith("X")
    assert found(admin, "李四") == both
    assert found(admin, " 李四 ") == both
    assert found(admin, "李") == []  # a name is matched whole
    assert found(admin, id_number(LISI)) == both
    assert found(admin, id_number(LISI).lower()) == both  # x typed in lower case
    assert found(admin, id_number(LISI)[:17]) == []  # not a whole ID number: no part of one matches
    assert found(admin, "13907950002") == [cases["wangwu"]["case_no"]]
    assert found(admin, "139 0795 0002") == [cases["wangwu"]["case_no"]]
    assert found(admin, "1390795000") == []


def test_finds_by_case_number_and_its_beginning(as_user, cases):
    admin = as_user("fengcheng.admin")
    number = cases["wangwu"]["case_no"]  # 360981-20261008-000002
    assert found(admin, number) == [number]
    # the two cases of 10-08 share a beginning longer than the day's (ids are consecutive, not always below 10:
    # PostgreSQL's id sequence goes on across tests)
    shared = os.path.commonprefix([number, cases["lisi"]["case_no"]])
    assert len(shared) > len("360981-20261008-")
    assert found(admin, shared) == [number, cases["lisi"]["case_no"]]
    assert found(admin, "360981-20261008") == [number, cases["lisi"]["case_no"]]
    assert found(admin, "360981-2026100") == [cases["again"]["case_no"], number, cases["lisi"]["case_no"]]
    assert found(admin, "360981-20261010") == []
    assert found(admin, "360981_2026%") == []  # LIKE's wildcards are plain characters


def test_a_case_number_search_lists_by_number_latest_first(as_user, cases):
    """By number, as the unique index holds them, not by the instant of acceptance: a case given the next number
    with its clock set earlier (a window's PC clock a few minutes behind) still comes first."""
    clock.freeze(at("2026-10-09T09:00:00"))
    earlier = accept(as_user, "qujiangcun", "360981104201", "赵六", "36098119700101001", "13907950003")
    assert earlier["case_no"] > cases["again"]["case_no"]
    admin = as_user("fengcheng.admin")
    assert found(admin, "360981-20261009") == [earlier["case_no"], cases["again"]["case_no"]]
    assert found(admin, "360981-202610") == [
        earlier["case_no"],
        cases["again"]["case_no"],
        cases["wangwu"]["case_no"],
        cases["lisi"]["case_no"],
    ]
    # other searches stay newest first
    assert found(admin, "赵六") == [earlier["case_no"]]
    assert found(admin, "李四") == [cases["again"]["case_no"], cases["lisi"]["case_no"]]


def test_the_search_keeps_to_the_cases_the_caller_may_see(as_user, cases):
    # 曲江镇 works the 初审 of its villages' cases; 小港镇's clerk sees only the case of 小港村.
    assert found(as_user("qujiang.township_clerk"), "李四") == [cases["again"]["case_no"], cases["lisi"]["case_no"]]
    assert found(as_user("xiaogang.township_clerk"), "李四") == []
    assert found(as_user("xiaogang.township_clerk"), id_number(LISI)) == []
    assert found(as_user("xiaogang.township_clerk"), cases["lisi"]["case_no"]) == []
    assert found(as_user("xiaogang.township_clerk"), "王五") == [cases["wangwu"]["case_no"]]
    # a village sees what it accepted, not what another village of the same township did
    assert found(as_user("qujiangcun.village_agent"), "李四") == [cases["lisi"]["case_no"]]


def test_search_combines_with_the_other_filters(as_user, cases):
    admin = as_user("fengcheng.admin")
    response = admin.get("/api/instances", query_string={"q": "李四", "org": "360981104202"})
    assert [case["case_no"] for case in response.get_json()["items"]] == [cases["again"]["case_no"]]
    response = admin.get("/api/instances", query_string={"q": "李四", "per_page": 1, "page": 2})
    assert (response.get_json()["total"], response.get_json()["items"][0]["case_no"]) == (2, cases["lisi"]["case_no"])


@pytest.mark.parametrize("q", ["", "   ", "张" * (SEARCH_MAX_LENGTH + 1)])
def test_an_empty_or_too_long_search_is_a_field_error(as_user, q):
    response = as_user("fengcheng.admin").get("/api/instances", query_string={"q": q})
    assert response.status_code == 422
    errors = response.get_json()["errors"]["query"]
    assert set(errors) == {"q"}
    assert errors["q"] == (
        [f"查找内容不能超过{SEARCH_MAX_LENGTH}个字"] if q.strip() else ["请输入办件编号、申请人姓名、身份证号或手机号"]
    )


def test_the_search_is_documented(client):
    spec = client.get("/api/openapi.json").get_json()
    listing = spec["paths"]["/api/instances"]["get"]
    assert "q" in {parameter["name"] for parameter in listing["parameters"]}
    assert "/api/instances/accepted" in spec["paths"]


@pytest.mark.parametrize(
    "q, index",
    [
        ("李四", "ix_case_instance_applicant_name"),
        ("36098119900307201X", "ix_case_instance_applicant_id_number"),
        ("13907950001", "ix_case_instance_applicant_mobile"),
        ("360981-20261008", "case_no"),
    ],
)
def test_each_search_reads_an_index(fresh, q, index):
    """Each kind of search text is a condition an index answers: no scan of every case."""
    with fresh.app_context():
        statement = select(CaseInstance.id).where(case_search_condition(q))
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "INDEX" in plan and index in plan, plan
            assert "SCAN case_instance" not in plan, plan  # a SEARCH by index, no scan of the table or an index
        else:
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}")))
            assert "Index" in plan and "Seq Scan" not in plan, plan
        db.session.rollback()


def test_the_other_cases_of_an_applicant_are_those_the_caller_may_see(fresh, cases):
    def others(username, number, except_id):
        with fresh.app_context():
            user = db.session.scalars(select(User).where(User.username == username)).one()
            found = cases_of_applicant(db.session, user, number, except_id)
            return found.total, [row.case.case_no for row in found.items]

    lisi, again = cases["lisi"], cases["again"]
    assert others("qujiang.township_clerk", id_number(LISI), lisi["id"]) == (1, [again["case_no"]])
    assert others("qujiang.township_clerk", id_number(LISI).lower(), again["id"]) == (1, [lisi["case_no"]])
    assert others("fengcheng.admin", id_number(LISI), None) == (2, [again["case_no"], lisi["case_no"]])
    # 曲江村 did not accept the 新庄村 case and holds no step of it
    assert others("qujiangcun.village_agent", id_number(LISI), lisi["id"]) == (0, [])
    assert others("xiaogang.township_clerk", id_number(LISI), None) == (0, [])
    assert others("fengcheng.admin", None, None) == (0, [])


# 我受理的办件


def test_a_window_lists_what_its_unit_accepted_with_the_current_step_and_its_holder(as_user):
    clock.freeze(at("2026-10-08T10:00:00"))
    accepted = accept(as_user, "qujiangcun", "360981104201", "李四", LISI, "13907950001")
    accept(as_user, "xinzhuang", "360981104202", "王五", "36098119851111002", "13907950002")
    agent = as_user("qujiangcun.village_agent")
    page = agent.get("/api/instances/accepted").get_json()
    assert page["total"] == 1
    (case,) = page["items"]
    assert case["case_no"] == accepted["case_no"]
    (task,) = case["tasks"]
    assert (task["title"], task["org"]["name"], task["assignee"]) == ("乡镇初审", "曲江镇", None)
    township = as_user("qujiang.township_clerk")
    assert township.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    (task,) = agent.get("/api/instances/accepted").get_json()["items"][0]["tasks"]
    assert task["assignee"]["display_name"]
    assert township.post(f"/api/tasks/{task['id']}/complete", json={"data": APPROVE}).status_code == 200
    (task,) = agent.get("/api/instances/accepted").get_json()["items"][0]["tasks"]
    assert task["title"] == "移交医保中心"
    assert task["assignee"] is None
    # 曲江镇's clerk accepted nothing at 曲江镇 itself
    assert as_user("qujiang.township_clerk").get("/api/instances/accepted").get_json()["total"] == 0


def test_the_accepted_list_is_paginated_newest_first(as_user, cases):
    first = accept(as_user, "xiaogangcun", "360981106201", "赵六", "36098119700101003", "13907950003")
    agent = as_user("xiaogangcun.village_agent")
    page = agent.get("/api/instances/accepted?per_page=1").get_json()
    assert (page["total"], [c["case_no"] for c in page["items"]]) == (2, [first["case_no"]])
    page = agent.get("/api/instances/accepted?per_page=1&page=2").get_json()
    assert [c["case_no"] for c in page["items"]] == [cases["wangwu"]["case_no"]]
    assert agent.get("/api/instances/accepted?page=0").status_code == 422
