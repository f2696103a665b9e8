"""GET /api/sla on a constructed set of cases, with the clock frozen to make them late or overdue."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from api.sla import DUMP_SLA, SlaOut
from engine.core.clock import SHANGHAI, clock
from engine.core.models import User
from engine.reporting import assessment
from engine.reporting.sla import SlaFilter
from server.extensions import db
from tests.scenarios import APPROVE, collect, settle, start_reimbursement_at, work, work_open_supervision

pytestmark = pytest.mark.usefixtures("fresh")


def at(day, hour=10, minute=0):
    clock.freeze(datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI))


def run_to_conclusion(as_user, paid_on, window):
    township = as_user("qujiang.township_clerk")
    work(township, "乡镇初审", APPROVE)
    work(township, "移交医保中心", {"method": "系统流转"})
    work(as_user("fc-centre.centre_reviewer"), "医保中心复核", APPROVE)
    settle(as_user)
    work(
        as_user("fc-centre.centre_payer"),
        "拨付",
        {
            "amount": "200.50",
            "payee_name": "张三",
            "bank_name": "中国农业银行丰城支行",
            "account_no": "6228480012345678901",
            "paid_on": paid_on,
        },
    )
    collect(as_user(f"{window}.village_agent"))


@pytest.fixture
def figures(as_user):
    """A: 曲江村, concluded the day it was accepted (10-08), rated 满意.
    B: 新庄村, accepted 10-08, concluded 12-01 — after its 30 working days ended with 11-18 — rated 非常不满意.
    C: 小港村, accepted 10-12, waiting at 小港镇's 乡镇初审, whose 20 working days ended with 11-09.
    D: 曲江村, accepted 12-01, waiting at 曲江镇's 乡镇初审, within its limit.
    """
    at("2026-10-08")
    start_reimbursement_at(as_user, "qujiangcun", "360981104201", "李一")
    run_to_conclusion(as_user, "2026-10-08", "qujiangcun")
    b = start_reimbursement_at(as_user, "xinzhuang", "360981104202", "王二")
    at("2026-10-12")
    start_reimbursement_at(as_user, "xiaogangcun", "360981106201", "赵三")
    at("2026-12-01")
    run_to_conclusion(as_user, "2026-12-01", "xinzhuang")
    work_open_supervision(as_user, b)
    start_reimbursement_at(as_user, "qujiangcun", "360981104201", "钱四")
    admin = as_user("fengcheng.admin")
    a_id, b_id = sorted(c["id"] for c in admin.get("/api/instances?status=concluded").get_json()["items"])
    assert (
        as_user("qujiangcun.village_agent").post(f"/api/instances/{a_id}/rating", json={"level": "满意"}).status_code
        == 201
    )
    poor = as_user("xinzhuang.village_agent").post("/api/ratings", json={"case_no": b, "level": "非常不满意"})
    assert poor.status_code == 201
    return lambda query="", user="fengcheng.admin": sla(as_user(user), query)


def sla(caller, query):
    response = caller.get(f"/api/sla?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def by_stage(rows):
    return {row["stage"]: row for row in rows}


def test_concluded_on_time_and_late(figures):
    concluded = figures()["concluded"]
    assert concluded == {"total": 2, "on_time": 1, "late": 1, "without_limit": 0, "on_time_rate": 0.5}
    assert figures("from=2026-12-01&to=2026-12-31")["concluded"]["late"] == 1
    assert figures("from=2026-12-01&to=2026-12-31")["concluded"]["on_time"] == 0
    assert figures("to=2026-11-30")["concluded"] == {
        "total": 1,
        "on_time": 1,
        "late": 0,
        "without_limit": 0,
        "on_time_rate": 1.0,
    }


def test_overdue_open_tasks_by_stage_and_unit_as_of_the_clock(figures, as_user):
    report = figures()
    assert report["as_of"] == "2026-12-01T10:00:00+08:00"
    assert report["overdue_tasks"] == [
        {
            "stage": "乡镇初审",
            "org": {"code": "360981106", "name": "小港镇"},
            "count": 1,
            "earliest_due_at": "2026-11-10T00:00:00+08:00",
        }
    ]
    # The 差评's 整改 (5 working days from 12-01: its last day is 12-08) runs late from 12-09 00:00.
    at("2026-12-08", hour=23, minute=59)
    assert [row["stage"] for row in figures()["overdue_tasks"]] == ["乡镇初审"]
    at("2026-12-09", hour=0)
    overdue = {(row["stage"], row["org"]["code"]): row["count"] for row in figures()["overdue_tasks"]}
    # The 差评 rated the last stage, 新庄村's 出件: its 整改 is 新庄村's.
    assert overdue == {("乡镇初审", "360981106"): 1, ("整改", "360981104202"): 1}


def test_average_working_days_per_stage_and_unit(figures):
    stages = by_stage(row for row in figures()["stages"] if row["unit"]["code"] == "360981104")
    # B's 初审 waited from 10-08 to 12-01: 39 working days (10-10 was a 调休 Saturday), past its 20; A's took none.
    assert stages["乡镇初审"] == {
        "unit": {"code": "360981104", "name": "曲江镇"},
        "stage": "乡镇初审",
        "completed": 2,
        "on_time": 1,
        "late": 1,
        "without_limit": 0,
        "on_time_rate": 0.5,
        "avg_working_days": 19.5,
    }
    centre = by_stage(row for row in figures()["stages"] if row["unit"]["code"] == "360981-YB")
    assert (centre["拨付"]["completed"], centre["拨付"]["avg_working_days"]) == (2, 0.0)
    assert set(stages) | set(centre) >= {"乡镇初审", "移交医保中心", "医保中心复核", "拨付"}
    later = by_stage(figures("from=2026-11-01")["stages"])
    assert (later["乡镇初审"]["completed"], later["乡镇初审"]["avg_working_days"]) == (1, 39.0)


def test_rating_distribution_and_rectification_timeliness(figures, as_user):
    ratings = figures()["ratings"]
    assert ratings["levels"] == {"非常满意": 0, "满意": 1, "基本满意": 0, "不满意": 0, "非常不满意": 1}
    assert (ratings["total"], ratings["poor"], ratings["poor_rate"]) == (2, 1, 0.5)
    assert figures("to=2026-11-30")["ratings"]["total"] == 0

    at("2026-12-10")
    work(
        as_user("xinzhuang.village_agent"),
        "整改",
        {"finding": "出件延误", "measures": "专人跟进", "rectified_on": "2026-12-10"},
    )
    work(
        as_user("qujiang.supervisor"),
        "回访",
        {"visited_on": "2026-12-10", "method": "电话", "applicant_view": "基本满意"},
    )
    report = figures()
    assert report["rectifications"] == {"total": 1, "on_time": 0, "late": 1, "without_limit": 0, "on_time_rate": 0.0}
    assert report["concluded"]["total"] == 2
    assert by_stage(report["stages"])["整改"]["avg_working_days"] == 7.0


def test_unit_and_item_filters(figures):
    xiaogang = figures("org=360981106")
    assert xiaogang["scope"] == {"code": "360981106", "name": "小港镇"}
    assert xiaogang["concluded"]["total"] == 0
    assert len(xiaogang["overdue_tasks"]) == 1
    assert xiaogang["ratings"]["total"] == 0
    centre_stages = set(by_stage(figures("org=360981-YB")["stages"]))
    assert centre_stages >= {"医保中心复核", "拨付"} and not centre_stages & {"乡镇初审", "移交医保中心"}
    other_item = figures("item=fz-g-01")
    assert (other_item["concluded"]["total"], other_item["overdue_tasks"], other_item["stages"]) == (0, [], [])


def test_supervisors_read_their_own_unit_and_below_only(figures, as_user):
    own = figures(user="qujiang.supervisor")
    assert own["scope"]["code"] == "360981104"
    assert own["concluded"]["total"] == 2  # accepted at 曲江村 and 新庄村, both under 曲江镇
    assert own["overdue_tasks"] == []  # the overdue 初审 belongs to 小港镇
    assert figures("org=360981104201", user="qujiang.supervisor")["concluded"]["total"] == 1
    assert as_user("qujiang.supervisor").get("/api/sla?org=360981-YB").status_code == 403
    assert as_user("qujiang.township_clerk").get("/api/sla").status_code == 403
    assert as_user("fc-centre.supervisor").get("/api/sla?org=360981").status_code == 403


def test_bad_parameters_are_named(as_user):
    admin = as_user("fengcheng.admin")
    response = admin.get("/api/sla?from=2026-02-30&to=someday")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["query"]) == {"from", "to"}
    reversed_range = admin.get("/api/sla?from=2026-12-01&to=2026-11-01")
    assert reversed_range.get_json()["errors"]["query"] == {"to": ["结束日期不能早于开始日期"]}
    assert admin.get("/api/sla?org=nowhere").get_json()["errors"] == {"org": ["未知单位编码：nowhere"]}


def test_breakdowns_by_accepting_unit_and_by_item_of_its_region(figures):
    """Issue 15: a case 曲江村 accepted counts under 曲江村 itself, and the rows add up to the headline."""
    city = figures("org=360981")
    units = {row["org"]["name"]: row["concluded"] for row in city["by_unit"]}
    assert set(units) == {"曲江村", "新庄村"}  # the accepting units, not 曲江镇 above them
    assert units["曲江村"] == {"total": 1, "on_time": 1, "late": 0, "without_limit": 0, "on_time_rate": 1.0}
    assert units["新庄村"] == {"total": 1, "on_time": 0, "late": 1, "without_limit": 0, "on_time_rate": 0.0}
    assert city["by_item"] == [
        {
            "item": {"id": "fc-v-08", "name": "门诊费用报销"},
            "concluded": {"total": 2, "on_time": 1, "late": 1, "without_limit": 0, "on_time_rate": 0.5},
        }
    ]
    for scope in ("360981", "360981104", "360981104201", "360981106"):
        figures_of = figures(f"org={scope}")
        assert sum(row["concluded"]["total"] for row in figures_of["by_unit"]) == figures_of["concluded"]["total"]
    village = figures("org=360981104201")
    assert village["concluded"]["total"] == 1
    assert [row["org"]["name"] for row in village["by_unit"]] == ["曲江村"]
    assert figures("item=fz-g-01")["by_item"] == []


def test_the_answer_is_what_its_schema_dumps(figures, app):
    """The route dumps with `server.dumping`, compiled from `SlaOut`: the same as marshmallow's own dump."""
    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "fengcheng.admin"))
        for filters in (
            SlaFilter(),
            SlaFilter(date(2026, 10, 1), date(2026, 12, 31)),
            SlaFilter(org="360981104"),
        ):
            report = assessment.report(db.session, admin, filters)
            assert report["units"] and report["overdue_cases"]
            assert DUMP_SLA(report) == SlaOut().dump(report)
        db.session.remove()
