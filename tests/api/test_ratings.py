"""好差评 recorded at the window: one rating per concluded case, and the 整改 and 回访 a 差评 of the last stage opens."""

from datetime import datetime

import pytest
from sqlalchemy.exc import IntegrityError

from engine.core.clock import SHANGHAI, clock
from engine.core.models import Rating
from server.extensions import db
from tests.scenarios import CONCLUDED_AT, RATED_AT, VILLAGE, collect, concluded_case, start_at_village, work

CENTRE = "360981-YB"

pytestmark = pytest.mark.usefixtures("fresh")


def rejected_case(as_user):
    """A case refused at 乡镇初审, concluded by the village window handing the result to the applicant (出件)."""
    clock.freeze(CONCLUDED_AT)
    case = start_at_village(as_user)
    work(as_user("qujiang.township_clerk"), "乡镇初审", {"decision": "reject", "reason": "发票与清单金额不符"})
    collect(as_user("qujiangcun.village_agent"))
    clock.freeze(RATED_AT)
    return case


def history_of(caller, case_id):
    return caller.get(f"/api/instances/{case_id}").get_json()["history"]


def test_a_case_is_rated_once(as_user):
    case = concluded_case(as_user)
    agent = as_user("qujiangcun.village_agent")
    first = agent.post(f"/api/instances/{case['id']}/rating", json={"level": "满意", "comment": "办事快"})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["level"] == "满意"
    assert first.get_json()["rectification"] is None
    again = agent.post(f"/api/instances/{case['id']}/rating", json={"level": "非常满意"})
    assert again.status_code == 409
    by_number = agent.post("/api/ratings", json={"case_no": case["case_no"], "level": "不满意"})
    assert by_number.status_code == 409

    read = agent.get(f"/api/instances/{case['id']}/rating").get_json()
    assert (read["level"], read["comment"], read["recorded_by"]["username"]) == (
        "满意",
        "办事快",
        "qujiangcun.village_agent",
    )
    rated = [e for e in history_of(agent, case["id"]) if e["action"] == "rated"]
    assert [(e["action_label"], e["detail"]["level"], e["at"]) for e in rated] == [
        ("好差评", "满意", RATED_AT.isoformat())
    ]
    assert as_user("fc-centre.centre_clerk").get("/api/tasks").get_json()["total"] == 0


def test_the_database_refuses_a_second_rating_of_a_case(app, as_user):
    case = concluded_case(as_user)
    assert (
        as_user("qujiangcun.village_agent")
        .post(f"/api/instances/{case['id']}/rating", json={"level": "基本满意"})
        .status_code
        == 201
    )
    with app.app_context():
        first = db.session.query(Rating).one()
        db.session.add(
            Rating(instance_id=case["id"], level="满意", recorded_at=RATED_AT, recorded_by_id=first.recorded_by_id)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_only_concluded_cases_are_rated(as_user):
    clock.freeze(CONCLUDED_AT)
    case = start_at_village(as_user)
    response = as_user("qujiangcun.village_agent").post(f"/api/instances/{case['id']}/rating", json={"level": "满意"})
    assert response.status_code == 409
    assert "办结" in response.get_json()["message"]


def test_only_staff_of_the_accepting_unit_record_a_rating(as_user):
    case = concluded_case(as_user)
    township = as_user("qujiang.township_clerk")  # worked a step, so sees the case, but did not accept it
    assert township.post(f"/api/instances/{case['id']}/rating", json={"level": "满意"}).status_code == 403
    stranger = as_user("xinzhuang.village_agent")
    assert stranger.post(f"/api/instances/{case['id']}/rating", json={"level": "满意"}).status_code == 404
    assert stranger.get(f"/api/instances/{case['id']}/rating").status_code == 404
    assert township.get(f"/api/instances/{case['id']}/rating").status_code == 404  # not rated yet


def test_bad_ratings_are_refused_field_by_field(as_user):
    case = concluded_case(as_user)
    agent = as_user("qujiangcun.village_agent")
    wrong_level = agent.post(f"/api/instances/{case['id']}/rating", json={"level": "还行", "comment": "x" * 501})
    assert wrong_level.status_code == 422
    assert set(wrong_level.get_json()["errors"]) == {"level", "comment"}
    assert agent.post("/api/ratings", json={"level": "满意"}).get_json()["errors"] == {"case_no": ["此项为必填项"]}
    unknown = agent.post("/api/ratings", json={"case_no": "360981-20261008-999999", "level": "满意"})
    assert unknown.status_code == 422
    assert "360981-20261008-999999" in unknown.get_json()["errors"]["case_no"][0]
    assert agent.get(f"/api/instances/{case['id']}/rating").status_code == 404


def test_a_poor_rating_of_the_payment_opens_rectification_at_the_centre(as_user):
    case = concluded_case(as_user)
    agent = as_user("qujiangcun.village_agent")
    response = agent.post(
        "/api/ratings", json={"case_no": case["case_no"], "level": "不满意", "comment": "拨付太慢", "stage": "拨付"}
    )
    assert response.status_code == 201, response.get_json()
    rating = response.get_json()
    assert rating["responsible_org"]["code"] == CENTRE
    rectification = rating["rectification"]
    assert rectification["case_no"] == case["case_no"] + "-ZG"
    # 5 working days counted from 10-09: 09, 10 (调休 Saturday), 12, 13, 14 — the limit ends at 24:00 on 10-14.
    assert rectification["due_at"] == "2026-10-15T00:00:00+08:00"
    assert rectification["status"] == "running"

    clerk = as_user("fc-centre.centre_clerk")
    (task,) = clerk.get("/api/tasks").get_json()["items"]
    assert (task["title"], task["form_key"], task["org"]["code"], task["due_at"]) == (
        "整改",
        "rectification",
        CENTRE,
        "2026-10-15T00:00:00+08:00",
    )
    assert agent.get("/api/tasks").get_json()["total"] == 0

    clock.freeze(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))
    work(clerk, "整改", {"finding": "拨付环节积压", "measures": "增设拨付岗，当日拨付", "rectified_on": "2026-10-12"})
    assert clerk.get("/api/tasks").get_json()["total"] == 0
    # the centre stands at the top of 丰城's units: its own 督办员 visits the applicant
    supervisor = as_user("fc-centre.supervisor")
    (visit,) = supervisor.get("/api/tasks?view=candidate").get_json()["items"]
    # 回访 has its own 7 working days (processes/step_limits.toml) from 10-13: 13–16, 19–21
    assert (visit["title"], visit["due_at"]) == ("回访", "2026-10-22T00:00:00+08:00")
    work(supervisor, "回访", {"visited_on": "2026-10-12", "method": "电话", "applicant_view": "满意"})

    after = agent.get(f"/api/instances/{case['id']}/rating").get_json()["rectification"]
    assert (after["status"], after["completed_at"]) == ("concluded", "2026-10-12T09:00:00+08:00")
    rated_history = history_of(agent, case["id"])
    assert [e["action"] for e in rated_history][-2:] == ["rated", "rectification_opened"]
    assert rated_history[-1]["detail"]["rectification_case_no"] == rectification["case_no"]
    own = [(e["action"], e["task"]) for e in history_of(supervisor, rectification["id"])]
    assert own[0] == ("rectification_opened", None)
    assert ("completed", "整改") in own and ("completed", "回访") in own
    assert own[-1] == ("concluded", None)
    follow_up = next(
        e for e in history_of(supervisor, rectification["id"]) if e["task"] == "回访" and e["action"] == "completed"
    )
    assert follow_up["detail"]["applicant_view"] == "满意"


def test_a_rejected_case_is_rectified_by_the_village_that_told_the_applicant(as_user):
    case = rejected_case(as_user)
    agent = as_user("qujiangcun.village_agent")
    rating = agent.post(f"/api/instances/{case['id']}/rating", json={"level": "非常不满意"}).get_json()
    assert rating["responsible_org"]["code"] == VILLAGE
    (task,) = agent.get("/api/tasks").get_json()["items"]
    assert (task["title"], task["org"]["code"]) == ("整改", VILLAGE)
    assert as_user("fc-centre.centre_clerk").get("/api/tasks").get_json()["total"] == 0


def test_the_rectification_limit_is_set_per_deployment(app, as_user):
    case = concluded_case(as_user)
    app.config["RATING_RECTIFICATION_DAYS"] = 7
    try:
        rating = (
            as_user("qujiangcun.village_agent")
            .post(f"/api/instances/{case['id']}/rating", json={"level": "不满意"})
            .get_json()
        )
    finally:
        del app.config["RATING_RECTIFICATION_DAYS"]
    # 7 working days from 10-09: 09, 10, 12, 13, 14, 15, 16.
    assert rating["rectification"]["due_at"] == "2026-10-17T00:00:00+08:00"


def test_a_rectification_case_is_not_rated_itself(as_user):
    case = concluded_case(as_user)
    agent = as_user("qujiangcun.village_agent")
    rating = agent.post(f"/api/instances/{case['id']}/rating", json={"level": "不满意"}).get_json()
    work(agent, "整改", {"finding": "属实", "measures": "已整改", "rectified_on": "2026-10-08"})
    visit = {"visited_on": "2026-10-08", "method": "电话", "applicant_view": "基本满意"}
    work(as_user("qujiang.supervisor"), "回访", visit)
    response = agent.post(f"/api/instances/{rating['rectification']['id']}/rating", json={"level": "满意"})
    assert response.status_code == 409
