"""The search box and the case lists at a phone's width and a desktop's: the page never grows sideways
(a wide table scrolls inside its box). Screenshots: tests/screenshots/{accepted,search,inbox,instances-search}-*.png."""

import pytest

from tests.scenarios import start_at_village

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "desktop": 1440}
# Elements sticking out to the right of the window, outside a table's own scroll box.
OVERFLOWING = """[...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.list-scroll'))
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""


def assert_fits(page) -> None:
    scroll_width, width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide at {width}px: {page.evaluate(OVERFLOWING)}"


@pytest.mark.parametrize("device", WIDTHS)
def test_search_and_my_accepted_cases_fit_the_screen(login, as_user, screenshot, device):
    case = start_at_village(as_user)
    page = login("qujiangcun.village_agent")
    page.set_viewport_size({"width": WIDTHS[device], "height": 844})

    page.goto("/inbox")
    assert_fits(page)
    screenshot(page, f"inbox-{device}")

    if page.locator(".menu-toggle").is_visible():  # on a phone the menu folds behind 菜单
        page.click(".menu-toggle")
    page.click("nav >> text=我受理的办件")
    page.wait_for_load_state()
    assert page.locator("table.cases tbody tr").count() == 1
    assert "待认领" in page.locator("table.cases").inner_text()
    assert_fits(page)
    screenshot(page, f"accepted-{device}")

    page.fill("input[type=search][name=q]", case["case_no"])
    page.click("form.search-box button")
    page.wait_for_load_state()
    assert page.locator("table.cases tbody tr").count() == 1
    assert page.locator(f"a[href='/cases/{case['id']}']").first.is_visible()
    assert_fits(page)
    screenshot(page, f"search-{device}")


@pytest.mark.parametrize("device", WIDTHS)
def test_monitoring_with_its_search_box_fits_the_screen(login, as_user, screenshot, device):
    start_at_village(as_user)
    page = login("fengcheng.admin")
    page.set_viewport_size({"width": WIDTHS[device], "height": 844})
    page.goto("/admin/instances?q=张三")
    assert page.locator("table.instances tbody tr").count() == 1
    assert_fits(page)
    screenshot(page, f"instances-search-{device}")
