"""Under the content security policy the pages still work: the inbox, a case on its diagram (bpmn-js viewer),
the modeler (bpmn-js modeler) and the SLA dashboard (echarts) render, with no violation reported."""

from uuid import uuid4

import pytest

from engine.core.models import CaseInstance
from engine.org import accounts
from engine.org.permissions import SYSTEM
from server.extensions import db
from tests.scenarios import concluded_case, start_at_village

pytestmark = pytest.mark.browser

# Reported by the page itself: every `securitypolicyviolation` event, from before any script of the page runs
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


def watched(page) -> list[str]:
    """Console messages of the page (Chromium reports a refused script or style there too)."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    page.add_init_script(WATCH_VIOLATIONS)
    return messages


def no_violations(page, messages: list[str], where: str) -> None:
    violations = page.evaluate("window.__cspViolations")
    csp = [m for m in messages if "Content Security Policy" in m or "Content-Security-Policy" in m]
    errors = [
        m for m in messages if m.startswith(("error:", "pageerror:")) and "Failed to load resource: the server" not in m
    ]  # a 422 answer to a refused form is reported as a failed load: not a fault of the page
    assert violations == [] and csp == [] and errors == [], (where, violations, csp, errors)


def test_pages_render_under_the_csp_without_violations(app, as_user, login, screenshot):
    concluded_case(as_user)  # figures for the dashboard's charts (the clock stays in October 2026)
    case = start_at_village(as_user)
    with app.app_context():
        definition_id = db.session.get(CaseInstance, case["id"]).definition_id
        db.session.remove()

    clerk = login("qujiang.township_clerk")
    messages = watched(clerk)
    clerk.goto("/inbox?view=candidate")
    assert clerk.locator("table.inbox tbody tr", has_text=case["case_no"]).count() == 1
    no_violations(clerk, messages, "inbox")
    screenshot(clerk, "csp_inbox")

    admin = login("fengcheng.admin")
    messages = watched(admin)
    admin.goto(f"/admin/instances/{case['id']}")
    admin.wait_for_selector("#diagram[data-ready=true]")
    assert admin.locator("#diagram .djs-element.active").count() >= 1, "the waiting step is marked"
    no_violations(admin, messages, "instance diagram")
    screenshot(admin, "csp_instance_diagram")

    admin.goto("/admin/sla")
    for chart in ("units", "items", "overdue", "stages", "ratings"):
        admin.wait_for_selector(f"[data-chart={chart}][data-ready=true]")
    assert admin.locator("[data-chart=units] svg").count() == 1, "echarts drew its charts"
    no_violations(admin, messages, "dashboard")
    screenshot(admin, "csp_dashboard")

    admin.goto("/admin/security")
    assert admin.locator("table.security-events tbody tr[data-action=login]").count() >= 1
    no_violations(admin, messages, "security log")
    screenshot(admin, "security_log")

    designer = login("fengcheng.designer")
    messages = watched(designer)
    designer.goto(f"/design/versions/{definition_id}/edit")
    designer.wait_for_selector("#canvas[data-ready=true]")
    designer.click("[data-element-id=township_review]")
    assert designer.locator("#panel input[name=name]").input_value() == "乡镇初审"
    designer.click("#deploy")
    designer.wait_for_selector("#confirm-deploy .confirm-outcome")  # rendered by the server
    no_violations(designer, messages, "modeler's confirmation")
    designer.click("#confirm-yes")
    designer.wait_for_selector(".flash-success")
    designer.wait_for_selector("#canvas[data-ready=true]")
    no_violations(designer, messages, "modeler")
    screenshot(designer, "csp_modeler")


def test_a_forced_password_change_in_the_browser(app, chromium, live_server, fresh, screenshot):
    username = f"clerk-{uuid4().hex[:8]}"
    with app.app_context():
        accounts.add_user(db.session, SYSTEM, username, "Initial-pass-1", ["township_clerk"], "360981104", "周敏")
        db.session.remove()
    context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        messages = watched(page)
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "Initial-pass-1")
        page.click("button[type=submit]")
        page.wait_for_url("**/password")
        page.goto("/inbox")
        assert page.url.endswith("/password"), "nothing else until the password is changed"
        page.fill("input[name=current_password]", "Initial-pass-1")
        page.fill("input[name=new_password]", "zhoumin")
        page.fill("input[name=confirm_password]", "zhoumin")
        page.click(".password-change button[type=submit]")
        page.wait_for_load_state()
        screenshot(page, "password_change")
        assert page.locator(".field-error[data-field=new_password]").first.inner_text() == "密码至少 10 位"
        page.fill("input[name=current_password]", "Initial-pass-1")
        page.fill("input[name=new_password]", "Zhou-min-2026")
        page.fill("input[name=confirm_password]", "Zhou-min-2026")
        page.click(".password-change button[type=submit]")
        page.wait_for_url("**/inbox")
        assert page.locator(".flash-success").inner_text() == "密码已修改"
        no_violations(page, messages, "password change")
    finally:
        context.close()


def test_a_lock_out_is_told_on_the_login_page(app, chromium, live_server, fresh, screenshot):
    username = f"clerk-{uuid4().hex[:8]}"
    with app.app_context():
        accounts.add_user(
            db.session, SYSTEM, username, "Initial-pass-1", ["township_clerk"], "360981104", must_change_password=False
        )
        db.session.remove()
    context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        for _ in range(5):
            page.goto("/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", "not-the-password")
            page.click("button[type=submit]")
        assert page.locator("p.error").inner_text() == "账号已锁定，请 15 分钟后再试或联系管理员"
        screenshot(page, "login_locked_phone")
    finally:
        context.close()
