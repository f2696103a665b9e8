"""GET /api/instances: the cases a caller may see, filtered and paginated."""

from datetime import datetime

import pytest

from engine.core.clock import SHANGHAI, clock
from tests.scenarios import APPROVE, PAYOUT, collect, settle, start_reimbursement_at, work

pytestmark = pytest.mark.usefixtures("fresh")


def at(day, hour=9):
    clock.freeze(datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI))


@pytest.fixture
def cases(as_user):
    """Four cases in 丰城市: one concluded, three waiting at 乡镇初审 (20 working days from acceptance)."""
    at("2026-10-08")
    concluded = start_reimbursement_at(as_user, "qujiangcun", "360981104201", "李一")
    township = as_user("qujiang.township_clerk")
    work(township, "乡镇初审", APPROVE)
    work(township, "移交医保中心", {"method": "系统流转"})
    work(as_user("fc-centre.centre_reviewer"), "医保中心复核", APPROVE)
    settle(as_user)
    work(as_user("fc-centre.centre_payer"), "拨付", PAYOUT)
    collect(as_user("qujiangcun.village_agent"))  # 统一窗口出件 at the accepting village
    at("2026-10-12")
    qujiang = start_reimbursement_at(as_user, "qujiangcun", "360981104201", "王二")
    xinzhuang = start_reimbursement_at(as_user, "xinzhuang", "360981104202", "赵三")
    at("2026-10-13")
    xiaogang = start_reimbursement_at(as_user, "xiaogangcun", "360981106201", "钱四")
    return {"concluded": concluded, "qujiang": qujiang, "xinzhuang": xinzhuang, "xiaogang": xiaogang}


def listed(caller, query=""):
    response = caller.get(f"/api/instances?{query}")
    assert response.status_code == 200, response.get_json()
    return [case["case_no"] for case in response.get_json()["items"]]


def test_each_caller_sees_the_cases_of_their_unit_newest_first(as_user, cases):
    admin = as_user("fengcheng.admin")
    assert listed(admin) == [cases["xiaogang"], cases["xinzhuang"], cases["qujiang"], cases["concluded"]]
    assert listed(as_user("qujiangcun.village_agent")) == [cases["qujiang"], cases["concluded"]]
    # The township works the 初审 of its villages' cases, so it sees them; the other township does not.
    assert set(listed(as_user("qujiang.township_clerk"))) == {cases["qujiang"], cases["xinzhuang"], cases["concluded"]}
    assert listed(as_user("xiaogang.township_clerk")) == [cases["xiaogang"]]
    assert listed(as_user("fc-centre.centre_reviewer")) == [cases["concluded"]]


def test_filters_by_status_unit_item_and_start_day(as_user, cases):
    admin = as_user("fengcheng.admin")
    assert listed(admin, "status=concluded") == [cases["concluded"]]
    assert listed(admin, "status=running&org=360981104") == [cases["xinzhuang"], cases["qujiang"]]
    assert listed(admin, "org=360981106201") == [cases["xiaogang"]]
    assert listed(admin, "item=fc-v-08&from=2026-10-12&to=2026-10-12") == [cases["xinzhuang"], cases["qujiang"]]
    assert listed(admin, "from=2026-10-13") == [cases["xiaogang"]]
    assert listed(admin, "to=2026-10-08") == [cases["concluded"]]
    assert listed(admin, "item=fz-g-01") == []


def test_overdue_and_due_before_follow_the_clock_and_the_calendar(as_user, cases):
    admin = as_user("fengcheng.admin")
    # 乡镇初审 has 20 working days: from 10-12 the last day is 11-09, from 10-13 it is 11-10.
    at("2026-11-09", hour=23)
    assert listed(admin, "overdue=true") == []
    # Longest overdue first: by the passed deadline, then in the order the cases were accepted.
    at("2026-11-10", hour=0)
    assert listed(admin, "overdue=true") == [cases["qujiang"], cases["xinzhuang"]]
    at("2026-11-11", hour=0)
    assert listed(admin, "overdue=true") == [cases["qujiang"], cases["xinzhuang"], cases["xiaogang"]]
    assert listed(as_user("xiaogang.township_clerk"), "overdue=true") == [cases["xiaogang"]]
    # Whole-case limit of 30 working days: from 10-08 it ends with 11-18, from 10-12 with 11-23,
    # from 10-13 with 11-24 (each expiring at 24:00).
    assert listed(admin, "due_before=2026-11-20") == [cases["concluded"]]
    assert listed(admin, "due_before=2026-11-25&status=running") == [cases["xinzhuang"], cases["qujiang"]]


def test_pages(as_user, cases):
    admin = as_user("fengcheng.admin")
    first = admin.get("/api/instances?per_page=3").get_json()
    second = admin.get("/api/instances?per_page=3&page=2").get_json()
    assert (first["total"], first["page"], len(first["items"])) == (4, 1, 3)
    assert [c["case_no"] for c in second["items"]] == [cases["concluded"]]
    assert second["items"][0]["status"] == "concluded"


def test_bad_parameters_are_named(as_user):
    admin = as_user("fengcheng.admin")
    response = admin.get("/api/instances?overdue=maybe&due_before=2026-13-01&per_page=0&status=lost")
    assert response.status_code == 422
    errors = response.get_json()["errors"]["query"]
    assert set(errors) == {"overdue", "due_before", "per_page", "status"}
    unknown = admin.get("/api/instances?org=999999")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"org": ["未知单位编码：999999"]}
    assert as_user("fengcheng.admin").get("/api/instances").get_json()["total"] == 0
