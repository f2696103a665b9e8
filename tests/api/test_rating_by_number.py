"""A rating by 办件编号 tells nothing about cases the caller may not see: an unknown number and another unit's
case get the same answer."""

import pytest

from tests.scenarios import concluded_case

pytestmark = pytest.mark.usefixtures("fresh")


def test_an_unknown_number_and_another_units_case_are_answered_alike(as_user):
    case = concluded_case(as_user)
    stranger = as_user("xiaogangcun.village_agent")  # another village: may not see the case
    unknown_no = case["case_no"][:-6] + "999999"
    theirs = stranger.post("/api/ratings", json={"case_no": case["case_no"], "level": "满意"})
    unknown = stranger.post("/api/ratings", json={"case_no": unknown_no, "level": "满意"})
    assert theirs.status_code == unknown.status_code == 422
    assert theirs.get_json()["message"] == unknown.get_json()["message"]
    assert theirs.get_json()["errors"] == {"case_no": [f"没有编号为“{case['case_no']}”的办件"]}
    assert unknown.get_json()["errors"] == {"case_no": [f"没有编号为“{unknown_no}”的办件"]}

    agent = as_user("qujiangcun.village_agent")  # the accepting village still rates it by number
    assert agent.post("/api/ratings", json={"case_no": case["case_no"], "level": "满意"}).status_code == 201
