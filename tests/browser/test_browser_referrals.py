"""首问登记 in a browser: a refused 受理 turns into a prefilled referral, recorded, listed and printed, on a desktop
and on a 390-px phone."""

import pytest

from engine.core.clock import clock
from tests.factories import applicant
from tests.scenarios import at

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PERSON = applicant("赵六")


def refer_from_refused_acceptance(page, screenshot, name):
    page.goto("/cases/new/fc-t-05")
    page.fill("input[name='applicant.name']", PERSON["name"])
    page.fill("input[name='applicant.id_number']", PERSON["id_number"])
    page.fill("input[name='applicant.mobile']", PERSON["mobile"])
    page.click("button.primary")
    page.wait_for_selector("button.refer")
    assert "只能在" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    screenshot(page, f"referral_refused_acceptance_{name}")
    page.click("button.refer")
    page.wait_for_selector("form.referral-form")
    assert page.input_value("input[name=name]") == PERSON["name"]
    assert page.input_value("select[name=item]") == "fc-t-05"
    page.fill("textarea[name=question]", "随子女到福州居住，办理异地安置备案")
    page.select_option("select[name=referred_to]", "350102001")
    page.click("form.referral-form button.primary")
    page.wait_for_selector("table.referrals tr[data-referral]")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_a_refused_item_is_referred_and_printed(login, screenshot, viewport):
    clock.freeze(at("2026-11-02T09:30:00"))
    page = login("qujiangcun.village_agent")
    page.set_viewport_size(viewport)
    name = "desktop" if viewport["width"] > 1000 else "phone"
    refer_from_refused_acceptance(page, screenshot, name)
    row = page.locator("table.referrals tr[data-referral]").first.inner_text()
    assert "转出" in row and "鼓东街道" in row and PERSON["id_number"] not in row
    assert "打印首问告知单" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"referrals_{name}")

    with page.context.expect_page() as opened:
        page.click("text=打印首问告知单")
    slip = opened.value
    slip.set_viewport_size(viewport)
    slip.wait_for_load_state()
    text = slip.inner_text("body")
    assert "首问告知单" in text and "鼓东街道" in text and "需携带材料" in text and "2026年11月02日" in text
    assert slip.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(slip, f"referral_slip_{name}")
