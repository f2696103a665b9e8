"""A 意外伤害 case waiting for the 外伤调查结果 shows the wait on the clerk's case page and in 办件监控, at a
desktop's width and a 390 px phone's, and the wait is gone once the result arrived. Screenshots:
tests/screenshots/message-wait-{case,instance,monitoring}-{phone,desktop}.png."""

import pytest

from engine.catalogue.flows import catalog
from tests.factories import applicant
from tests.scenarios import TODAY, TOWNSHIP

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "desktop": 1440}
MATERIALS = [m.name for m in catalog().get("fc-t-09").materials]


def assert_fits(page) -> None:
    scroll_width, width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide at {width}px"


@pytest.mark.parametrize("device", WIDTHS)
def test_a_waiting_message_is_shown_not_a_silent_stall(login, as_user, screenshot, device):
    clerk = as_user("qujiang.township_clerk")
    case = clerk.post(
        "/api/instances", json={"item": "fc-t-09", "org": TOWNSHIP, "applicant": applicant(), "materials": MATERIALS}
    ).get_json()

    page = login("qujiang.township_clerk")
    page.set_viewport_size({"width": WIDTHS[device], "height": 844})
    page.goto(f"/cases/{case['id']}")
    wait = page.locator("p.waiting")
    assert wait.count() == 1
    assert (
        "等待消息" in wait.inner_text()
        and "“外伤调查结果”" in wait.inner_text()
        and "等待外伤调查结果" in wait.inner_text()
    )
    assert "无待办环节" not in page.inner_text("main") and "{" not in wait.inner_text()
    assert_fits(page)
    screenshot(page, f"message-wait-case-{device}")

    admin = login("fengcheng.admin")
    admin.set_viewport_size({"width": WIDTHS[device], "height": 844})
    admin.goto("/admin/instances")
    row = admin.locator("table.instances tbody tr").first
    assert "等待消息 “外伤调查结果”" in row.inner_text()
    assert_fits(admin)
    screenshot(admin, f"message-wait-monitoring-{device}")
    admin.goto(f"/admin/instances/{case['id']}")
    assert "等待外伤调查结果" in admin.locator("tr.is-waiting").inner_text()
    assert_fits(admin)
    screenshot(admin, f"message-wait-instance-{device}")

    result = {"investigation_result": "reimbursable", "investigated_on": TODAY}
    assert (
        clerk.post(
            f"/api/instances/{case['id']}/messages", json={"name": "外伤调查结果", "variables": result}
        ).status_code
        == 200
    )
    page.reload()
    assert page.locator("p.waiting").count() == 0
    assert "系统审核" in page.inner_text("main")
