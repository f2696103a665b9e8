"""GET /api/progress: an applicant's progress without an account, by 办件编号 and the ID number's last six
characters; every miss answers the same, and one address may try ten times a minute."""

import json

import pytest
from sqlalchemy import select, update

from engine import workcalendar
from engine.core.clock import clock
from engine.core.models import CaseInstance, User
from server.extensions import db, limiter
from tests.factories import applicant, id_number, mandate, reimbursement_details
from tests.scenarios import (
    ALL_MATERIALS,
    APPROVE,
    CONCLUDED_AT,
    PAYOUT,
    VILLAGE,
    at,
    collect,
    concluded_case,
    start_at_village,
    work,
)

pytestmark = pytest.mark.usefixtures("fresh")

NO_MATCH = "未找到该办件，请核对办件编号和身份证号后六位"
AGENT = "qujiangcun.village_agent"
TOWNSHIP_CLERK = "qujiang.township_clerk"


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Each test starts with no tries counted against any address."""
    limiter.reset()
    yield
    limiter.reset()


def lookup(client, case_no, id_tail, address="127.0.0.1"):
    return client.get(
        "/api/progress", query_string={"case_no": case_no, "id_tail": id_tail}, environ_base={"REMOTE_ADDR": address}
    )


def tail(number: str) -> str:
    return number[-6:]


def accept(as_user, person):
    """A 门诊费用报销 for `person` (an applicant dict), all materials, accepted at the 曲江村 window."""
    response = as_user(AGENT).post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": VILLAGE,
            "applicant": person,
            "materials": ALL_MATERIALS,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def staff_names(app):
    with app.app_context():
        names = db.session.scalars(select(User.display_name)).all()
        db.session.remove()
    return names


def test_the_right_tail_shows_item_stage_and_deadline_and_no_one_by_name(app, as_user, client):
    clock.freeze(at("2026-10-08T10:00:00"))
    case = start_at_village(as_user)
    response = lookup(client, case["case_no"], tail(id_number()))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["case_no"] == case["case_no"]
    assert body["item_name"] == "门诊费用报销"
    assert body["unit"] == "曲江村"
    assert body["applicant"] == "张*"
    assert (body["status"], body["status_code"]) == ("办理中", "running")
    assert body["stages"] == [{"name": "乡镇初审", "unit": "曲江镇"}]
    # 30 working days from 10-08 (次日起算): the last allowed day, in a year whose notice is loaded
    expected = workcalendar.default_calendar().due(at("2026-10-08T10:00:00"), 30).due_date
    assert body["due_date"] == expected.isoformat()
    assert (body["due_state"], body["due_label"], body["provisional"]) == ("normal", "", False)
    assert body["outcome"] is None and body["completed_at"] is None

    text = json.dumps(body, ensure_ascii=False)
    for name in staff_names(app):
        assert name not in text
    assert "张三" not in text and id_number() not in text and "13907951234" not in text
    assert set(body) == {
        "case_no",
        "item_name",
        "unit",
        "applicant",
        "status",
        "status_code",
        "accepted_at",
        "stages",
        "due_date",
        "due_state",
        "due_label",
        "provisional",
        "completed_at",
        "outcome",
    }


def test_the_stage_moves_on_with_the_case(as_user, client):
    case = start_at_village(as_user)
    work(as_user(TOWNSHIP_CLERK), "乡镇初审", APPROVE)
    body = lookup(client, case["case_no"], tail(id_number())).get_json()
    assert [stage["name"] for stage in body["stages"]] == ["移交医保中心"]


def test_every_miss_gets_the_same_answer(app, as_user, client):
    mine = accept(as_user, applicant("张三", "36098119800101123"))
    other = applicant("李四", "36098119900202456")
    accept(as_user, other)
    misses = [
        lookup(client, mine["case_no"], "000000"),  # wrong tail
        lookup(client, "360981-20261008-999999", tail(id_number())),  # no such case
        lookup(client, mine["case_no"], tail(other["id_number"])),  # the tail of another applicant
    ]
    with app.app_context():  # a case whose applicant gave no ID number
        db.session.execute(
            update(CaseInstance).where(CaseInstance.case_no == mine["case_no"]).values(applicant_id_number=None)
        )
        db.session.commit()
    misses.append(lookup(client, mine["case_no"], tail(id_number())))
    assert {response.status_code for response in misses} == {404}
    bodies = {response.get_data(as_text=True) for response in misses}
    assert len(bodies) == 1
    assert json.loads(bodies.pop()) == {"code": 404, "status": "Not Found", "message": NO_MATCH}


def test_an_x_at_the_end_matches_in_either_case(as_user, client):
    first17 = next(f"36098119800101{n:03d}" for n in range(1000) if id_number(f"36098119800101{n:03d}").endswith("X"))
    case = accept(as_user, applicant("王五", first17))
    number = id_number(first17)
    for typed in (tail(number), tail(number).lower()):
        response = lookup(client, case["case_no"], typed)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["applicant"] == "王*"


def test_the_eleventh_try_in_a_minute_is_refused_and_other_addresses_are_not(as_user, client):
    case = start_at_village(as_user)
    for _ in range(10):
        assert lookup(client, case["case_no"], "000000", address="10.1.1.1").status_code == 404
    refused = lookup(client, case["case_no"], tail(id_number()), address="10.1.1.1")
    assert refused.status_code == 429
    assert refused.get_json() == {"code": 429, "status": "Too Many Requests", "message": "查询次数过多，请一分钟后再试"}
    assert refused.headers["Retry-After"]
    assert lookup(client, case["case_no"], tail(id_number()), address="10.1.1.2").status_code == 200


def test_other_endpoints_are_not_limited(as_user, client):
    for _ in range(11):
        lookup(client, "X", "000000", address="10.2.2.2")
    assert client.get("/api/health", environ_base={"REMOTE_ADDR": "10.2.2.2"}).status_code == 200
    assert as_user(AGENT).get("/api/tasks?view=candidate").status_code == 200


def test_a_concluded_case_shows_its_outcome(as_user, client):
    case = concluded_case(as_user)
    body = lookup(client, case["case_no"], tail(id_number())).get_json()
    assert (body["status"], body["stages"]) == ("已办结", [])
    assert body["outcome"] == f"已拨付{PAYOUT['amount']}元至{PAYOUT['bank_name']}账户（{PAYOUT['paid_on']}）"
    assert body["completed_at"].startswith(CONCLUDED_AT.date().isoformat())
    assert (body["due_state"], body["due_label"]) == ("normal", "")


def test_a_rejected_case_shows_the_verdict_once_concluded(as_user, client):
    case = start_at_village(as_user)
    work(as_user(TOWNSHIP_CLERK), "乡镇初审", {"decision": "reject", "reason": "发票与清单金额不符"})
    body = lookup(client, case["case_no"], tail(id_number())).get_json()
    assert body["outcome"] is None and [stage["name"] for stage in body["stages"]] == ["出件"]
    collect(as_user(AGENT))
    body = lookup(client, case["case_no"], tail(id_number())).get_json()
    assert body["status"] == "已办结"
    assert body["outcome"] == "审核不通过：发票与清单金额不符"


def test_a_deadline_in_a_year_without_its_notice_is_provisional(as_user, client):
    clock.freeze(at("2026-12-20T10:00:00"))  # 30 working days reach into 2027, whose notice is not loaded
    case = start_at_village(as_user)
    body = lookup(client, case["case_no"], tail(id_number())).get_json()
    assert body["due_date"].startswith("2027-") and body["provisional"] is True


def test_bad_input_names_each_field(client):
    response = client.get("/api/progress")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"case_no": ["请填写办件编号"], "id_tail": ["请填写身份证号后六位"]}
    response = lookup(client, "3" * 41, "12345Y")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "case_no": ["办件编号不超过40个字符"],
        "id_tail": ["身份证号后六位应为6个字符，只能是数字或X"],
    }
    assert lookup(client, "360981-20261008-000001", "12345").get_json()["errors"] == {
        "id_tail": ["身份证号后六位应为6个字符，只能是数字或X"]
    }


def test_the_lookup_is_documented_as_public(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/progress"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {"case_no", "id_tail"}
    assert {"200", "404", "422", "429"} <= set(operation["responses"])
