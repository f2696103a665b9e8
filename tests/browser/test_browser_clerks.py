"""Clerks in a real browser: a 门诊费用报销 case from the village window to payment at the centre."""

from datetime import date

import pytest

from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import settle_over_http

pytestmark = pytest.mark.browser

ITEM = "fc-v-08"
APPLICANT = applicant(name="王秀英", first17="36098119561203242")
AGENT = mandate()


def accept_case(page, materials_ticked: bool = True) -> str:
    """Fill the 受理 form as the village agent would; returns the URL landed on."""
    page.goto("/cases/new")
    page.fill("input[name=q]", "门诊费用")
    page.click("text=查找")
    page.click(f"a[href='/cases/new/{ITEM}']")
    page.fill("input[name='applicant.name']", APPLICANT["name"])
    page.fill("input[name='applicant.id_number']", APPLICANT["id_number"])
    page.fill("input[name='applicant.mobile']", APPLICANT["mobile"])
    if materials_ticked:
        for box in page.locator("input[name=materials]").all():
            box.check()
    page.check("input[name=proxy]")
    page.fill("input[name='mandate.agent_name']", AGENT["agent_name"])
    page.fill("input[name='mandate.agent_id_number']", AGENT["agent_id_number"])
    page.select_option("select[name='mandate.relation']", AGENT["relation"])
    details = reimbursement_details()
    page.fill("input[name='details.medical_institution']", details["medical_institution"])
    page.fill("input[name='details.visit_date']", details["visit_date"])
    for index, invoice in enumerate(details["invoices"]):
        if index:
            page.click("fieldset[data-rows='details.invoices'] .add-row")
        for key, value in invoice.items():
            page.fill(f"input[name='details.invoices.{index}.{key}']", value)
    page.fill("input[name='details.total_amount']", details["total_amount"])
    for key, value in details["payee"].items():
        page.fill(f"input[name='details.payee.{key}']", value)
    page.click("button:has-text('受理')")
    page.wait_for_load_state()
    return page.url


def open_first_candidate(page, title: str):
    page.goto("/inbox?view=candidate")
    row = page.locator("table.inbox tbody tr", has_text=title).first
    row.locator("a.button").click()
    page.wait_for_load_state()


def claim_and_submit(page, fill: dict, choose: dict | None = None):
    page.click("button:has-text('认领')")
    for name, value in (choose or {}).items():
        page.select_option(f"select[name='{name}']", value)
    for name, value in fill.items():
        page.fill(f"[name='{name}']", value)
    page.click("form.task-form button:has-text('提交')")
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1, page.content()


def test_outpatient_case_from_village_to_payment(app, live_server, login, screenshot):
    village = login("qujiangcun.village_agent")
    url = accept_case(village)
    assert "/cases/" in url
    case_no = village.locator("h1 .mono").inner_text()
    assert village.locator(".status").inner_text() == "办理中"

    township = login("qujiang.township_clerk")
    township.goto("/inbox")
    row = township.locator("table.inbox tbody tr", has_text=case_no)
    assert row.locator("td").nth(3).inner_text() == "乡镇初审"
    masked = APPLICANT["id_number"][:4] + "*" * 10 + APPLICANT["id_number"][-4:]
    assert masked in row.inner_text() and APPLICANT["id_number"] not in township.content()
    screenshot(township, "inbox")

    open_first_candidate(township, case_no)
    review_url = township.url
    township.click("button:has-text('认领')")
    township.select_option("select[name=decision]", "reject")
    township.click("form.task-form button:has-text('提交')")
    assert township.locator(".field-error[data-field=reason]").inner_text() == "审核不通过时必须填写理由"
    screenshot(township, "task")
    township.select_option("select[name=decision]", "approve")
    township.fill("[name=opinion]", "材料齐全，符合报销条件")
    township.fill("[name=approved_amount]", "200.50")
    township.click("form.task-form button:has-text('提交')")
    assert township.locator(".flash-success").count() == 1

    township.click("a:has-text('继续办理下一环节：移交医保中心')")  # claimed for the same clerk
    township.select_option("select[name=method]", "系统流转")
    township.click("form.task-form button:has-text('提交')")
    assert township.locator(".flash-success").count() == 1

    other = login("xiaogang.township_clerk")
    response = other.goto(review_url)
    assert response.status == 404
    assert APPLICANT["name"] not in other.content()

    reviewer = login("fc-centre.centre_reviewer")
    open_first_candidate(reviewer, case_no)
    claim_and_submit(reviewer, {"opinion": "复核通过", "approved_amount": "200.50"}, {"decision": "approve"})
    settle_over_http(app, live_server, case_no, {"hifp_pay": "200.50", "hifmi_pay": "0.00", "maf_pay": "0.00"})

    payer = login("fc-centre.centre_payer")
    open_first_candidate(payer, case_no)
    claim_and_submit(
        payer,
        {
            "amount": "200.50",
            "payee_name": APPLICANT["name"],
            "bank_name": "中国农业银行丰城支行",
            "account_no": "6228480012345678901",
            "paid_on": date.today().isoformat(),
        },
    )
    assert payer.locator(".status").inner_text() == "办理中", "paid, the result goes back to the village for 出件"

    open_first_candidate(village, case_no)
    claim_and_submit(village, {}, {"method": "现场领取"})
    assert village.locator(".status").inner_text() == "已办结"

    admin = login("fengcheng.admin")
    case_id = url.rsplit("/", 1)[1]
    admin.goto(f"/admin/instances/{case_id}")
    admin.wait_for_selector("#diagram[data-ready=true]")
    assert admin.locator(".status").inner_text() == "已办结"
    for element in ("apply", "township_review", "hand_over", "centre_review", "pay_out", "collect", "concluded"):
        assert admin.locator(f"[data-element-id={element}].done").count() == 1, element
    assert admin.locator("[data-element-id=Flow_3].done").count() == 1, "village/township cases go to 乡镇初审"
    assert admin.locator("[data-element-id=Flow_4].done").count() == 0, "not the centre-level branch"
    assert admin.locator("[data-element-id=Flow_12].done").count() == 1, "paid, then 出件"
    for rejected in ("Flow_7", "Flow_11"):
        assert admin.locator(f"[data-element-id={rejected}].done").count() == 0, "neither review rejected it"
    assert admin.locator(".bjs-powered-by").is_visible()
    screenshot(admin, "instance_diagram")

    village.goto(url)
    village.select_option("form.rating-form select[name=level]", "非常满意")
    village.fill("form.rating-form [name=comment]", "协理员上门帮办，很方便")
    village.click("form.rating-form button:has-text('登记评价')")
    assert village.locator(".rating-level").inner_text() == "非常满意"
    screenshot(village, "rating")
