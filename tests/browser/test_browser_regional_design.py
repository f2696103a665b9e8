"""丰城's designer reads the base beside 丰城's own version, its diff as a list and coloured in the modeler, at
1440 px and on a 390 px phone; a stored diagram's source never runs as a page."""

import io
from pathlib import Path

import pytest

from engine.core.clock import clock
from engine.core.models import ProcessDefinition
from server.extensions import db

pytestmark = pytest.mark.browser
FLOW = Path(__file__).resolve().parents[2] / "processes" / "bpmn" / "township_review_pay.bpmn"
RENAMED = "乡镇初审（丰城）"
WIDTHS = {"desktop": 1440, "phone": 390}


def deploy_fengcheng_edit(as_user) -> int:
    data = (
        FLOW.read_bytes()
        .replace('name="乡镇初审"'.encode(), f'name="{RENAMED}"'.encode())
        .replace(b'limits.get("township_review"), case_due), 5)', b'limits.get("township_review"), case_due), 3)')
    )
    response = as_user("fengcheng.designer").post(
        "/api/definitions",
        data={"file": (io.BytesIO(data), "township_review_pay.bpmn")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_designer_reads_the_base_beside_the_region_and_the_diff(as_user, login, screenshot, device):
    own_id = deploy_fengcheng_edit(as_user)
    page = login("fengcheng.designer")
    page.set_viewport_size({"width": WIDTHS[device], "height": 900})
    page.goto("/design/processes")
    section = page.locator("#process-township_review_pay")
    assert section.locator("[data-scope=base] h3").inner_text() == "国家基础版本"
    region = section.locator("[data-scope='丰城市']")
    assert region.locator("h3").inner_text() == "丰城市版本"
    assert region.locator(f"li[data-definition-id='{own_id}'] .badge.current").inner_text() == "新办件使用"
    assert section.locator("[data-scope=base] .badge.current").count() == 0  # 丰城's new cases run its own
    assert page.locator("#process-instant [data-scope=base] .badge.current").count() == 1
    if device == "phone":  # the two columns stack, each table scrolls in its own box
        base_box = section.locator("[data-scope=base]").bounding_box()
        assert region.bounding_box()["y"] > base_box["y"] + base_box["height"] - 1
        assert page_width(page) <= WIDTHS[device]
    section.scroll_into_view_if_needed()
    screenshot(page, f"design-processes-{device}")

    region.locator(f"li[data-definition-id='{own_id}'] a", has_text="差异").click()
    page.wait_for_selector(".diff-list")
    changed = page.locator(".diff-list tr.diff-changed[data-element-id=township_review]")
    assert "乡镇初审" in changed.locator("del").inner_text() and RENAMED in changed.locator("ins").inner_text()
    assert page.locator(".diff-list tr.diff-changed").count() == 2
    if device == "phone":
        assert page_width(page) <= WIDTHS[device]
    screenshot(page, f"design-diff-{device}")

    page.click("text=在设计器中查看")
    page.wait_for_selector("#canvas[data-ready=true]")
    assert page.locator(".djs-element.diff-changed[data-element-id=township_review]").count() == 1
    assert page.locator(".djs-element.diff-changed[data-element-id=township_review_escalation]").count() == 1
    assert page.locator(".djs-overlay-diff .diff-badge.changed").count() == 2
    assert page.locator(".djs-element.diff-added").count() == 0
    if device == "phone":
        assert page_width(page) <= WIDTHS[device]
    screenshot(page, f"design-modeler-diff-{device}")


def test_another_regions_designer_sees_neither_the_version_nor_its_diff(as_user, login):
    own_id = deploy_fengcheng_edit(as_user)
    page = login("yongzhou.designer")
    page.goto("/design/processes")
    assert page.locator(f"[data-definition-id='{own_id}']").count() == 0
    assert page.locator("[data-scope='丰城市']").count() == 0
    assert page.goto(f"/design/versions/{own_id}/diff").status == 404


def test_a_stored_diagram_with_an_xhtml_script_does_not_run_when_its_source_is_opened(app, login):
    with app.app_context():
        definition = ProcessDefinition(
            process_key="xss_probe",
            name="xss",
            version=1,
            content_hash="y" * 64,
            calls={},
            bpmn_xml=FLOW.read_text("utf-8").replace(
                "<bpmn:extensionElements>",
                '<bpmn:extensionElements><h:script xmlns:h="http://www.w3.org/1999/xhtml">'
                "window.pwned = 1; document.title = 'pwned'</h:script>",
                1,
            ),
            source_name="xss.bpmn",
            deployed_by="system",
            deployed_at=clock.now(),
        )
        db.session.add(definition)
        db.session.commit()
        definition_id = definition.id
    page = login("fengcheng.designer")
    response = page.goto(f"/design/versions/{definition_id}/source")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert page.evaluate("window.pwned") is None and page.title() != "pwned"
    assert "<h:script" in page.locator("body").inner_text()
