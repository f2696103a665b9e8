"""补正 with a deadline: the 一次性告知书 states the item's 补正 period; the window's 待补正 list counts the days
left; when the period passes, `timers run --once --now` ends the case 不予受理 with a printed 不予受理通知书."""

import pytest

from engine.catalogue.flows import catalog
from engine.core.clock import clock
from tests.factories import applicant
from tests.scenarios import TOWNSHIP, at, work

pytestmark = pytest.mark.usefixtures("fresh")

CLERK = "qujiang.township_clerk"
ITEM = "fc-t-05"  # 异地安置退休人员备案 (即办 at the township window); default period: 30 natural days
COPY = "本人有效身份证件或社会保障卡复印件"
FILING = {
    "filing_type": "异地安置退休人员",
    "destination_province": "广东省",
    "destination_city": "深圳市",
    "start_date": "2026-11-02",
}
TOLD_AT = "2026-11-02T09:30:00"  # Monday; 30 days on is Wednesday 2026-12-02, a working day


def told_case(as_user, notice=None):
    """fc-t-05 accepted without the copy, and the 一次性告知 given at once."""
    clock.freeze(at(TOLD_AT))
    materials = [m.name for m in catalog().get(ITEM).materials if m.name != COPY]
    response = as_user(CLERK).post(
        "/api/instances",
        json={"item": ITEM, "org": TOWNSHIP, "applicant": applicant(), "materials": materials, "details": FILING},
    )
    assert response.status_code == 201, response.get_json()
    work(as_user(CLERK), "一次性告知", notice or {"missing": [COPY]})
    return response.get_json()


def run_timers(app, instant):
    result = app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", instant])
    assert result.exit_code == 0, result.output
    return result


def pending_row(as_user, case):
    listed = as_user(CLERK).get("/api/pending-supplements")
    assert listed.status_code == 200
    return next(row for row in listed.get_json()["items"] if row["case_id"] == case["id"])


def test_the_notice_states_the_period_and_its_last_day(as_user):
    case = told_case(as_user)
    page = as_user(CLERK).get(f"/api/instances/{case['id']}/documents/missing_materials").get_data(as_text=True)
    assert "请于30日内（2026年12月2日前）补齐" in page and "逾期未补齐的，不予受理" in page


def test_the_pending_list_counts_the_days_left(as_user):
    case = told_case(as_user)
    row = pending_row(as_user, case)
    assert (row["kind"], row["materials"], row["last_day"]) == ("supplement", [COPY], "2026-12-02")
    assert (row["days_left"], row["status"], row["overdue"]) == (30, "剩余30天", False)
    clock.freeze(at("2026-12-02T10:00:00"))
    assert pending_row(as_user, case)["status"] == "今日到期"
    assert as_user("yitang.township_clerk").get("/api/pending-supplements").get_json()["items"] == []


def test_the_period_passing_ends_the_case_not_accepted_with_a_printed_notice(app, as_user):
    case = told_case(as_user)
    run_timers(app, "2026-12-02T23:59:00+08:00")
    assert as_user(CLERK).get(f"/api/instances/{case['id']}").get_json()["status"] == "running"

    run_timers(app, "2026-12-03T00:00:01+08:00")
    detail = as_user(CLERK).get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "not_accepted"
    assert detail["tasks"] == []
    assert "not_accepted" in [event["action"] for event in detail["history"]]
    assert all(
        row["case_id"] != case["id"] for row in as_user(CLERK).get("/api/pending-supplements").get_json()["items"]
    )

    page = as_user(CLERK).get(f"/api/instances/{case['id']}/documents/not_accepted")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "不予受理通知书" in text and COPY in text and "2026年12月2日止" in text and "决定不予受理" in text


def test_a_supplement_within_the_period_cancels_the_deadline(app, as_user):
    case = told_case(as_user)
    clock.freeze(at("2026-11-20T10:00:00"))
    work(as_user(CLERK), "补正登记", {"received": [COPY]})
    run_timers(app, "2026-12-04T09:00:00+08:00")
    detail = as_user(CLERK).get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "running" and [t["title"] for t in detail["tasks"]] == ["办结"]
    assert as_user(CLERK).get(f"/api/instances/{case['id']}/documents/not_accepted").status_code == 409


def test_a_shorter_period_told_by_the_clerk_is_kept(app, as_user):
    case = told_case(as_user, {"missing": [COPY], "deadline_days": 5})
    assert pending_row(as_user, case)["last_day"] == "2026-11-09"  # 11-07 is a Saturday: the next working day
    run_timers(app, "2026-11-10T00:00:01+08:00")
    assert as_user(CLERK).get(f"/api/instances/{case['id']}").get_json()["status"] == "not_accepted"


def test_counts_for_assessment_name_the_accepting_unit(app, as_user):
    from datetime import date

    from engine.core.models import OrgUnit
    from engine.reporting.acceptance_counts import counts
    from server.extensions import db

    told_case(as_user)
    told_case(as_user)
    clock.freeze(at(TOLD_AT))
    materials = [m.name for m in catalog().get(ITEM).materials if m.name != COPY]
    deferred = as_user(CLERK).post(
        "/api/instances",
        json={
            "item": ITEM,
            "org": TOWNSHIP,
            "applicant": applicant(),
            "materials": materials,
            "details": FILING,
            "deferred": [COPY],
            "promise_date": "2026-11-05",
        },
    )
    assert deferred.status_code == 201
    run_timers(app, "2026-12-03T00:00:01+08:00")
    with app.app_context():
        unit = db.session.query(OrgUnit).filter_by(code=TOWNSHIP).one()
        november = counts(db.session, since=date(2026, 11, 1), until=date(2026, 12, 1))
        december = counts(db.session, since=date(2026, 12, 1), until=date(2027, 1, 1), org_ids=[unit.id])
        db.session.remove()
    assert november[unit.id] == {"deferred": 1, "supplement": 2, "not_accepted": 0}
    assert december == {unit.id: {"deferred": 0, "supplement": 0, "not_accepted": 2}}
