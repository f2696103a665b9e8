"""The applicant rates on a phone from the QR code printed on the 受理单, and at a desk: number and tail, then the
stage, the level and a comment; a 差评 reaches the township that did the rated 乡镇初审."""

from urllib.parse import urlsplit

import pytest

from server.extensions import limiter
from tests.factories import id_number
from tests.scenarios import concluded_case

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
TAIL = id_number()[-6:]


@pytest.fixture(autouse=True)
def _fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


def applicant_page(chromium, live_server, viewport, **device):
    context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport=viewport, **device)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def no_sideways_scrolling(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_receipts_qr_code_leads_a_phone_to_the_rating_page(
    as_user, chromium, live_server, login, fresh, screenshot
):
    case = concluded_case(as_user)
    agent = login("qujiangcun.village_agent")
    agent.emulate_media(media="print")
    agent.goto(f"/api/instances/{case['id']}/documents/receipt")
    qr = agent.locator("svg.rating-qr")
    box = qr.bounding_box()
    assert box and 100 < box["width"] < 140 and box["width"] == box["height"]  # about 31 mm at 96 dpi
    url = qr.locator("title").text_content()
    assert url == f"{live_server}/rating?case_no={case['case_no']}"
    assert f"{live_server}/rating" in agent.locator(".rating-link").inner_text()
    screenshot(agent, "receipt_rating_qr")

    context, phone = applicant_page(chromium, live_server, PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        split = urlsplit(url)
        phone.goto(f"{split.path}?{split.query}")  # what scanning the code opens
        assert phone.input_value("input[name=case_no]") == case["case_no"]
        no_sideways_scrolling(phone, PHONE["width"])
        screenshot(phone, "rating_phone_number")
        phone.fill("input[name=id_tail]", TAIL)
        phone.click("button[type=submit]")
        phone.wait_for_selector("select[name=stage]")
        assert phone.locator("select[name=stage] option:checked").inner_text() == "出件（曲江村）· 最后环节"
        phone.select_option("select[name=stage]", "乡镇初审")
        phone.locator("label.level", has_text="不满意").first.click()
        phone.fill("textarea[name=comment]", "初审等了很久")
        no_sideways_scrolling(phone, PHONE["width"])
        screenshot(phone, "rating_phone_form")
        phone.click("button[type=submit]")
        phone.wait_for_selector(".rating-done")
        done = phone.locator(".rating-done").inner_text()
        assert "感谢您的评价" in done and "乡镇初审（曲江镇）" in done and "不满意" in done
        assert "您的意见已转曲江镇核实整改" in done
        no_sideways_scrolling(phone, PHONE["width"])
        screenshot(phone, "rating_phone_done")
    finally:
        context.close()
    (task,) = as_user("qujiang.township_clerk").get("/api/tasks?view=candidate").get_json()["items"]
    assert (task["title"], task["case_no"]) == ("整改", case["case_no"] + "-ZG")


def test_the_rating_page_at_a_desk_and_a_second_try(as_user, chromium, live_server, fresh, screenshot):
    case = concluded_case(as_user)
    context, desk = applicant_page(chromium, live_server, DESK)
    try:
        desk.goto("/rating")
        desk.fill("input[name=case_no]", case["case_no"])
        desk.fill("input[name=id_tail]", "000000")
        desk.click("button[type=submit]")
        assert desk.locator("p.error").inner_text() == "未找到该办件，请核对办件编号和身份证号后六位"
        desk.fill("input[name=id_tail]", TAIL)
        desk.click("button[type=submit]")
        desk.wait_for_selector("fieldset.levels")
        desk.locator("label.level", has_text="非常满意").click()
        screenshot(desk, "rating_desk_form")
        desk.click("button[type=submit]")
        desk.wait_for_selector(".rating-done")
        assert "非常满意" in desk.locator(".rating-done").inner_text()
        assert desk.locator(".rating-follow-up").count() == 0

        desk.goto(f"/rating?case_no={case['case_no']}")
        desk.fill("input[name=id_tail]", TAIL)
        desk.click("button[type=submit]")
        assert desk.locator("p.error").inner_text() == "该办件已评价，每件办件只能评价一次"
        screenshot(desk, "rating_desk_again")
    finally:
        context.close()
