"""The monthly 考核通报 in a real browser: reached from 时效统计, ranked units, the late 初审, an overdue case,
A4 when printed and readable on a phone."""

from datetime import datetime

import pytest

from engine.core.clock import SHANGHAI, clock
from tests.scenarios import APPROVE, PAYOUT, collect, settle, start_reimbursement_at, work, work_open_supervision

pytestmark = pytest.mark.browser


def at(text: str) -> None:
    clock.freeze(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))


def test_the_printed_bulletin_of_a_month(as_user, login, screenshot):
    """On 2026-11-02 曲江村 and 小港村 each accept a 门诊费用报销. 曲江镇 does the first's 初审 on 12-08, six
    working days past its 20, and the case still concludes within its 30; the second waits at 小港镇 past its 30
    working days (its limit ended 12-14)."""
    at("2026-11-02T10:00:00")
    try:
        late_review = start_reimbursement_at(as_user, "qujiangcun", "360981104201", "李一")
        overdue = start_reimbursement_at(as_user, "xiaogangcun", "360981106201", "王二")
        at("2026-12-08T10:00:00")
        township = as_user("qujiang.township_clerk")
        work(township, "乡镇初审", APPROVE)
        work(township, "移交医保中心", {"method": "系统流转"})
        work(as_user("fc-centre.centre_reviewer"), "医保中心复核", APPROVE)
        settle(as_user)
        work(as_user("fc-centre.centre_payer"), "拨付", PAYOUT)
        collect(as_user("qujiangcun.village_agent"))
        work_open_supervision(as_user, late_review)
        at("2026-12-31T10:00:00")

        admin = login("fengcheng.admin")
        admin.goto("/admin/sla?month=2026-12")
        admin.click("text=打印月度通报")
        admin.wait_for_load_state()
        assert admin.url.endswith("/admin/sla/bulletin?month=2026-12")
        assert admin.locator("h1").inner_text() == "丰城市医保经办服务考核通报"
        assert admin.locator(".subtitle").inner_text() == "（2026年12月）"
        late = admin.locator("table.figures-late-stages tbody tr", has_text="乡镇初审")
        assert "曲江镇" in late.inner_text()
        ranked = admin.locator("table.figures-assessment tbody tr")
        assert ranked.count() >= 3 and ranked.first.locator("td").first.inner_text() == "1"
        assert admin.locator("table.figures-overdue-cases tbody tr", has_text=overdue).count() == 1
        assert admin.locator("[data-figure=on_time_rate]").inner_text() == "100.0%", "the case itself was on time"
        screenshot(admin, "bulletin")

        admin.emulate_media(media="print")
        assert not admin.locator(".print-bar").is_visible(), "no buttons on paper"
        pdf = admin.pdf(format="A4")
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") <= 2, "one or two A4 pages"
        admin.emulate_media(media="screen")

        admin.set_viewport_size({"width": 390, "height": 844})
        assert admin.evaluate("document.documentElement.scrollWidth") <= 390 + 1, "the page does not widen"
        screenshot(admin, "bulletin_phone")
    finally:
        clock.thaw()
