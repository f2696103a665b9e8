"""Administrators suspend, resume, terminate and retry cases; clerks see the effect in their inboxes."""

import pytest

from engine.core.models import CaseInstance
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details

pytestmark = pytest.mark.usefixtures("fresh")

ADMIN = "fengcheng.admin"
TOWNSHIP = "qujiang.township_clerk"
ALL_MATERIALS = [
    "医保电子凭证或有效身份证件或社保卡（查看）",
    "费用发票原件",
    "费用清单原件（加盖医院公章）",
    "慢性病证复印件",
]


def start(as_user):
    response = as_user("qujiangcun.village_agent").post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": "360981104201",
            "applicant": applicant(),
            "materials": ALL_MATERIALS,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def candidates(as_user, username=TOWNSHIP):
    return as_user(username).get("/api/tasks?view=candidate").get_json()["items"]


def test_suspended_case_leaves_the_inbox_until_resumed(as_user):
    case_id = start(as_user)
    task_id = candidates(as_user)[0]["id"]
    admin = as_user(ADMIN)

    response = admin.post(f"/api/admin/instances/{case_id}/suspend", json={"reason": "申请人要求暂缓"})
    assert response.status_code == 200 and response.get_json()["status"] == "suspended"
    assert candidates(as_user) == []
    assert as_user(TOWNSHIP).post(f"/api/tasks/{task_id}/claim").status_code == 409

    assert admin.post(f"/api/admin/instances/{case_id}/suspend").status_code == 409
    assert admin.post(f"/api/admin/instances/{case_id}/resume").get_json()["status"] == "running"
    assert [t["id"] for t in candidates(as_user)] == [task_id]
    actions = [e["action"] for e in admin.get(f"/api/instances/{case_id}").get_json()["history"]]
    assert actions[-2:] == ["suspended", "resumed"]


def test_terminate_needs_a_reason_and_cancels_waiting_tasks(as_user):
    case_id = start(as_user)
    admin = as_user(ADMIN)

    refused = admin.post(f"/api/admin/instances/{case_id}/terminate", json={"reason": "  "})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"reason": ["请填写终止原因"]}

    done = admin.post(f"/api/admin/instances/{case_id}/terminate", json={"reason": "申请人撤回申请"})
    assert done.status_code == 200 and done.get_json()["status"] == "terminated"
    assert candidates(as_user) == []
    detail = admin.get(f"/api/instances/{case_id}").get_json()
    assert detail["tasks"] == []
    assert detail["history"][-1]["detail"] == {"reason": "申请人撤回申请"}
    assert admin.post(f"/api/admin/instances/{case_id}/resume").status_code == 409


def test_only_administrators_act_on_cases(as_user):
    case_id = start(as_user)
    for username in (TOWNSHIP, "fc-centre.supervisor", "fengcheng.designer"):
        assert as_user(username).post(f"/api/admin/instances/{case_id}/suspend").status_code == 403
    assert as_user(ADMIN).post("/api/admin/instances/999999/suspend").status_code == 404


def test_retry_clears_the_error_when_the_flow_carries_on_and_refuses_without_one(app, as_user):
    case_id = start(as_user)
    admin = as_user(ADMIN)
    assert admin.post(f"/api/admin/instances/{case_id}/retry").status_code == 409
    with app.app_context():
        db.session.get(CaseInstance, case_id).last_error = "ZeroDivisionError: division by zero"
        db.session.commit()

    response = admin.post(f"/api/admin/instances/{case_id}/retry")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["last_error"] is None
    assert admin.get(f"/api/instances/{case_id}").get_json()["history"][-1]["action"] == "retried"
