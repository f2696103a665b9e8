"""A designer relabels a step in the modeler and deploys; running cases stay on their version."""

from pathlib import Path

import pytest

from engine.core.models import CaseInstance
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details

pytestmark = pytest.mark.browser

MATERIALS = [
    "医保电子凭证或有效身份证件或社保卡（查看）",
    "费用发票原件",
    "费用清单原件（加盖医院公章）",
    "慢性病证复印件",
]
NEW_LABEL = "乡镇初审（含材料核验）"


def start_case(as_user) -> dict:
    response = as_user("qujiangcun.village_agent").post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": "360981104201",
            "applicant": applicant(),
            "materials": MATERIALS,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def first_task_title(as_user, case_id: int) -> str:
    return as_user("qujiang.township_clerk").get(f"/api/instances/{case_id}").get_json()["tasks"][0]["title"]


def test_designer_relabels_a_step_and_deploys_while_an_old_case_continues(app, as_user, login, screenshot):
    old = start_case(as_user)
    with app.app_context():
        definition_id = db.session.get(CaseInstance, old["id"]).definition_id

    designer = login("fengcheng.designer")
    assert "/design/processes" in designer.url
    designer.click(f"a[href='/design/versions/{definition_id}/edit']")
    designer.wait_for_selector("#canvas[data-ready=true]")
    designer.click("[data-element-id=township_review]")
    designer.fill("#panel input[name=name]", NEW_LABEL)
    designer.press("#panel input[name=name]", "Enter")
    designer.click("#panel h2")
    assert designer.locator("#panel select").first.input_value() == "review"
    designer.click("#deploy")
    designer.click("#confirm-yes")
    designer.wait_for_selector(".flash-success")
    assert (
        designer.locator(".flash-success").inner_text()
        == f"已部署为新版本 v{old['definition_version'] + 1}（丰城市版本）"
    )
    assert designer.locator(".bjs-powered-by").is_visible()
    screenshot(designer, "modeler")

    new = start_case(as_user)
    assert new["definition_version"] == old["definition_version"] + 1
    assert first_task_title(as_user, new["id"]) == NEW_LABEL
    assert first_task_title(as_user, old["id"]) == "乡镇初审"


def test_modeler_shows_server_problems_on_their_elements(app, as_user, login):
    case = start_case(as_user)
    with app.app_context():
        definition_id = db.session.get(CaseInstance, case["id"]).definition_id
    designer = login("fengcheng.designer")
    designer.goto(f"/design/versions/{definition_id}/edit")
    designer.wait_for_selector("#canvas[data-ready=true]")
    designer.click("[data-element-id=township_review]")
    designer.select_option("#panel select", "")
    designer.click("#deploy")
    designer.wait_for_selector("#outcome.error-text")
    assert designer.locator(".djs-overlay-problem .problem-badge").count() >= 1
    assert "township_review" in designer.locator("#problems").inner_text()


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn"
MIWG = Path("/work/shared/bpmn-conformance/miwg-reference")


def test_designer_uploads_a_camunda_diagram_and_reads_what_was_converted(login, screenshot):
    designer = login("fengcheng.designer")
    designer.set_input_files("form.upload input[name=file]", str(FIXTURES / "camunda_review.bpmn"))
    designer.click("form.upload button")
    assert designer.locator(".outcome").inner_text().startswith("已部署为新版本：Camunda 复核 v")
    assert designer.locator("table.mapped tr", has_text="PT48H").count() == 1
    assert designer.locator("table.unmapped tr", has_text="second_review").count() >= 2
    screenshot(designer, "vendor_upload")

    designer.goto("/design/processes")
    designer.set_input_files("form.upload input[name=file]", str(MIWG / "C.1.0.bpmn"))
    designer.click("form.upload button")
    assert designer.locator(".outcome").inner_text() == "流程图校验未通过"
    assert designer.locator("table.problems-list tbody tr").count() >= 1
    accounting = designer.locator("table.mapped tr", has_text="accounting")  # the national table's group
    assert "医保中心拨付员" in accounting.first.inner_text(), designer.locator("table.mapped").inner_text()
