"""Applicants' personal data (个人信息保护法): masked in every list and file, shown in full only on asking to the
unit working the case, each showing recorded, and who saw whose data listed for administrators."""

import pytest

from engine.cases.applicants import masked_applicant, masked_id_number, masked_mobile
from tests.factories import applicant
from tests.scenarios import ADMIN, start_at_village

pytestmark = pytest.mark.usefixtures("fresh")

PERSON = applicant()
ID_NUMBER, MOBILE = PERSON["id_number"], PERSON["mobile"]
MASKED_ID, MASKED_MOBILE = ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:], "139****1234"
TOWNSHIP = "qujiang.township_clerk"  # holds the open 乡镇初审 of a case accepted at 曲江村
VILLAGE = "qujiangcun.village_agent"  # accepted it, holds no open task of it
STRANGER = "xiaogang.township_clerk"  # another township: may not see it


def test_the_masks_keep_the_ends_only():
    assert masked_id_number(ID_NUMBER) == MASKED_ID
    assert masked_mobile(MOBILE) == MASKED_MOBILE == "139****1234"
    assert masked_mobile("1234567") == "*******" and masked_mobile(None) == masked_mobile("") == ""
    record = masked_applicant(PERSON | {"address": "曲江村1号"})
    assert record == {"name": "张三", "id_number": MASKED_ID, "mobile": MASKED_MOBILE, "address": "曲江村1号"}


def _everything_shown(caller, case) -> str:
    """Every answer of the REST API that shows the case or its task, as one text."""
    texts = [
        caller.get(f"/api/instances/{case['id']}").get_data(as_text=True),
        caller.get("/api/instances").get_data(as_text=True),
        caller.get(f"/api/instances?q={ID_NUMBER}").get_data(as_text=True),
        caller.get("/api/instances/accepted").get_data(as_text=True),
    ]
    for task in caller.get("/api/tasks?view=candidate").get_json()["items"]:
        texts.append(caller.get(f"/api/tasks/{task['id']}").get_data(as_text=True))
    return "\n".join(texts)


@pytest.mark.parametrize("username", [TOWNSHIP, VILLAGE, ADMIN])
def test_lists_files_and_tasks_show_the_id_number_and_mobile_masked(as_user, username):
    case = start_at_village(as_user)
    caller = as_user(username)
    shown = _everything_shown(caller, case)
    assert MASKED_ID in shown
    assert ID_NUMBER not in shown and MOBILE not in shown
    applicant_shown = caller.get(f"/api/instances/{case['id']}").get_json()["applicant"]
    assert applicant_shown == {"name": "张三", "id_number": MASKED_ID, "mobile": MASKED_MOBILE}


def test_the_unit_working_the_case_sees_the_full_numbers_and_the_showing_is_recorded(as_user):
    case = start_at_village(as_user)
    township = as_user(TOWNSHIP)
    response = township.post(f"/api/instances/{case['id']}/personal-data")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "case_id": case["id"],
        "case_no": case["case_no"],
        "name": "张三",
        "id_number": ID_NUMBER,
        "mobile": MOBILE,
    }
    history = township.get(f"/api/instances/{case['id']}").get_json()["history"]
    shown = [e for e in history if e["action"] == "personal_data_viewed"]
    assert len(shown) == 1
    assert shown[0]["action_label"] == "查看完整证件号"
    assert shown[0]["user"]["username"] == TOWNSHIP and shown[0]["org"]["name"] == "曲江镇"
    assert ID_NUMBER not in str(history)


def test_no_one_else_sees_the_full_numbers(as_user):
    case = start_at_village(as_user)
    url = f"/api/instances/{case['id']}/personal-data"
    refused = as_user(VILLAGE).post(url)  # accepted the case, but holds no open task of it
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "只有正在办理该办件的单位的工作人员可以查看完整证件号和手机号"
    assert as_user(ADMIN).post(url).status_code == 403  # administrators audit, they do not read
    assert as_user(STRANGER).post(url).status_code == 404  # a case one may not see does not exist
    assert as_user(TOWNSHIP).post("/api/instances/999999/personal-data").status_code == 404
    history = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["history"]
    assert not [e for e in history if e["action"] == "personal_data_viewed"]


def test_an_administrator_lists_who_saw_an_applicants_data(as_user):
    case = start_at_village(as_user)
    township = as_user(TOWNSHIP)
    assert township.post(f"/api/instances/{case['id']}/personal-data").status_code == 200
    assert township.post(f"/api/instances/{case['id']}/personal-data").status_code == 200
    admin = as_user(ADMIN)
    response = admin.get(f"/api/personal-data-views?id_number={ID_NUMBER.lower()}")
    assert response.status_code == 200, response.get_json()
    views = response.get_json()
    assert len(views) == 2
    assert {view["case_no"] for view in views} == {case["case_no"]}
    assert {view["user"]["username"] for view in views} == {TOWNSHIP}
    assert {view["seen"] for view in views} == {"完整证件号和手机号"}
    assert views[0]["at"] >= views[1]["at"]  # newest first

    other = applicant("李四", "36098119900202123")["id_number"]
    assert admin.get(f"/api/personal-data-views?id_number={other}").get_json() == []
    assert township.get(f"/api/personal-data-views?id_number={ID_NUMBER}").status_code == 403
    for bad in ("", "12345", "3609811980010112X3"):
        refused = admin.get(f"/api/personal-data-views?id_number={bad}")
        assert refused.status_code == 422 and "id_number" in refused.get_json()["errors"], bad
