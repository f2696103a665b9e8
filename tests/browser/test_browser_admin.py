"""Administrators and deadlines in a real browser: an overdue case in the inbox and on the dashboard."""

from datetime import datetime

import pytest

from engine.catalogue.flows import catalog
from engine.core.clock import SHANGHAI, clock
from engine.timers import sweep
from server.extensions import db
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


def test_an_administrator_unlocks_and_resets_on_the_people_page(client, login, screenshot):
    """曲江镇's clerk locked out by five wrong passwords: 已锁定 with 解除锁定, and a 重置密码 form, on a phone too."""
    for _ in range(5):
        client.post("/api/auth/token", json={"username": "qujiang.township_clerk", "password": "wrong-password"})
    admin = login("fengcheng.admin")
    admin.goto("/admin/people")
    row = admin.locator("table.users tr[data-username='qujiang.township_clerk']")
    assert "已锁定" in row.inner_text()
    row.locator("summary", has_text="重置密码").click()
    assert row.locator("input[name=password]").is_visible()
    admin.set_viewport_size({"width": 390, "height": 844})
    row.scroll_into_view_if_needed()
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390 + 1, "the page does not widen"
    screenshot(admin, "people_locked_phone")
    admin.set_viewport_size({"width": 1366, "height": 900})
    row.locator("button", has_text="解除锁定").click()
    admin.wait_for_load_state()
    assert "已解除 qujiang.township_clerk 的锁定" in admin.locator(".flash").inner_text()
    row = admin.locator("table.users tr[data-username='qujiang.township_clerk']")
    assert "在用" in row.inner_text() and row.locator("button", has_text="解除锁定").count() == 0
    screenshot(admin, "people_unlocked")
