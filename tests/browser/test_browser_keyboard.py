"""Keyboard only (Tab, Shift+Tab, Enter, Space, arrow keys and typing): a township clerk claims and completes
乡镇初审 from the inbox, and a village agent accepts a 门诊费用报销 on the 受理 page. Each focused control
shows its focus, focus moves down the page in reading order, and Tab never gets stuck."""

import pytest

from tests.browser.a11y import DESK, PHONE, severe_violations
from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import start_at_village

pytestmark = pytest.mark.browser

MAX_TABS = 200
FOCUSED = """() => {
  const e = document.activeElement, r = e.getBoundingClientRect(), s = getComputedStyle(e);
  const box = (e.closest("form, section, main") || document.body).getBoundingClientRect();
  return {tag: e.tagName.toLowerCase(), name: e.getAttribute("name"), text: (e.innerText || e.value || "").trim(),
          href: e.getAttribute("href"), top: r.top - box.top, left: r.left - box.left,
          outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, matches, backwards: bool = False) -> dict:
    """Press Tab until the focused element satisfies `matches`; fails if Tab comes round to where it started
    (the element is not reachable) or never moves (a trap). Every focus on the way must be visible."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if now["tag"] != "body":
            assert now["outline"], f"focus not visible on {now}"
        if matches(now):
            return now
        key = (now["tag"], now["name"], now["href"], now["text"], now["top"], now["left"])
        assert seen[-5:] != [key] * 5, f"Tab is stuck on {now}"  # a date input takes a Tab per part and its picker
        seen.append(key)
    raise AssertionError(f"not reached by Tab; went through {seen[:40]}")


def press_to_load(page, key: str):
    """Press `key` on the focused link or button and wait for the page it loads."""
    with page.expect_navigation():
        page.keyboard.press(key)


def named(name):
    return lambda now: now["name"] == name


def labelled(tag, text):
    return lambda now: now["tag"] == tag and now["text"] == text


def type_into(page, name, text):
    tab_to(page, named(name))
    page.keyboard.type(text)


def type_date(page, name, iso):
    """Type an ISO date into a date input part by part, as Chromium launched without --lang shows it (mm/dd/yyyy)."""
    year, month, day = iso.split("-")
    type_into(page, name, month + day + year)
    assert page.eval_on_selector(f"input[name='{name}']", "i => i.value") == iso


def choose(page, name, value):
    """Pick `value` of the select `name` with arrow keys from its first option."""
    tab_to(page, named(name))
    index = page.eval_on_selector(
        f"select[name='{name}']", "(s, v) => [...s.options].findIndex(o => o.value === v)", value
    )
    assert index >= 0
    page.keyboard.press("Home")
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    assert page.eval_on_selector(f"select[name='{name}']", "s => s.value") == value


def assert_reading_order(path: list[dict]):
    """Each focus lies below the one before it in its form or on its line further right."""
    for before, after in zip(path, path[1:]):
        assert after["top"] > before["top"] - 4 or (
            abs(after["top"] - before["top"]) < 4 and after["left"] > before["left"]
        ), (
            before,
            after,
        )


def focus_path(page, stop) -> list[dict]:
    """The focused elements from the one focused now on, Tab by Tab, up to the one satisfying `stop`."""
    path = [focused(page)]
    while not stop(path[-1]):
        assert len(path) < MAX_TABS
        page.keyboard.press("Tab")
        path.append(focused(page))
        assert path[-1]["outline"], path[-1]
    return path


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_a_clerk_claims_and_completes_a_task_by_keyboard(fresh, as_user, opened, screenshot, viewport):
    case = start_at_village(as_user)
    page = opened("qujiang.township_clerk", viewport)
    page.goto("/inbox?view=candidate")
    first = tab_to(page, lambda now: now["tag"] == "a")
    assert first["text"] == "跳到正文", "the first Tab offers the skip link"
    page.keyboard.press("Enter")
    tab_to(page, lambda now: now["tag"] == "a" and now["text"] == "查看" and "/tasks/" in (now["href"] or ""))
    press_to_load(page, "Enter")
    assert "/tasks/" in page.url and case["case_no"] in page.locator("main").inner_text()

    tab_to(page, lambda now: now["tag"] == "a" and now["text"] == "跳到正文", backwards=True)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "认领", "the action is the page's first control after the menu"
    press_to_load(page, "Space")
    assert page.locator(".flash-success, form.task-form").count() >= 1

    choose(page, "decision", "approve")
    type_into(page, "opinion", "材料齐全，符合报销条件")
    type_into(page, "approved_amount", "200.50")
    tab_to(page, named("decision"), backwards=True)
    assert_reading_order(focus_path(page, labelled("button", "提交")))
    screenshot(page, f"keyboard_task_{'phone' if viewport is PHONE else 'desk'}")
    press_to_load(page, "Enter")
    assert page.locator(".flash-success").count() == 1, (page.url, page.content()[:3000])
    history = as_user("fengcheng.admin").get(f"/api/instances/{case['id']}").get_json()
    assert [t["title"] for t in history["tasks"]] == ["移交医保中心"], "乡镇初审 was completed"


def test_a_window_accepts_by_keyboard(fresh, opened, screenshot):
    page = opened("qujiangcun.village_agent", PHONE)
    page.goto("/cases/new")
    tab_to(page, named("q"))
    page.keyboard.type("门诊费用")
    press_to_load(page, "Enter")
    tab_to(page, lambda now: (now["href"] or "").endswith("/cases/new/fc-v-08"))
    press_to_load(page, "Enter")
    assert page.url.endswith("/cases/new/fc-v-08")

    person, agent, details = applicant("赵敏"), mandate(), reimbursement_details()
    tab_to(page, named("applicant.name"))
    page.keyboard.type(person["name"])
    type_into(page, "applicant.id_number", person["id_number"])
    type_into(page, "applicant.mobile", person["mobile"])
    for _ in page.locator("input[name=materials]").all():
        tab_to(page, lambda now: now["name"] == "materials" and not page.evaluate("document.activeElement.checked"))
        page.keyboard.press("Space")
    tab_to(page, named("proxy"))
    page.keyboard.press("Space")
    type_into(page, "mandate.agent_name", agent["agent_name"])
    type_into(page, "mandate.agent_id_number", agent["agent_id_number"])
    choose(page, "mandate.relation", agent["relation"])
    type_into(page, "details.medical_institution", details["medical_institution"])
    type_date(page, "details.visit_date", details["visit_date"])
    for index, invoice in enumerate(details["invoices"]):
        if index:
            tab_to(page, labelled("button", "增加一行"))
            page.keyboard.press("Enter")
        type_into(page, f"details.invoices.{index}.number", invoice["number"])
        type_into(page, f"details.invoices.{index}.amount", invoice["amount"])
        type_date(page, f"details.invoices.{index}.date", invoice["date"])
    type_into(page, "details.total_amount", details["total_amount"])
    for key, value in details["payee"].items():
        type_into(page, f"details.payee.{key}", value)

    tab_to(page, named("applicant.name"), backwards=True)
    assert_reading_order(focus_path(page, labelled("button", "受理")))
    assert severe_violations(page) == []
    screenshot(page, "keyboard_accept_phone")
    press_to_load(page, "Enter")
    assert "/cases/" in page.url and page.locator(".status").inner_text() == "办理中", page.locator("main").inner_text()
    assert person["name"] in page.locator("main").inner_text()


def test_the_folded_menu_by_keyboard(fresh, opened):
    page = opened("qujiangcun.village_agent", PHONE)
    page.goto("/inbox")
    tab_to(page, labelled("button", "菜单"))
    page.keyboard.press("Escape")
    assert page.locator(".menu-toggle").get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert page.locator(".menu-toggle").get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "我的工作台", "the menu's entries follow its button"
    page.keyboard.press("Escape")
    assert focused(page)["text"] == "菜单" and not page.locator(".topbar nav a").first.is_visible()
    page.keyboard.press("Space")
    tab_to(page, labelled("a", "我受理的办件"))
    press_to_load(page, "Enter")
    assert page.url.endswith("/cases/accepted")
