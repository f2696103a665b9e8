"""The case file in a real browser: scans taken at 受理, the application read by every stage, 480 of 506.50.

The village agent accepts a 门诊费用报销 of 506.50 元 with two invoice scans and the ID card; the township
clerk reads the invoice table and the 委托 and opens a scan, approves 480 with an opinion; the centre reviewer sees
that decision and approves 480; the payer finds 480 and the payee filled in; the village hands the result out (出件)
and its 办结通知 prints 480.00.
"""

import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfWriter

from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import settle_over_http

pytestmark = pytest.mark.browser

APPLICANT = applicant(name="李桂兰", first17="36098119580412242")
OPINION = "自付部分26.50元不予报销，核定480元"
AGENT = mandate()


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), colour).save(buffer, "PNG")
    return buffer.getvalue()


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def accept_with_scans(page) -> str:
    page.goto("/cases/new/fc-v-08")
    page.fill("input[name='applicant.name']", APPLICANT["name"])
    page.fill("input[name='applicant.id_number']", APPLICANT["id_number"])
    page.fill("input[name='applicant.mobile']", APPLICANT["mobile"])
    for box in page.locator("input[name=materials]").all():
        box.check()
    page.set_input_files(
        "input[name='scan:0']", [{"name": "身份证.pdf", "mimeType": "application/pdf", "buffer": pdf()}]
    )
    page.set_input_files(
        "input[name='scan:1']",
        [
            {"name": "发票1.png", "mimeType": "image/png", "buffer": png("white")},
            {"name": "发票2.png", "mimeType": "image/png", "buffer": png("lightyellow")},
        ],
    )
    page.check("input[name=proxy]")
    page.fill("input[name='mandate.agent_name']", AGENT["agent_name"])
    page.fill("input[name='mandate.agent_id_number']", AGENT["agent_id_number"])
    page.select_option("select[name='mandate.relation']", AGENT["relation"])
    details = reimbursement_details()
    page.fill("input[name='details.medical_institution']", details["medical_institution"])
    page.fill("input[name='details.visit_date']", details["visit_date"])
    amounts = ["300.00", "206.50"]
    for index, invoice in enumerate(details["invoices"]):
        if index:
            page.click("fieldset[data-rows='details.invoices'] .add-row")
        for key, value in {**invoice, "amount": amounts[index]}.items():
            page.fill(f"input[name='details.invoices.{index}.{key}']", value)
    page.fill("input[name='details.total_amount']", "506.50")
    for key, value in details["payee"].items():
        page.fill(f"input[name='details.payee.{key}']", value)
    page.click("button:has-text('受理')")
    page.wait_for_load_state()
    assert "/cases/" in page.url, page.content()
    return page.url


def open_task(page, case_no: str):
    page.goto("/inbox?view=candidate")
    page.locator("table.inbox tbody tr", has_text=case_no).first.locator("a.button").click()
    page.wait_for_load_state()


def claim(page):
    page.click("button:has-text('认领')")
    page.wait_for_load_state()


def submit(page):
    page.click("form.task-form button:has-text('提交')")
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1, page.locator(".field-error").all_inner_texts()


def test_every_stage_reads_the_file_and_the_money_adds_up(app, live_server, login, screenshot):
    village = login("qujiangcun.village_agent")
    case_url = accept_with_scans(village)
    case_no = village.locator("h1 .mono").inner_text()
    assert village.locator("ul.attachments li.attachment").count() == 3
    assert "PDF · 2 页" in village.locator("ul.attachments").inner_text()

    township = login("qujiang.township_clerk")
    open_task(township, case_no)
    invoices = township.locator("table.file-table[data-table='发票']")
    assert invoices.locator("tbody tr").count() == 2
    assert "506.50 元" in invoices.locator("tfoot").inner_text()
    application = township.locator(".application").inner_text()
    assert "是（受申请人委托代为申请）" in application and AGENT["agent_name"] in application
    assert AGENT["relation"] in application and AGENT["agent_id_number"] not in application
    with township.expect_popup() as opened:
        township.locator("ul.attachments a.attachment-name", has_text="发票1").click()
    scan = opened.value
    scan.wait_for_load_state()
    scan.close()
    claim(township)
    township.select_option("select[name=decision]", "approve")
    township.fill("[name=approved_amount]", "99999")
    township.fill("[name=opinion]", OPINION)
    township.click("form.task-form button:has-text('提交')")
    township.wait_for_load_state()
    error = township.locator(".field-error[data-field=approved_amount]").inner_text()
    assert error == "核定金额 99999.00 元不能超过申请金额 506.50 元"
    screenshot(township, "case_file_township")
    township.set_viewport_size({"width": 390, "height": 844})
    screenshot(township, "case_file_township_phone")
    width = township.evaluate("document.documentElement.scrollWidth")
    widest = township.evaluate(
        """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
           .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)"""
    )
    assert width <= 390, f"the task page is {width}px wide on a 390px phone: {widest}"
    township.set_viewport_size({"width": 1366, "height": 900})
    township.fill("[name=approved_amount]", "480")
    submit(township)
    township.click("a:has-text('继续办理下一环节：移交医保中心')")  # claimed for the same clerk
    township.select_option("select[name=method]", "系统流转")
    submit(township)

    reviewer = login("fc-centre.centre_reviewer")
    open_task(reviewer, case_no)
    decision = reviewer.locator("article.decision", has_text="乡镇初审")
    assert decision.locator(".outcome").inner_text() == "通过"
    assert OPINION in decision.inner_text() and "480.00 元" in decision.inner_text()
    history = reviewer.locator("table.history").inner_text()
    assert "查看附件" in history and OPINION in history
    screenshot(reviewer, "case_file_centre")
    claim(reviewer)
    reviewer.select_option("select[name=decision]", "approve")
    reviewer.fill("[name=opinion]", "复核通过")
    reviewer.fill("[name=approved_amount]", "480.00")
    submit(reviewer)
    settle_over_http(app, live_server, case_no, {"hifp_pay": "300.00", "hifmi_pay": "150.00", "maf_pay": "30.00"})

    payer = login("fc-centre.centre_payer")
    open_task(payer, case_no)
    settlement = payer.locator("section.settlement").inner_text()
    assert "统筹基金支付" in settlement and "300.00 元" in settlement and "480.00 元" in settlement
    claim(payer)
    assert payer.input_value("[name=amount]") == "480.00"
    assert payer.input_value("[name=payee_name]") == "张三"
    assert payer.input_value("[name=account_no]") == "6228480012345678901"
    payer.fill("[name=paid_on]", date.today().isoformat())
    screenshot(payer, "case_file_payout")
    payer.set_viewport_size({"width": 390, "height": 844})
    screenshot(payer, "case_file_payout_phone")
    assert payer.evaluate("document.documentElement.scrollWidth") <= 390
    payer.set_viewport_size({"width": 1366, "height": 900})
    submit(payer)
    assert payer.locator(".status").first.inner_text() == "办理中", "paid: the village window hands it out"

    open_task(village, case_no)
    claim(village)
    village.select_option("select[name=method]", "现场领取")
    submit(village)
    assert village.locator(".status").first.inner_text() == "已办结"
    assert "现场领取" in village.locator("section.collection").inner_text()
    case_id = case_url.rsplit("/", 1)[1]
    village.goto(f"/api/instances/{case_id}/documents/conclusion")
    assert "已拨付480.00元" in village.content()
