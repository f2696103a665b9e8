"""The pages a clerk uses all day at a desk (1440 px) and on a phone (390 px): the inbox, 受理, a task page, a
case page and 办件监控 lay out without sideways scrolling, the inbox reads as cards on a phone and a table at a
desk, the 认领 action sits on the phone's first screen, and axe-core finds nothing serious or critical; every page
each demo role reaches from its menu fits a 390-px phone."""

import pytest

from tests.browser.a11y import DESK, PHONE, page_width, severe_violations, widest_elements
from tests.scenarios import only_task, start_at_village

pytestmark = pytest.mark.browser

TOWNSHIP_CLERK = "qujiang.township_clerk"
VILLAGE_AGENT = "qujiangcun.village_agent"
ADMIN = "fengcheng.admin"
WIDTHS = {"desk": DESK, "phone": PHONE}
# One user of each demo role (engine/data/demo.toml) and the region-wide administrator.
DEMO_ROLES = [
    VILLAGE_AGENT,
    TOWNSHIP_CLERK,
    "qujiang.supervisor",
    "slyy.station_clerk",
    "fc-centre.centre_clerk",
    "fc-centre.centre_reviewer",
    "fc-centre.centre_payer",
    "fc-centre.archivist",
    "fengcheng.designer",
    ADMIN,
    "platform.admin",
]


@pytest.fixture
def case(fresh, as_user):
    """A 门诊费用报销 accepted at the 曲江村 window, waiting for 乡镇初审 at 曲江镇; the case and that task."""
    started = start_at_village(as_user)
    return started, only_task(as_user(TOWNSHIP_CLERK), "乡镇初审")


def assert_fits(page, width: int):
    assert page_width(page) <= width, f"{page.url} is wider than {width}px: {widest_elements(page, width)}"


def assert_accessible(page):
    assert severe_violations(page) == []


def within_screen(page, locator, first_screen: bool = True) -> bool:
    """The element lies wholly inside the viewport's width (and starts on its first screen, unless told not to)."""
    box = locator.bounding_box()
    size = page.viewport_size
    across = box is not None and box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
    return across and (not first_screen or box["y"] < size["height"])


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_inbox(case, opened, screenshot, width):
    started, _ = case
    page = opened(TOWNSHIP_CLERK, WIDTHS[width])
    page.goto("/inbox?view=candidate")
    row = page.locator("table.inbox tbody tr", has_text=started["case_no"])
    assert row.count() == 1
    display = row.evaluate("tr => getComputedStyle(tr).display")
    assert display == ("table-row" if width == "desk" else "grid"), "a table at a desk, a card on a phone"
    item = row.locator("td").first
    assert item.inner_text().startswith("门诊费用报销")
    assert item.bounding_box()["height"] < 60, "the item's name reads on a line or two, not a character a line"
    assert within_screen(page, row.locator("a.button"))
    assert_fits(page, WIDTHS[width]["width"])
    screenshot(page, f"widths_inbox_{width}")
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_accept(fresh, opened, screenshot, width):
    page = opened(VILLAGE_AGENT, WIDTHS[width])
    page.goto("/cases/new/fc-v-08")
    name = page.locator("input[name='applicant.name']")
    form = page.locator("form.accept-form")
    if width == "phone":
        assert name.bounding_box()["width"] >= form.bounding_box()["width"] - 80, "fields take the form's width"
    assert within_screen(page, name)
    assert_fits(page, WIDTHS[width]["width"])
    screenshot(page, f"widths_accept_{width}")
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_task_page(case, opened, screenshot, width):
    _, task = case
    page = opened(TOWNSHIP_CLERK, WIDTHS[width])
    page.goto(f"/tasks/{task['id']}")
    claim = page.locator("button:has-text('认领')")
    assert within_screen(page, claim), "the 认领 action on the first screen, without scrolling sideways"
    assert_fits(page, WIDTHS[width]["width"])
    screenshot(page, f"widths_task_{width}")
    assert_accessible(page)
    claim.click()
    page.wait_for_load_state()
    assert page.locator("form.task-form button:has-text('提交')").is_visible()
    assert_fits(page, WIDTHS[width]["width"])
    screenshot(page, f"widths_task_claimed_{width}")
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_case_page(case, opened, screenshot, width):
    started, _ = case
    page = opened(VILLAGE_AGENT, WIDTHS[width])
    page.goto(f"/cases/{started['id']}")
    assert started["case_no"] in page.locator("h1").inner_text()
    assert_fits(page, WIDTHS[width]["width"])
    screenshot(page, f"widths_case_{width}")
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_case_monitor(case, opened, screenshot, width):
    started, _ = case
    page = opened(ADMIN, WIDTHS[width])
    page.goto("/admin/instances")
    row = page.locator("table.instances tbody tr", has_text=started["case_no"])
    assert row.count() == 1
    assert within_screen(page, row.locator("a.button"), first_screen=False), "below the filters, never off to the side"
    assert_fits(page, WIDTHS[width]["width"])
    screenshot(page, f"widths_monitor_{width}")
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_sla_figures(case, opened, screenshot, width):
    page = opened(ADMIN, WIDTHS[width])
    page.goto("/admin/sla")
    page.wait_for_load_state("networkidle")
    cards = page.locator(".dashboard > .card")
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    side_by_side = abs(first["y"] - second["y"]) < 1
    assert side_by_side == (width == "desk"), "two charts a row at a desk, one on a phone"
    assert_fits(page, WIDTHS[width]["width"])
    screenshot(page, f"widths_sla_{width}")
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_the_menu_keeps_its_words_whole(fresh, opened, screenshot, width):
    page = opened(ADMIN, WIDTHS[width])
    page.goto("/admin/instances")
    toggle = page.locator(".menu-toggle")
    links = page.locator(".topbar nav a")
    if width == "phone":
        assert toggle.is_visible() and not links.first.is_visible(), "on a phone the menu folds behind 菜单"
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
    else:
        assert not toggle.is_visible()
    line = links.first.evaluate("a => parseFloat(getComputedStyle(a).lineHeight) || 24")
    for link in links.all():
        assert link.is_visible()
        box = link.bounding_box()
        assert box["height"] < 2 * line + 24, f"{link.inner_text()} breaks over lines"
        assert box["x"] + box["width"] <= WIDTHS[width]["width"]
    assert page.locator(".topbar button:has-text('退出')").is_visible()
    assert_fits(page, WIDTHS[width]["width"])
    screenshot(page, f"widths_menu_{width}")
    assert_accessible(page)
    if width == "phone":
        page.keyboard.press("Escape")
        assert toggle.get_attribute("aria-expanded") == "false" and not links.first.is_visible()


def test_the_narrowest_phone(case, opened):
    started, task = case
    narrow = {"width": 360, "height": 740}
    for username, path in (
        (TOWNSHIP_CLERK, "/inbox?view=candidate"),
        (TOWNSHIP_CLERK, f"/tasks/{task['id']}"),
        (VILLAGE_AGENT, "/cases/new/fc-v-08"),
        (VILLAGE_AGENT, f"/cases/{started['id']}"),
        (ADMIN, "/admin/instances"),
        (ADMIN, "/admin/sla"),
    ):
        page = opened(username, narrow)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert_fits(page, narrow["width"])


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
def test_the_pages_before_logging_in(fresh, chromium, live_server, screenshot, width):
    context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport=WIDTHS[width], bypass_csp=True)
    page = context.new_page()
    try:
        for path in ("/login", "/progress", "/rating"):
            page.goto(path)
            assert_fits(page, WIDTHS[width]["width"])
            assert severe_violations(page) == [], path
        page.goto("/login")
        screenshot(page, f"widths_login_{width}")
    finally:
        context.close()


@pytest.mark.parametrize("username", DEMO_ROLES)
def test_every_menu_page_fits_a_phone(case, opened, username):
    page = opened(username, PHONE)
    entries = page.eval_on_selector_all(".topbar nav a", "links => links.map(a => a.getAttribute('href'))")
    assert entries, "every demo role has a menu"
    for href in entries:
        page.goto(href)
        page.wait_for_load_state("networkidle")
        assert_fits(page, PHONE["width"])
        assert severe_violations(page) == [], href
