"""Activiti, Flowable and Camunda 7 diagrams converted at upload, deployed for 丰城市 and run to their end: each task
in the inbox of the role its candidate group means in the region's table, with the form its vendor properties
describe, validated on the server; the initiator's task at the accepting window."""

from io import BytesIO
from pathlib import Path

import pytest

from engine.cases import acceptance
from engine.catalogue.flows import Flow
from forms import registry
from tests.factories import applicant
from tests.scenarios import ADMIN, TOWNSHIP, only_task

pytestmark = pytest.mark.usefixtures("fresh")
VENDOR = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "vendor"
ACTIVITI = (VENDOR / "leave_activiti.bpmn").read_bytes()
FLOWABLE = (
    ACTIVITI.replace(b'xmlns:activiti="http://activiti.org/bpmn"', b'xmlns:flowable="http://flowable.org/bpmn"')
    .replace(b"activiti:", b"flowable:")
    .replace(b"leave_activiti", b"leave_flowable")
)
CAMUNDA = (VENDOR / "leave_camunda.bpmn").read_bytes()
DESIGNER = "fengcheng.designer"
TOWNSHIP_CLERK = "qujiang.township_clerk"
REVIEWER = "fc-centre.centre_reviewer"


def upload(caller, data: bytes, name: str, **fields):
    return caller.post(
        "/api/definitions?convert=vendor",
        data={"file": (BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )


@pytest.fixture
def hr_group(as_user):
    """丰城市's table says that the group 人事处 is the centre's reviewers (the national table does not know it)."""
    response = as_user(ADMIN).post(
        "/api/group-roles", json={"region": "丰城市", "group": "人事处", "role": "centre_reviewer"}
    )
    assert response.status_code == 200, response.get_json()


def run_on(monkeypatch, process_key):
    monkeypatch.setattr(acceptance, "flow_for", lambda item: Flow(process_key, None, 3))


def accept(as_user):
    response = as_user(TOWNSHIP_CLERK).post(
        "/api/instances", json={"item": "fc-t-10", "org": TOWNSHIP, "applicant": applicant(), "materials": []}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def claim_with_form(caller, title):
    task = only_task(caller, title)
    assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    detail = caller.get(f"/api/tasks/{task['id']}").get_json()
    return task, detail["form_schema"]


def complete(caller, task, data, status=200):
    response = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(
    ("data", "key", "approve", "hr_field"),
    [
        (ACTIVITI, "leave_activiti", "deptleaderapprove", "hrapprove"),
        (FLOWABLE, "leave_flowable", "deptleaderapprove", "hrapprove"),
    ],
    ids=["activiti", "flowable"],
)
def test_a_leave_diagram_deploys_and_runs_to_its_end(as_user, monkeypatch, hr_group, data, key, approve, hr_field):
    response = upload(as_user(DESIGNER), data, f"{key}.bpmn")
    body = response.get_json()
    assert response.status_code == 201, body
    assert body["region"] == "丰城市" and body["conversion"]["unmapped_groups"] == []
    assert body["conversion"]["timers"] == "calendar"
    run_on(monkeypatch, key)
    case = accept(as_user)

    clerk = as_user(TOWNSHIP_CLERK)
    task, schema = claim_with_form(clerk, "部门领导审批")
    assert schema["title"] == "部门领导审批"
    assert {name: p["title"] for name, p in schema["properties"].items()} == {
        approve: "是否同意",
        "deptleadercomment": "审批意见",
    }
    assert schema["properties"][approve]["type"] == "boolean" and schema["required"] == [approve]
    refused = complete(clerk, task, {approve: "perhaps", "extra": 1}, 422)
    assert refused["errors"][approve] and refused["errors"]["extra"]
    complete(clerk, task, {approve: False, "deptleadercomment": "请补充天数"})

    task, schema = claim_with_form(clerk, "调整申请")  # the initiator: the window that accepted the case
    assert schema["properties"]["leavedays"] == {"type": "integer", "default": 1, "title": "请假天数"}
    complete(clerk, task, {"reapply": True, "leavedays": 3})

    task, _ = claim_with_form(clerk, "部门领导审批")
    complete(clerk, task, {approve: True})

    reviewer = as_user(REVIEWER)
    task, schema = claim_with_form(reviewer, "人事审批")
    assert schema["properties"][hr_field]["x-enumNames"] == ["同意", "不同意"]
    assert schema["properties"]["leavetype"]["default"] == "annual"
    complete(reviewer, task, {hr_field: "true"})

    done = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()
    assert done["status"] == "concluded", done


def test_a_camunda_form_data_diagram_runs_with_its_form(as_user, monkeypatch):
    response = upload(as_user(DESIGNER), CAMUNDA, "leave_camunda.bpmn")
    body = response.get_json()
    assert response.status_code == 201, body
    run_on(monkeypatch, "leave_camunda")
    case = accept(as_user)
    clerk = as_user(TOWNSHIP_CLERK)
    task, schema = claim_with_form(clerk, "部门领导审批")
    assert schema["properties"]["approved"]["title"] == "是否同意"
    assert schema["properties"]["comment"]["maxLength"] == 50
    assert schema["properties"]["leaveType"]["x-enumNames"] == ["年假", "事假"]
    assert "applicant" not in schema["properties"]  # readonly: shown nowhere to type, kept in the data
    assert complete(clerk, task, {"approved": True}, 422)["errors"]["leaveType"] == ["此项为必填项"]
    complete(clerk, task, {"approved": True, "leaveType": "annual", "comment": "同意"})
    reviewer = as_user(REVIEWER)
    task, schema = claim_with_form(reviewer, "中心复核")
    complete(reviewer, task, {"confirmed": True})
    assert as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["status"] == "concluded"


def test_a_described_form_is_found_by_a_process_that_never_deployed_it(as_user, app):
    """Another server worker knows the key only from the stored version (`vendor_forms.description_of`)."""
    assert upload(as_user(DESIGNER), CAMUNDA, "leave_camunda.bpmn").status_code == 201
    with app.app_context():
        from engine.bpmn.vendor_forms import description_of
        from engine.core.models import ProcessDefinition
        from server.extensions import db

        forms = db.session.query(ProcessDefinition.forms).filter_by(process_key="leave_camunda").scalar()
        key = next(iter(forms))
        described = registry._described.pop(key)
        registry.schema_for.cache_clear()
        try:
            assert description_of(key) == forms[key]
            assert registry.title_of(key) == forms[key]["title"]
        finally:
            registry._described[key] = described


def test_a_time_cycle_is_armed_at_start_and_repeats_when_swept(as_user, monkeypatch, app):
    """A case on a diagram with a timeCycle starts (it answered 500 before) and the cycle fires once per period."""
    from engine.core.clock import clock
    from engine.core.models import Timer
    from server.extensions import db
    from tests.scenarios import at, sweep_at

    assert upload(as_user(DESIGNER), CAMUNDA, "leave_camunda.bpmn").status_code == 201
    run_on(monkeypatch, "leave_camunda")
    clock.freeze(at("2026-12-03T10:00:00+08:00"))
    case = accept(as_user)

    def waiting():
        with app.app_context():
            rows = db.session.query(Timer).filter_by(instance_id=case["id"], state="waiting").all()
            found = [(row.title, row.fire_at.isoformat()) for row in rows]
            db.session.remove()
        return found

    assert waiting() == [("每小时提醒", "2026-12-03T11:00:00+08:00")]
    assert sweep_at(app, "2026-12-03T11:00:05+08:00").fired == 1
    assert waiting() == [("每小时提醒", "2026-12-03T12:00:00+08:00")]
    assert only_task(as_user(TOWNSHIP_CLERK), "部门领导审批")


def delete(caller, entry_id):
    return caller.test_client.delete(f"/api/group-roles/{entry_id}", headers=caller.headers)


def test_a_region_table_is_kept_by_its_own_administrators_only(as_user, hr_group):
    entry = as_user(ADMIN).get("/api/group-roles?region=丰城市").get_json()["entries"][0]
    assert entry["group"] == "人事处" and entry["lane"] == "医保中心审核员"
    other = as_user("fuzhou.admin")
    refused = other.get("/api/group-roles?region=丰城市")
    assert refused.status_code == 422 and "region" in refused.get_json()["errors"]
    assert delete(other, entry["id"]).status_code == 404
    assert (
        as_user(DESIGNER)
        .post("/api/group-roles", json={"region": "丰城市", "group": "x", "role": "township_clerk"})
        .status_code
        == 403
    )
    bad = as_user(ADMIN).post("/api/group-roles", json={"region": "丰城市", "group": "a,b", "role": "designer"})
    assert set(bad.get_json()["errors"]) == {"group", "role"}
    assert delete(as_user("platform.admin"), entry["id"]).status_code == 204


def test_unmapped_groups_are_listed_and_mapped_at_upload(as_user):
    data = CAMUNDA.replace(b'candidateGroups="management"', b'candidateGroups="legal"')
    first = upload(as_user(DESIGNER), data, "leave_camunda.bpmn")
    assert first.status_code == 422 and first.get_json()["conversion"]["unmapped_groups"] == ["legal"]
    lines = data.decode().splitlines()
    for problem in first.get_json()["problems"]:
        if problem["element_id"] and problem["line"]:
            assert problem["element_id"] in "\n".join(lines[problem["line"] - 2 : problem["line"] + 1]), problem
    again = upload(as_user(DESIGNER), data, "leave_camunda.bpmn", groups='{"legal": "centre_reviewer"}')
    assert again.status_code == 201, again.get_json()
    bad = upload(as_user(DESIGNER), data, "leave_camunda.bpmn", groups="[1]")
    assert bad.status_code == 422 and "groups" in bad.get_json()["errors"]
