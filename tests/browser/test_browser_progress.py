"""An applicant on a phone: the 受理单's QR link opens the progress page with the number filled in."""

import re

import pytest

from engine.core.clock import clock
from server.extensions import limiter
from tests.factories import id_number
from tests.scenarios import at, start_at_village

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_the_progress_page_reads_on_a_phone(as_user, chromium, live_server, fresh, screenshot):
    limiter.reset()
    clock.freeze(at("2026-10-08T10:00:00"))
    case = start_at_village(as_user)
    context = chromium.new_context(
        base_url=live_server, locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    try:
        phone = context.new_page()
        phone.goto(f"/progress?case_no={case['case_no']}")  # what the QR code encodes
        assert phone.input_value("input[name=case_no]") == case["case_no"]
        phone.fill("input[name=id_tail]", id_number()[-6:])
        phone.click("button[type=submit]")
        phone.wait_for_selector(".progress-result")
        result = phone.locator(".progress-result").inner_text()
        assert "门诊费用报销" in result and "办理中" in result and "乡镇初审" in result
        assert re.search(r"2026年\d+月\d+日前", result)
        # nothing wider than the phone: no sideways scrolling
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(phone, "progress_phone")

        phone.fill("input[name=id_tail]", "000000")
        phone.click("button[type=submit]")
        assert phone.locator("p.error").inner_text() == "未找到该办件，请核对办件编号和身份证号后六位"
    finally:
        context.close()
        limiter.reset()


def test_the_receipt_prints_its_qr_code(as_user, login, screenshot):
    clock.freeze(at("2026-10-08T10:00:00"))
    case = start_at_village(as_user)
    agent = login("qujiangcun.village_agent")
    agent.emulate_media(media="print")
    agent.goto(f"/api/instances/{case['id']}/documents/receipt")
    qr = agent.locator("svg.progress-qr")
    box = qr.bounding_box()
    assert box and 100 < box["width"] < 140 and box["width"] == box["height"]  # about 31 mm at 96 dpi
    assert "扫码或登录" in agent.locator(".progress").inner_text()
    screenshot(agent, "receipt_print")
