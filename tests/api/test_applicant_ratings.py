"""好差评 by the applicant, without an account: the 办件编号 and the ID number's last six characters, one rating per
case whichever way it comes, a 差评's 整改 at the unit whose stage was rated and its 回访 by the 督办员 above it."""

from datetime import datetime

import pytest

from engine.core.clock import SHANGHAI, clock
from engine.reporting import rating_counts
from server.extensions import db, limiter
from tests.factories import id_number
from tests.scenarios import RATED_AT, TOWNSHIP, VILLAGE, concluded_case, start_at_village, work

CENTRE = "360981-YB"
TAIL = id_number()[-6:]
RECTIFIED = {"finding": "初审积压属实", "measures": "增设初审岗，当日审核", "rectified_on": "2026-10-09"}
VISITED = {"visited_on": "2026-10-09", "method": "电话", "applicant_view": "满意"}

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Each test starts with no tries counted against any address."""
    limiter.reset()
    yield
    limiter.reset()


def rate(client, body, address="127.0.0.1"):
    return client.post("/api/public/ratings", json=body, environ_base={"REMOTE_ADDR": address})


def unit_counts(app, unit_code):
    with app.app_context():
        from engine.core.models import OrgUnit

        unit = db.session.query(OrgUnit).filter_by(code=unit_code).one()
        figures = rating_counts.counts(db.session, since=None, until=None, org_ids=[unit.id]).get(unit.id)
        db.session.remove()
    return figures


def test_the_applicant_rates_once_and_staff_see_it(as_user, client):
    case = concluded_case(as_user)
    response = rate(client, {"case_no": case["case_no"], "id_tail": TAIL.lower(), "level": "非常满意", "comment": "快"})
    assert response.status_code == 201, response.get_json()
    # the last stage by default: 出件, at the village window that accepted; no staff named to the applicant
    assert response.get_json() == {
        "case_no": case["case_no"],
        "level": "非常满意",
        "stage": "出件",
        "unit": "曲江村",
        "comment": "快",
        "recorded_at": RATED_AT.isoformat(),
        "follow_up": False,
    }
    again = rate(client, {"case_no": case["case_no"], "id_tail": TAIL, "level": "不满意"})
    assert again.status_code == 409
    assert again.get_json()["message"] == "该办件已评价，每件办件只能评价一次"

    agent = as_user("qujiangcun.village_agent")
    seen = agent.get(f"/api/instances/{case['id']}/rating").get_json()
    assert (seen["channel"], seen["recorded_by"], seen["stage"], seen["responsible_org"]["code"]) == (
        "online",
        None,
        "出件",
        VILLAGE,
    )
    # the window's 评价器 cannot add a second rating either
    assert agent.post(f"/api/instances/{case['id']}/rating", json={"level": "满意"}).status_code == 409
    rated = [e for e in agent.get(f"/api/instances/{case['id']}").get_json()["history"] if e["action"] == "rated"]
    assert [(e["detail"]["channel"], e["detail"]["stage"], e["user"]) for e in rated] == [("online", "出件", None)]


def test_a_rating_at_the_windows_rater_is_the_one_rating(as_user, client):
    case = concluded_case(as_user)
    agent = as_user("qujiangcun.village_agent")
    recorded = agent.post(f"/api/instances/{case['id']}/rating", json={"level": "满意", "stage": "乡镇初审"})
    assert recorded.status_code == 201, recorded.get_json()
    assert (recorded.get_json()["channel"], recorded.get_json()["responsible_org"]["code"]) == ("window", TOWNSHIP)
    assert rate(client, {"case_no": case["case_no"], "id_tail": TAIL, "level": "满意"}).status_code == 409


def test_a_wrong_tail_and_an_unknown_number_are_answered_alike(as_user, client):
    case = concluded_case(as_user)
    wrong_tail = rate(client, {"case_no": case["case_no"], "id_tail": "000000", "level": "满意"})
    unknown = rate(client, {"case_no": case["case_no"][:-6] + "999999", "id_tail": TAIL, "level": "满意"})
    assert wrong_tail.status_code == unknown.status_code == 404
    assert wrong_tail.get_json() == unknown.get_json()
    assert wrong_tail.get_json()["message"] == "未找到该办件，请核对办件编号和身份证号后六位"
    # a wrong tail is answered before the rest is read: nothing tells that the case exists
    assert rate(client, {"case_no": case["case_no"], "id_tail": "000000", "level": "好"}).status_code == 404

    malformed = rate(client, {"case_no": "", "id_tail": "12"})
    assert malformed.status_code == 422
    assert set(malformed.get_json()["errors"]) == {"case_no", "id_tail"}
    bad_level = rate(client, {"case_no": case["case_no"], "id_tail": TAIL, "level": "还行", "comment": "x" * 501})
    assert bad_level.status_code == 422
    assert set(bad_level.get_json()["errors"]) == {"level", "comment"}
    no_such_stage = rate(client, {"case_no": case["case_no"], "id_tail": TAIL, "level": "满意", "stage": "面谈"})
    assert no_such_stage.status_code == 422
    assert no_such_stage.get_json()["errors"]["stage"] == [
        "该办件没有“面谈”环节，可选：受理、乡镇初审、移交医保中心、医保中心复核、拨付、出件"
    ]
    assert as_user("qujiangcun.village_agent").get(f"/api/instances/{case['id']}/rating").status_code == 404


def test_a_running_case_is_rated_after_it_concludes(as_user, client):
    clock.freeze(RATED_AT)
    case = start_at_village(as_user)
    response = rate(client, {"case_no": case["case_no"], "id_tail": TAIL, "level": "满意"})
    assert response.status_code == 409
    assert response.get_json()["message"] == "办件尚未办结，办结后才能评价"


def test_ten_tries_a_minute_per_address(as_user, client):
    case = concluded_case(as_user)
    for _ in range(10):
        assert rate(client, {"case_no": case["case_no"], "id_tail": "000000"}, address="10.3.3.3").status_code == 404
    refused = rate(client, {"case_no": case["case_no"], "id_tail": TAIL, "level": "满意"}, address="10.3.3.3")
    assert refused.status_code == 429
    assert refused.get_json()["message"] == "提交次数过多，请一分钟后再试"
    assert refused.headers["Retry-After"]
    # another address, and the progress lookup of the same address, are not held up
    assert (
        client.get(
            "/api/progress",
            query_string={"case_no": case["case_no"], "id_tail": TAIL},
            environ_base={"REMOTE_ADDR": "10.3.3.3"},
        ).status_code
        == 200
    )
    assert (
        rate(client, {"case_no": case["case_no"], "id_tail": TAIL, "level": "满意"}, address="10.3.3.4").status_code
        == 201
    )


def test_a_poor_rating_of_the_township_review_is_rectified_there_and_visited_by_the_centres_supervisor(
    app, as_user, client
):
    case = concluded_case(as_user)
    response = rate(
        client,
        {
            "case_no": case["case_no"],
            "id_tail": TAIL,
            "level": "不满意",
            "stage": "乡镇初审",
            "comment": "初审拖了很久",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["unit"], response.get_json()["follow_up"]) == ("曲江镇", True)
    assert unit_counts(app, TOWNSHIP) == {
        "ratings": 1,
        "poor_ratings": 1,
        "good_rate": 0.0,
        "follow_up_rate": 0.0,
        "handled_rate": 0.0,
    }

    # 整改 at the township that did 乡镇初审, not at the centre that worked the last step
    township = as_user("qujiang.township_clerk")
    (task,) = township.get("/api/tasks?view=candidate").get_json()["items"]
    assert (task["title"], task["form_key"], task["org"]["code"], task["case_no"]) == (
        "整改",
        "rectification",
        TOWNSHIP,
        case["case_no"] + "-ZG",
    )
    # 整改 within 5 working days from 10-09 (processes/step_limits.toml): 09, 10 (调休), 12, 13, 14
    assert (task["limit_days"], task["due_at"]) == (5, "2026-10-15T00:00:00+08:00")
    for other in ("fc-centre.centre_clerk", "qujiangcun.village_agent", "fc-centre.supervisor"):
        assert as_user(other).get("/api/tasks?view=candidate").get_json()["total"] == 0, other
    clock.freeze(datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI))
    work(township, "整改", RECTIFIED)
    assert unit_counts(app, TOWNSHIP)["handled_rate"] == 1.0

    # 回访 by the 督办员 of the centre above the township, who did not do the work rated
    supervisor = as_user("fc-centre.supervisor")
    (visit,) = supervisor.get("/api/tasks?view=candidate").get_json()["items"]
    assert (visit["title"], visit["org"]["code"], visit["role"]) == ("回访", CENTRE, "supervisor")
    # 回访 within its own 7 working days from 10-10: 10, 12–16, 19
    assert (visit["limit_days"], visit["due_at"]) == (7, "2026-10-20T00:00:00+08:00")
    assert as_user("qujiang.supervisor").get("/api/tasks?view=candidate").get_json()["total"] == 0
    work(supervisor, "回访", VISITED)

    assert unit_counts(app, TOWNSHIP) == {
        "ratings": 1,
        "poor_ratings": 1,
        "good_rate": 0.0,
        "follow_up_rate": 1.0,
        "handled_rate": 1.0,
    }
    assert unit_counts(app, VILLAGE) is None  # the village's 出件 was not rated
    rating = as_user("qujiangcun.village_agent").get(f"/api/instances/{case['id']}/rating").get_json()
    assert (rating["stage"], rating["responsible_org"]["code"], rating["rectification"]["status"]) == (
        "乡镇初审",
        TOWNSHIP,
        "concluded",
    )


def test_a_poor_rating_of_the_acceptance_goes_to_the_village_and_its_townships_supervisor(as_user, client):
    case = concluded_case(as_user)
    response = rate(client, {"case_no": case["case_no"], "id_tail": TAIL, "level": "非常不满意", "stage": "受理"})
    assert response.status_code == 201, response.get_json()
    agent = as_user("qujiangcun.village_agent")
    (task,) = agent.get("/api/tasks?view=candidate").get_json()["items"]
    assert (task["title"], task["org"]["code"]) == ("整改", VILLAGE)
    work(agent, "整改", RECTIFIED | {"rectified_on": "2026-10-08"})
    (visit,) = as_user("qujiang.supervisor").get("/api/tasks?view=candidate").get_json()["items"]
    assert (visit["title"], visit["org"]["code"]) == ("回访", TOWNSHIP)


def test_counts_per_rated_unit_within_the_period(app, as_user, client):
    first = concluded_case(as_user)
    second = concluded_case(as_user)
    third = concluded_case(as_user)
    assert rate(client, {"case_no": first["case_no"], "id_tail": TAIL, "level": "满意"}).status_code == 201
    assert rate(client, {"case_no": second["case_no"], "id_tail": TAIL, "level": "基本满意"}).status_code == 201
    clock.freeze(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI))
    assert rate(client, {"case_no": third["case_no"], "id_tail": TAIL, "level": "不满意"}).status_code == 201
    with app.app_context():
        from engine.core.models import OrgUnit

        village = db.session.query(OrgUnit).filter_by(code=VILLAGE).one().id
        october = rating_counts.counts(
            db.session,
            since=datetime(2026, 10, 1, tzinfo=SHANGHAI),
            until=datetime(2026, 11, 1, tzinfo=SHANGHAI),
        )
        everything = rating_counts.counts(db.session, since=None, until=None)
        db.session.remove()
    assert october == {
        village: {"ratings": 2, "poor_ratings": 0, "good_rate": 1.0, "follow_up_rate": 1.0, "handled_rate": 1.0}
    }
    assert everything[village] == {
        "ratings": 3,
        "poor_ratings": 1,
        "good_rate": 0.6667,
        "follow_up_rate": 0.0,
        "handled_rate": 0.0,
    }


def test_the_public_rating_is_described_in_the_openapi(client):
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/public/ratings"]["post"]
    assert {"201", "404", "409", "422", "429"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {"case_no", "id_tail", "level", "stage", "comment"} <= set(body["properties"])
