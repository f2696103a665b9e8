"""Fewer clicks in a real browser (issue 15): the invoices' total sums itself as rows are typed and a row can be
removed; after 乡镇初审 the same clerk goes straight on to 移交医保中心 (继续办理下一环节) without claiming it, at a
desk and on a phone."""

import pytest

from tests.factories import applicant, invoice_numbers, reimbursement_details
from tests.scenarios import start_at_village

pytestmark = pytest.mark.browser

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
ROWS = "fieldset[data-rows='details.invoices']"


def invoice_row(page, index: int, number: str, amount: str, day: str):
    page.fill(f"input[name='details.invoices.{index}.number']", number)
    page.fill(f"input[name='details.invoices.{index}.date']", day)
    page.fill(f"input[name='details.invoices.{index}.amount']", amount)


def test_the_invoice_total_sums_as_rows_are_typed_and_a_row_is_removed(login, screenshot):
    page = login("qujiangcun.village_agent")
    page.set_viewport_size(DESK)
    page.goto("/cases/new/fc-v-08")
    person = applicant(name="李桂兰", first17="36098119600303242")
    for key, value in person.items():
        page.fill(f"input[name='applicant.{key}']", value)
    for box in page.locator("input[name=materials]").all():
        box.check()
    details = reimbursement_details()
    page.fill("input[name='details.medical_institution']", details["medical_institution"])
    page.fill("input[name='details.visit_date']", details["visit_date"])
    first, second = invoice_numbers()
    third, _ = invoice_numbers()
    invoice_row(page, 0, first, "120.50", details["visit_date"])
    page.click(f"{ROWS} .add-row")
    invoice_row(page, 1, second, "0.10", details["visit_date"])
    page.click(f"{ROWS} .add-row")
    invoice_row(page, 2, third, "0.20", details["visit_date"])
    total = "input[name='details.total_amount']"
    assert page.input_value(total) == "120.80", "summed in fen: 0.10 + 0.20 is 0.30"
    assert "已按 3 张发票自动合计：120.80 元" in page.locator("output.live-sum").inner_text()

    page.locator(f"{ROWS} .row").nth(1).locator(".remove-row").click()
    assert page.locator(f"{ROWS} .row").count() == 2
    assert page.input_value("input[name='details.invoices.1.number']") == third, "rows renumbered after removal"
    assert page.input_value(total) == "120.70"
    page.fill("input[name='details.invoices.1.amount']", "80.00")
    assert page.input_value(total) == "200.50"
    page.fill("input[name='details.invoices.1.amount']", "8O")
    assert "格式不正确" in page.locator("output.live-sum").inner_text()
    page.fill("input[name='details.invoices.1.amount']", "80.00")
    for key, value in details["payee"].items():
        page.fill(f"input[name='details.payee.{key}']", value)
    page.locator(ROWS).scroll_into_view_if_needed()
    screenshot(page, "invoice_live_sum_desk")
    page.click("form.accept-form button.primary")
    page.wait_for_load_state()
    assert "/cases/" in page.url, page.locator("main").inner_text()[:600]
    assert "200.50" in page.locator(".case-file").inner_text()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_the_township_clerk_goes_straight_on_to_the_handover(login, as_user, screenshot, viewport):
    name = "desk" if viewport is DESK else "phone"
    case = start_at_village(as_user)
    page = login("qujiang.township_clerk")
    page.set_viewport_size(viewport)
    page.goto("/inbox?view=candidate")
    page.locator("table.inbox tbody tr", has_text=case["case_no"]).first.locator("a.button").click()
    page.wait_for_load_state()
    page.click("button:has-text('认领')")
    page.wait_for_load_state()
    page.select_option("select[name=decision]", "approve")
    page.fill("[name=opinion]", "材料齐全，符合报销条件")
    page.fill("[name=approved_amount]", "200.50")
    page.click("form.task-form button:has-text('提交')")
    page.wait_for_load_state()
    assert page.url.endswith(f"/cases/{case['id']}")
    go_on = page.locator("a:has-text('继续办理下一环节：移交医保中心')")
    assert go_on.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"continue_next_{name}")
    go_on.click()
    page.wait_for_load_state()
    assert page.locator("button:has-text('认领')").count() == 0, "claimed for the clerk already"
    page.select_option("select[name=method]", "系统流转")
    page.click("form.task-form button:has-text('提交')")
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1
    assert page.locator("a:has-text('继续办理下一环节')").count() == 0, "the centre's 复核 is not the clerk's"
