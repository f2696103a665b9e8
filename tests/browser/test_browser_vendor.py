"""An Activiti diagram in a real browser: 丰城's designer uploads it, the page offers the candidate group 丰城's table
does not know, the designer picks a role and it deploys; 丰城's administrator keeps the group on 候选组对照, after
which the same upload needs no choice; a case on the diagram is worked at the township window and the centre on
the forms its formProperty elements describe (labels, required marks, an enum as a select, a missing entry's
message). Each page at 1366 px and on a 390 px phone, never wider than the phone, never showing JSON."""

from pathlib import Path

import pytest

from engine.cases import acceptance
from engine.catalogue.flows import Flow
from tests.factories import applicant
from tests.scenarios import ADMIN, TOWNSHIP

pytestmark = pytest.mark.browser
DIAGRAM = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "vendor" / "leave_activiti.bpmn"
WIDTHS = {"desk": 1366, "phone": 390}
DESIGNER = "fengcheng.designer"
TOWNSHIP_CLERK = "qujiang.township_clerk"
REVIEWER = "fc-centre.centre_reviewer"


def shoot(page, screenshot, name: str) -> None:
    """The page at both widths: on the phone nothing widens it, and neither shows JSON."""
    text = page.locator("body").inner_text()
    assert '{"' not in text and '":' not in text, text
    for device, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{device}")
        if device == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.set_viewport_size({"width": WIDTHS["desk"], "height": 900})


def upload(page):
    page.goto("/design/processes")
    page.set_input_files("form.upload input[name=file]", str(DIAGRAM))
    page.click("form.upload button:has-text('校验并部署')")
    page.wait_for_load_state()


def open_task(page, title: str):
    page.goto("/inbox?view=candidate")
    page.locator("table.inbox tbody tr", has_text=title).first.locator("a.button").click()
    page.wait_for_load_state()
    page.click("button:has-text('认领')")
    page.wait_for_load_state()


def label_of(page, name: str) -> str:
    return page.locator(f"form.task-form label.field:has([name='{name}']) .label").inner_text()


def test_an_activiti_diagram_from_upload_to_its_forms(as_user, login, screenshot, monkeypatch):
    designer = login(DESIGNER)
    upload(designer)
    assert designer.locator("p.error.outcome").count() == 1
    mapping = designer.locator("section.group-mapping")
    assert mapping.locator("select[name='group:人事处']").count() == 1
    assert mapping.locator("select[name^='group:']").count() == 1  # deptLeader is in the national table
    assert "丰城市的候选组对照由丰城市（或全系统）的系统管理员" in mapping.inner_text()
    assert mapping.locator("a.group-table-link").get_attribute("href").startswith("/admin/group-roles?region=")
    shoot(designer, screenshot, "vendor-upload-groups")
    mapping.locator("select[name='group:人事处']").select_option(label="医保中心审核员")
    mapping.locator("button:has-text('按所选角色重新转换并部署')").click()
    designer.wait_for_load_state()
    outcome = designer.locator("p.outcome").inner_text()
    assert "已部署为新版本" in outcome and "丰城市版本" in outcome and "leave_activiti" in outcome, outcome
    assert designer.locator("section.group-mapping").count() == 0

    admin = login(ADMIN)
    admin.click("header nav a:has-text('候选组对照')")
    admin.wait_for_load_state()
    assert admin.locator("h1").inner_text() == "候选组对照 丰城市"
    assert admin.locator("#national tr[data-group=deptleader] td").nth(1).inner_text() == "乡镇(街道)医保专窗经办员"
    admin.click("form.group-role-form button:has-text('保存')")  # nothing filled in
    admin.wait_for_load_state()
    assert admin.locator(".field-error[data-field=group]").inner_text() == "请填写候选组名称"
    assert admin.locator(".field-error[data-field=role]").inner_text() == "请选择对应的角色"
    shoot(admin, screenshot, "vendor-group-table-refused")
    admin.fill("form.group-role-form input[name=group]", "人事处")
    admin.select_option("form.group-role-form select[name=role]", label="医保中心审核员")
    admin.click("form.group-role-form button:has-text('保存')")
    admin.wait_for_load_state()
    assert "已保存：丰城市的候选组“人事处”对应“医保中心审核员”" in admin.locator(".flash-success").inner_text()
    row = admin.locator("#region-entries tr[data-group='人事处']")
    role = row.locator("td").nth(1).inner_text()
    assert role.splitlines()[0] == "医保中心审核员" and f"{ADMIN} 设置于" in role, role
    shoot(admin, screenshot, "vendor-group-table")

    upload(designer)  # the region's table now knows the group: nothing to choose
    assert "内容与已部署版本相同" in designer.locator("p.outcome").inner_text()
    assert designer.locator("section.group-mapping").count() == 0

    monkeypatch.setattr(acceptance, "flow_for", lambda item: Flow("leave_activiti", None, 3))
    accepted = as_user(TOWNSHIP_CLERK).post(
        "/api/instances", json={"item": "fc-t-10", "org": TOWNSHIP, "applicant": applicant(), "materials": []}
    )
    assert accepted.status_code == 201, accepted.get_json()
    case_id = accepted.get_json()["id"]

    township = login(TOWNSHIP_CLERK)
    open_task(township, "部门领导审批")
    form = township.locator("form.task-form")
    assert township.locator(".task-form-card h2").inner_text() == "部门领导审批"
    assert label_of(township, "deptleaderapprove") == "是否同意*"
    assert label_of(township, "deptleadercomment") == "审批意见"
    assert form.locator("input[type=checkbox][name=deptleaderapprove]").count() == 1
    assert form.locator("[name=applyUserId]").count() == 0  # writable="false": kept in the data, typed nowhere
    township.check("input[name=deptleaderapprove]")
    township.fill("[name=deptleadercomment]", "同意，请人事处审批")
    shoot(township, screenshot, "vendor-task-dept")
    form.locator("button:has-text('提交')").click()
    township.wait_for_load_state()
    assert "“部门领导审批”已办理" in township.locator(".flash-success").inner_text()

    reviewer = login(REVIEWER)
    open_task(reviewer, "人事审批")
    decision = reviewer.locator("form.task-form select[name=hrapprove]")
    assert label_of(reviewer, "hrapprove") == "人事意见*"
    assert decision.locator("option").all_inner_texts() == ["请选择", "同意", "不同意"]
    kind = reviewer.locator("form.task-form select[name=leavetype]")
    assert label_of(reviewer, "leavetype") == "假别" and kind.input_value() == "annual"
    assert kind.locator("option:checked").inner_text() == "年假"
    reviewer.click("form.task-form button:has-text('提交')")  # 人事意见 left unchosen
    reviewer.wait_for_load_state()
    assert reviewer.locator("p.error[role=alert]").inner_text() == "填写内容有误，请按提示修改"
    assert reviewer.locator(".field-error[data-field=hrapprove]").inner_text() == "此项为必填项"
    shoot(reviewer, screenshot, "vendor-task-refused")
    reviewer.select_option("form.task-form select[name=hrapprove]", label="同意")
    reviewer.click("form.task-form button:has-text('提交')")
    reviewer.wait_for_load_state()
    assert "“人事审批”已办理" in reviewer.locator(".flash-success").inner_text()
    assert as_user(ADMIN).get(f"/api/instances/{case_id}").get_json()["status"] == "concluded"
