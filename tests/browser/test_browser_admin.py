"""Administrators and deadlines in a real browser: an overdue case in the inbox and on the dashboard."""

from datetime import datetime
from uuid import uuid4

import pytest

from engine.catalogue.flows import catalog
from engine.core.clock import SHANGHAI, clock
from engine.org import accounts
from engine.org.permissions import SYSTEM
from engine.timers import sweep
from server.extensions import db
from tests.browser.a11y import DESK, PHONE, open_as, page_width, severe_violations, widest_elements
from tests.factories import applicant, reimbursement_details

pytestmark = pytest.mark.browser

TOWNSHIP = "360981104"
ITEM = "fc-t-10"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_an_overdue_case_shows_in_the_inbox_and_on_the_dashboard(app, as_user, login, screenshot):
    """初审 has 20 working days: accepted 2026-09-30, its timer makes it 已超期 on 2026-11-04."""
    clock.freeze(at("2026-09-30T10:00:00"))
    try:
        response = as_user("qujiang.township_clerk").post(
            "/api/instances",
            json={
                "item": ITEM,
                "org": TOWNSHIP,
                "applicant": applicant(name="李桂兰"),
                "materials": [m.name for m in catalog().get(ITEM).materials],
                "details": reimbursement_details(visited_on="2026-09-25"),
            },
        )
        assert response.status_code == 201, response.get_json()
        case_no = response.get_json()["case_no"]

        clock.freeze(at("2026-11-04T09:00:00"))
        with app.app_context():
            assert sweep.sweep(db.session).fired >= 1
            db.session.remove()

        clerk = login("qujiang.township_clerk")
        clerk.goto("/inbox?view=candidate")
        row = clerk.locator("table.inbox tbody tr", has_text=case_no)
        assert row.locator(".badge.overdue").inner_text() == "已超期"
        assert "2026-11-03" in row.inner_text() and "超期 1 个工作日" in row.inner_text()
        clerk.check("input[name=overdue]")
        clerk.click("button:has-text('筛选')")
        assert clerk.locator("table.inbox tbody tr", has_text=case_no).count() == 1
        screenshot(clerk, "inbox_overdue")

        admin = login("fengcheng.admin")
        assert admin.url.endswith("/admin/instances")
        admin.click("nav >> text=时效统计")
        for chart in ("units", "items", "overdue", "stages", "ratings"):
            admin.wait_for_selector(f"[data-chart={chart}][data-ready=true]")
        assert admin.locator("[data-figure=overdue]").inner_text() == "1"
        overdue = admin.locator("table.figures-overdue tbody tr", has_text="乡镇初审")
        assert "曲江镇" in overdue.inner_text() and overdue.locator(".badge.overdue").inner_text() == "已超期"
        assert admin.locator("[data-chart=overdue] svg").count() == 1
        assert admin.locator("[data-chart=ratings]").inner_text() == "暂无数据", "no pie of zeros"
        screenshot(admin, "dashboard")

        admin.goto("/admin/instances?overdue=1")
        listed = admin.locator("table.instances tbody tr", has_text=case_no)
        assert listed.count() == 1 and listed.locator(".badge.overdue").inner_text() == "已超期"
        screenshot(admin, "instances")
        listed.locator("a.button").click()
        admin.wait_for_selector("#diagram[data-ready=true]")
        assert admin.locator("tr.is-overdue", has_text="乡镇初审").count() == 1
        screenshot(admin, "instances_overdue_case")
    finally:
        clock.thaw()


def test_the_people_pages_search_edit_reset_and_confirm_deactivation(client, chromium, live_server, fresh, screenshot):
    """Issue 15, people pages: search, the person's page with the edit form (desk and 390 px), unlock, a temporary
    password shown once, and 停用 behind a confirmation page; no serious axe-core violation."""
    username = f"clerk-{uuid4().hex[:8]}"
    with fresh.app_context():
        accounts.add_user(db.session, SYSTEM, username, "s3cret-pass", ["township_clerk"], "360981104", "李秀英")
        db.session.remove()
    for _ in range(5):
        client.post("/api/auth/token", json={"username": username, "password": "wrong-password"})
    for viewport, suffix in ((DESK, "desk"), (PHONE, "phone")):
        admin = open_as(chromium, live_server, "fengcheng.admin", viewport)
        try:
            admin.goto("/admin/people")
            admin.fill("input[name=q]", "曲江镇")
            admin.click("form.people-search button")
            admin.wait_for_load_state()
            rows = admin.locator("table.users tbody tr")
            assert rows.count() >= 2 and all("曲江镇" in text for text in rows.all_inner_texts())
            assert admin.locator("table.users button").count() == 0, "no buttons on the rows"
            assert page_width(admin) <= viewport["width"] + 1, widest_elements(admin, viewport["width"])
            assert severe_violations(admin) == []
            screenshot(admin, f"people_search_{suffix}")
            admin.locator(f"table.users tr[data-username='{username}'] a").click()
            admin.wait_for_load_state()
            assert "已锁定" in admin.locator(".person-status").inner_text()
            assert admin.locator("select[name=org] option:checked").inner_text() == "曲江镇"
            assert page_width(admin) <= viewport["width"] + 1, widest_elements(admin, viewport["width"])
            assert severe_violations(admin) == []
            screenshot(admin, f"person_edit_{suffix}")
        finally:
            admin.context.close()

    admin = open_as(chromium, live_server, "fengcheng.admin", DESK)
    try:
        admin.goto(f"/admin/people/users/{username}")
        admin.click("button:has-text('解除锁定')")
        admin.wait_for_load_state()
        assert f"已解除 {username} 的锁定" in admin.locator(".flash").inner_text()
        admin.fill("input[name=display_name]", "周敏")
        admin.click("#edit-user button[type=submit]")
        admin.wait_for_load_state()
        assert f"已保存 周敏（{username}）的信息" in admin.locator(".flash").inner_text()
        admin.click("button.reset-password")
        admin.wait_for_load_state()
        temporary = admin.locator("[data-temporary-password]").inner_text()
        assert len(temporary) >= 12
        screenshot(admin, "person_temporary_password")
        admin.click("text=停用此账号…")
        admin.wait_for_load_state()
        assert admin.locator("h1").inner_text() == f"停用 周敏（{username}）？"
        screenshot(admin, "person_deactivate_confirm")
        admin.click("text=取消")
        admin.wait_for_load_state()
        assert "在用" in admin.locator(".person-status").inner_text(), "cancel changes nothing"
    finally:
        admin.context.close()
