"""容缺受理 in a browser at the township window: the 受理 page offers the item's 可容缺 material with a promised date,
the case page shows the promise and prints the 容缺受理承诺书, the 待补正 list counts the days left, and 容缺补交 is
recorded on the case page; on a desktop and on a 390-px phone."""

import pytest

from engine.catalogue.flows import catalog
from engine.core.clock import clock
from tests.factories import applicant
from tests.scenarios import at

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
ITEM = "fc-t-05"
COPY = "本人有效身份证件或社会保障卡复印件"
PERSON = applicant("钱七")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def accept_deferred(page, screenshot, name):
    page.goto(f"/cases/new/{ITEM}")
    page.fill("input[name='applicant.name']", PERSON["name"])
    page.fill("input[name='applicant.id_number']", PERSON["id_number"])
    page.fill("input[name='applicant.mobile']", PERSON["mobile"])
    for material in catalog().get(ITEM).materials:
        if material.name != COPY:
            page.check(f"input[name=materials][value='{material.name}']")
    page.check(f"input[name=deferred][value='{COPY}']")
    page.fill("input[name=promise_date]", "2026-11-09")
    page.select_option("select[name='details.filing_type']", "异地安置退休人员")
    page.fill("input[name='details.destination_province']", "广东省")
    page.fill("input[name='details.destination_city']", "深圳市")
    page.fill("input[name='details.start_date']", "2026-11-02")
    assert fits(page)
    page.locator("fieldset.deferred").scroll_into_view_if_needed()
    screenshot(page, f"deferred_accept_{name}")
    page.click("form.accept-form button.primary")
    page.wait_for_selector("section#promise")


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desktop", "phone"])
def test_a_window_accepts_with_a_promise_and_records_the_supplement(login, screenshot, viewport):
    clock.freeze(at("2026-11-02T09:30:00"))
    page = login("qujiang.township_clerk")
    page.set_viewport_size(viewport)
    name = "desktop" if viewport["width"] > 1000 else "phone"
    accept_deferred(page, screenshot, name)
    promise = page.locator("section#promise").inner_text()
    assert "容缺受理" in promise and COPY in promise and "2026年11月9日" in promise and "补齐前不能办结" in promise
    assert "请打印容缺受理承诺书" in page.locator("main").inner_text()
    assert fits(page)
    screenshot(page, f"deferred_case_{name}")

    with page.context.expect_page() as opened:
        page.click("a:has-text('容缺受理承诺书')")
    printed = opened.value
    printed.set_viewport_size(viewport)
    printed.wait_for_load_state()
    text = printed.inner_text("body")
    assert "容缺受理承诺书" in text and COPY in text and "承诺人（签名）" in text
    assert fits(printed)
    screenshot(printed, f"deferred_promise_{name}")
    printed.close()

    case_url = page.url
    if page.locator(".menu-toggle").is_visible():  # on a phone the menu folds behind 菜单
        page.click(".menu-toggle")
    page.click("header a:has-text('待补正')")
    page.wait_for_selector("table.pending-supplements")
    row = page.locator("table.pending-supplements tr[data-case]").first.inner_text()
    assert "容缺补交" in row and COPY in row and "剩余7天" in row and PERSON["id_number"] not in row
    assert fits(page)
    screenshot(page, f"deferred_pending_{name}")

    page.goto(case_url)
    page.check(f"form.deferred-supply input[value='{COPY}']")
    page.click("form.deferred-supply button.primary")
    page.wait_for_selector(".flash")
    assert page.locator(".flash-success").count() == 1, page.locator("main").inner_text()[:600]
    assert "容缺材料已补齐" in page.locator(".flash-success").inner_text()
    assert "已补齐" in page.locator("section#promise").inner_text()
    screenshot(page, f"deferred_supplied_{name}")
