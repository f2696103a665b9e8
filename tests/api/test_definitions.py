"""Deploying diagrams: versions by content hash, validation on upload, the sandbox."""

import io
from pathlib import Path

import pytest

from tests.scenarios import ALL_MATERIALS, APPROVE, only_task, start_at_village, work

pytestmark = pytest.mark.usefixtures("fresh")
BPMN = Path(__file__).resolve().parents[2] / "processes" / "bpmn"
FLOW = BPMN / "township_review_pay.bpmn"
NOTICE = BPMN / "shared" / "notice_supplement.bpmn"
DESIGNER = "fengcheng.designer"


def upload(caller, data: bytes, name="flow.bpmn"):
    return caller.post("/api/definitions", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_identical_content_creates_no_new_version(as_user):
    response = upload(as_user(DESIGNER), FLOW.read_bytes())
    assert response.status_code == 200
    assert response.get_json()["created"] is False
    assert response.get_json()["version"] == 1


def test_new_version_leaves_running_cases_on_theirs(as_user):
    old_case = start_at_village(as_user)
    changed = FLOW.read_bytes().replace('name="乡镇初审"'.encode(), 'name="乡镇初审（新）"'.encode())
    response = upload(as_user(DESIGNER), changed)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 2

    new_case = start_at_village(as_user)
    assert new_case["definition_version"] == 2
    township = as_user("qujiang.township_clerk")
    titles = sorted(t["title"] for t in township.get("/api/tasks").get_json()["items"])
    assert titles == ["乡镇初审", "乡镇初审（新）"]
    old = as_user("qujiangcun.village_agent").get(f"/api/instances/{old_case['id']}").get_json()
    assert old["definition_version"] == 1
    work(township, "乡镇初审", APPROVE)
    assert only_task(township, "移交医保中心")


def test_only_designers_deploy(as_user):
    assert upload(as_user("qujiang.township_clerk"), FLOW.read_bytes()).status_code == 403


MALICIOUS = NOTICE.read_bytes().replace(
    b"missing = [m for m in missing if m not in received]",
    b"__import__('os').system('touch /tmp/yibao-pwned')",
)


def test_malicious_script_is_refused_naming_the_element(as_user):
    response = upload(as_user(DESIGNER), MALICIOUS)
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert any(p["element_id"] == "recheck_materials" for p in problems), problems
    assert not Path("/tmp/yibao-pwned").exists()


def test_broken_xml_is_refused_with_its_line(as_user):
    response = upload(as_user(DESIGNER), b'<?xml version="1.0"?>\n<definitions>\n<process id="p">\n</definitions>')
    assert response.status_code == 422
    assert response.get_json()["problems"][0]["line"] in (3, 4)


def test_unknown_lane_and_form_are_named(as_user):
    bad = (
        FLOW.read_bytes()
        .replace("医保中心拨付员".encode(), "财务科".encode())
        .replace(b'value="payout"', b'value="no_such_form"')
    )
    response = upload(as_user(DESIGNER), bad)
    assert response.status_code == 422
    messages = " ".join(p["message"] for p in response.get_json()["problems"])
    assert "财务科" in messages and "no_such_form" in messages


def test_entity_expansion_is_refused(as_user):
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><d>&b;</d>'
    assert upload(as_user(DESIGNER), bomb).status_code == 422


def test_oversized_upload_is_refused(as_user):
    huge = b"<definitions>" + b" " * (3 * 1024 * 1024) + b"</definitions>"
    assert upload(as_user(DESIGNER), huge).status_code in (413, 422)


def test_a_failing_step_rolls_back_and_is_visible_to_administrators(as_user):
    failing = NOTICE.read_bytes().replace(
        b"missing = [m for m in missing if m not in received]", b"missing = len(received) / 0"
    )
    assert upload(as_user(DESIGNER), failing).status_code == 201
    case = start_at_village(as_user, materials=ALL_MATERIALS[:2])
    agent = as_user("qujiangcun.village_agent")
    work(agent, "一次性告知", {"missing": ALL_MATERIALS[2:]})
    supplement = only_task(as_user("qujiangcun.village_agent"), "补正登记")
    agent.post(f"/api/tasks/{supplement['id']}/claim")
    response = agent.post(f"/api/tasks/{supplement['id']}/complete", json={"data": {"received": ALL_MATERIALS[2:]}})
    assert response.status_code == 422
    assert "出错" in response.get_json()["message"]

    detail = as_user("fengcheng.admin").get(f"/api/instances/{case['id']}").get_json()
    assert "ZeroDivisionError" in detail["last_error"]
    assert [t["title"] for t in detail["tasks"]] == ["补正登记"]
    assert detail["tasks"][0]["assignee"]["username"] == "qujiangcun.village_agent"
    assert detail["history"][-1]["action"] == "error"
    assert all(e["task"] != "补正登记" or e["action"] != "completed" for e in detail["history"])


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in (
        "/api/auth/token",
        "/api/instances",
        "/api/instances/{case_id}",
        "/api/tasks",
        "/api/tasks/{task_id}",
        "/api/tasks/{task_id}/claim",
        "/api/tasks/{task_id}/unclaim",
        "/api/tasks/{task_id}/complete",
        "/api/definitions",
        "/api/calendar/days",
        "/api/calendar/due",
    ):
        assert path in spec["paths"], path


def versions_of(caller, key):
    return sorted(d["version"] for d in caller.get("/api/definitions").get_json() if d["process_key"] == key)


def test_a_new_shared_sub_flow_gives_callers_a_new_version_and_running_cases_keep_theirs(as_user):
    designer = as_user(DESIGNER)
    old_case = start_at_village(as_user, materials=ALL_MATERIALS[:2])
    renamed = NOTICE.read_bytes().replace('name="一次性告知"'.encode(), 'name="一次性告知（新）"'.encode())
    response = upload(designer, renamed, "notice_supplement.bpmn")
    assert response.status_code == 201, response.get_json()
    assert versions_of(designer, "notice_supplement") == [1, 2]
    assert versions_of(designer, "township_review_pay") == [1, 2]
    assert versions_of(designer, "instant") == [1, 2]
    assert upload(designer, renamed).get_json()["created"] is False
    assert versions_of(designer, "township_review_pay") == [1, 2]

    new_case = start_at_village(as_user, materials=ALL_MATERIALS[:2])
    assert new_case["definition_version"] == 2
    agent = as_user("qujiangcun.village_agent")
    assert only_task(agent, "一次性告知（新）")["instance_id"] == new_case["id"]
    assert only_task(agent, "一次性告知")["instance_id"] == old_case["id"]
    work(agent, "一次性告知", {"missing": ALL_MATERIALS[2:]})
    work(agent, "补正登记", {"received": ALL_MATERIALS[2:]})
    review = only_task(as_user("qujiang.township_clerk"), "乡镇初审")
    assert review["instance_id"] == old_case["id"]
    old = agent.get(f"/api/instances/{old_case['id']}").get_json()
    assert old["definition_version"] == 1


def test_a_call_to_a_process_never_deployed_is_refused(as_user):
    dangling = FLOW.read_bytes().replace(b'calledElement="township_handover"', b'calledElement="no_such_flow"')
    response = upload(as_user(DESIGNER), dangling)
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert any(p["element_id"] == "hand_over" and "no_such_flow" in p["message"] for p in problems), problems


def test_the_version_list_names_who_deployed_each_version(as_user):
    changed = FLOW.read_bytes().replace('name="乡镇初审"'.encode(), 'name="乡镇初审（新）"'.encode())
    assert upload(as_user(DESIGNER), changed).status_code == 201
    listed = {
        (row["version"], row["region"]): row
        for row in as_user(DESIGNER).get("/api/definitions").get_json()
        if row["process_key"] == "township_review_pay"
    }
    own = listed[(2, "丰城市")]
    assert own["deployed_by"] == DESIGNER and own["deployed_by_name"] == "流程设计员（丰城市）"
    shipped = listed[(1, None)]
    assert shipped["deployed_by"] == "system" and shipped["deployed_by_name"] == "系统（随程序发布）"
