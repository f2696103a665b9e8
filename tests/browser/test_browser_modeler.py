"""The modeler as a designer uses it at a desk and on a phone: the palette clear of the diagram, a properties panel
in Chinese, problems named in Chinese, a deploy confirmed after seeing what it changes, the header naming the
version deployed, and the version list naming who deployed it."""

import re

import pytest
from sqlalchemy import select

from engine.core.models import ProcessDefinition
from server.extensions import db

pytestmark = pytest.mark.browser

WIDTHS = [1440, 390]
CJK = re.compile(r"[\u4e00-\u9fff]")


def shipped_id(app, key="township_review_pay") -> int:
    with app.app_context():
        return db.session.scalars(
            select(ProcessDefinition.id).where(ProcessDefinition.process_key == key, ProcessDefinition.region.is_(None))
        ).one()


def versions_of(app, key="township_review_pay") -> list[ProcessDefinition]:
    with app.app_context():
        return list(db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == key)))


def open_modeler(login, app, width: int, key="township_review_pay"):
    page = login("fengcheng.designer")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/design/versions/{shipped_id(app, key)}/edit")
    page.wait_for_selector("#canvas[data-ready=true]")
    return page


def overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and (a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("key", ["township_review_pay", "designated_agreement"])
def test_the_palette_leaves_the_start_event_and_the_lane_labels_clear(app, login, screenshot, width, key):
    page = open_modeler(login, app, width, key)
    palette = page.locator(".djs-palette").bounding_box()
    canvas = page.locator("#canvas").bounding_box()
    with app.app_context():
        definition = db.session.get(ProcessDefinition, shipped_id(app, key))
        start_id = re.search(r'<bpmn:startEvent id="([^"]+)"', definition.bpmn_xml).group(1)
    start_box = page.locator(f".djs-shape[data-element-id='{start_id}'] .djs-visual").bounding_box()
    assert not overlaps(palette, start_box), (palette, start_box)
    lanes = page.locator(".djs-shape[data-element-id^=Lane_] .djs-visual text")
    assert lanes.count() >= 2
    for index in range(lanes.count()):
        label = lanes.nth(index).bounding_box()
        assert not overlaps(palette, label), (palette, label)
    # the diagram shows whole inside the canvas
    assert start_box["x"] >= canvas["x"] and start_box["y"] >= canvas["y"]
    screenshot(page, f"modeler_{key}_{width}")


def texts_outside_ids(page) -> list[str]:
    """Every text of the properties panel except ids shown as secondary (`.mono`) and what inputs hold."""
    return page.evaluate(
        """() => {
          const found = [];
          const walk = document.createTreeWalker(document.getElementById('panel'), NodeFilter.SHOW_TEXT);
          while (walk.nextNode()) {
            const text = walk.currentNode.textContent.trim();
            const holder = walk.currentNode.parentElement;
            if (text && !holder.closest('.mono') && !holder.closest('option')) found.push(text);
          }
          document.querySelectorAll('#panel option:checked').forEach(o => found.push(o.textContent.trim()));
          return found;
        }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_properties_panel_speaks_chinese(app, login, screenshot, width):
    page = open_modeler(login, app, width)
    elements = {
        "township_review": ("乡镇初审", "用户任务 · 标识 township_review", ["名称", "办理表单", "计时环节"]),
        "township_review_overdue": ("超期", "边界事件（计时器）", ["名称", "计时器日期时间"]),
        "Lane_2": ("乡镇(街道)医保专窗经办员", "泳道", ["经办角色"]),
    }
    for element_id, (name, kind, labels) in elements.items():
        box = page.locator(f".djs-element[data-element-id={element_id}]").first.bounding_box()
        at_x = box["x"] + 12 if element_id.startswith("Lane_") else box["x"] + box["width"] / 2  # a lane by its label
        page.mouse.click(at_x, box["y"] + box["height"] / 2)
        page.wait_for_selector("#panel h2.element-name")
        assert page.locator("#panel h2").inner_text() == name
        assert page.locator("#panel .element-kind").inner_text().startswith(kind)
        assert page.locator("#panel .label").all_inner_texts()[: len(labels)] == labels
        for text in texts_outside_ids(page):
            assert CJK.search(text), f"{element_id}: {text!r} is not Chinese"
        if element_id == "township_review":
            assert page.locator("#panel select").nth(1).input_value() == "township_review"
            assert "乡镇（街道）初审" in page.locator("#panel select").nth(1).inner_text()
            screenshot(page, f"modeler_panel_{width}")
    assert page.locator(".djs-palette [aria-label='新建开始事件']").count() == 1


def test_a_refused_deploy_names_the_element_and_the_field_in_chinese(app, login, screenshot):
    page = open_modeler(login, app, 1440)
    page.click("[data-element-id=township_review]")
    page.select_option("#panel select >> nth=0", "")
    page.click("#deploy")
    page.wait_for_selector("#outcome.error-text")
    problems = page.locator("#problems").inner_text()
    assert "用户任务“乡镇初审”没有表单：请在“办理表单”中选择" in problems
    assert "spiffworkflow" not in problems and "formKey" not in problems
    assert page.locator(".djs-overlay-problem .problem-badge").count() >= 1
    assert not page.locator("#confirm-deploy").is_visible()
    assert len(versions_of(app)) == 1
    screenshot(page, "modeler_problem")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_deploy_is_confirmed_then_the_modeler_edits_the_version_deployed(app, login, screenshot, width):
    page = open_modeler(login, app, width)
    assert "基于国家基础版本 v1编辑" in page.locator("#basis").inner_text()
    page.click("[data-element-id=township_review]")
    page.fill("#panel input[name=name]", "乡镇初审（含材料核验）")
    page.press("#panel input[name=name]", "Enter")
    page.click("#deploy")
    dialog = page.locator("#confirm-deploy")
    dialog.wait_for(state="visible")
    assert "部署后成为丰城市版本 v2" in dialog.inner_text()
    changed = dialog.locator("tr[data-element-id=township_review]")
    assert "乡镇初审" in changed.inner_text() and "乡镇初审（含材料核验）" in changed.inner_text()
    screenshot(page, f"modeler_confirm_{width}")
    page.click("#confirm-no")
    assert not dialog.is_visible()
    assert len(versions_of(app)) == 1  # nothing deployed without the confirmation

    page.click("#deploy")
    dialog.wait_for(state="visible")
    page.click("#confirm-yes")
    page.wait_for_url(re.compile(r"/design/versions/\d+/edit$"))
    page.wait_for_selector("#canvas[data-ready=true]")
    assert page.locator(".flash-success").inner_text() == "已部署为新版本 v2（丰城市版本）"
    assert "基于丰城市版本 v2编辑" in page.locator("#basis").inner_text()
    deployed = [d for d in versions_of(app) if d.version == 2]
    assert len(deployed) == 1 and deployed[0].region == "丰城市" and deployed[0].deployed_by == "fengcheng.designer"
    assert page.url.endswith(f"/design/versions/{deployed[0].id}/edit")
    assert (
        "乡镇初审（含材料核验）" in page.locator(".djs-element[data-element-id=township_review]").first.text_content()
    )
    screenshot(page, f"modeler_deployed_{width}")

    page.goto("/design/processes")
    row = page.locator(f"li[data-definition-id='{deployed[0].id}'] .deployer")
    assert row.inner_text() == "流程设计员（丰城市）"
    base = page.locator(f"li[data-definition-id='{shipped_id(app)}'] .deployer")
    assert base.inner_text() == "系统（随程序发布）"
    screenshot(page, f"design_versions_{width}")
