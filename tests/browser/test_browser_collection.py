"""帮办代办 and 统一窗口出件 in a browser, at the 曲江村 window, on a 1440-px desk and a 390-px phone.

The village agent accepts a 门诊费用报销 for the applicant: ticking 帮办代办 makes the 委托 required field by field;
with the agent, the relation and the signed 授权委托书's scan the case starts and its file shows the 委托. The township
and the centre decide over the API (the centre rejects); the result returns to the village for 出件, where 邮寄 asks
for its tracking number; once handed out the case is concluded, and the 出件 task and the case page link the 办结通知,
which prints the decision and the 出件.
"""

import io

import pytest
from PIL import Image

from engine.attachments import store
from tests.factories import applicant, mandate
from tests.scenarios import ALL_MATERIALS, APPROVE, work

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
ITEM = "fc-v-08"
AGENT = mandate("刘协理", relation="村（社区）医保协理员")
PERSON = applicant("孙秀兰")
REASON = "发票与费用清单金额不符"
TRACKING = "EMS1180012345"


@pytest.fixture
def scans_dir(tmp_path):
    previous = store.use(store.LocalStore(tmp_path / "attachments"))
    yield
    store.use(previous)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def signed_authorisation() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 1100), (252, 252, 248)).save(out, "PNG")
    return out.getvalue()


def fill_application(page):
    page.goto(f"/cases/new/{ITEM}")
    page.fill("input[name='applicant.name']", PERSON["name"])
    page.fill("input[name='applicant.id_number']", PERSON["id_number"])
    page.fill("input[name='applicant.mobile']", PERSON["mobile"])
    for name in ALL_MATERIALS:
        page.check(f"input[name=materials][value='{name}']")
    page.fill("input[name='details.medical_institution']", "丰城市人民医院")
    page.fill("input[name='details.visit_date']", "2026-10-08")
    page.fill("input[name='details.invoices.0.number']", "36000000")
    page.fill("input[name='details.invoices.0.amount']", "200.50")
    page.fill("input[name='details.invoices.0.date']", "2026-10-08")
    page.fill("input[name='details.total_amount']", "200.50")
    page.fill("input[name='details.payee.bank_name']", "中国农业银行丰城支行")
    page.fill("input[name='details.payee.account_name']", PERSON["name"])
    page.fill("input[name='details.payee.account_no']", "6228480012345678901")


def accept_by_proxy(page, screenshot, name) -> str:
    """The 受理 page: 帮办代办 without its 委托 is refused by field, then accepted with it and the scan."""
    fill_application(page)
    page.check("input[name=proxy]")
    page.click("form.accept-form button.primary")
    page.wait_for_load_state()
    mandate_part = page.locator("fieldset.mandate")
    refused = {
        error.get_attribute("data-field"): error.inner_text() for error in mandate_part.locator(".field-error").all()
    }
    assert refused == {f"mandate.{field}": "此项为必填项" for field in ("agent_name", "agent_id_number", "relation")}
    assert page.locator("h1").inner_text().startswith("受理"), "nothing was accepted"
    assert fits(page)
    mandate_part.scroll_into_view_if_needed()
    screenshot(page, f"collection_accept_refused_{name}")

    fill_application(page)
    page.check("input[name=proxy]")
    page.fill("input[name='mandate.agent_name']", AGENT["agent_name"])
    page.fill("input[name='mandate.agent_id_number']", AGENT["agent_id_number"])
    page.select_option("select[name='mandate.relation']", AGENT["relation"])
    page.set_input_files(
        "input[name='scan:mandate']",
        [{"name": "授权委托书.png", "mimeType": "image/png", "buffer": signed_authorisation()}],
    )
    page.locator("fieldset.mandate").scroll_into_view_if_needed()
    assert fits(page)
    screenshot(page, f"collection_accept_mandate_{name}")
    page.click("form.accept-form button.primary")
    page.wait_for_load_state()
    assert "/cases/" in page.url and page.locator("h1 .mono").count() == 1, page.locator("main").inner_text()[:800]
    shown = page.locator(".case-file .mandate").inner_text()
    assert AGENT["agent_name"] in shown and AGENT["relation"] in shown and "已扫描（1份）" in shown
    assert AGENT["agent_id_number"] not in page.content()
    return page.locator("h1 .mono").inner_text()


def rejected_at_the_centre(as_user):
    township = as_user("qujiang.township_clerk")
    work(township, "乡镇初审", APPROVE)
    work(township, "移交医保中心", {"method": "系统流转"})
    work(as_user("fc-centre.centre_reviewer"), "医保中心复核", {"decision": "reject", "reason": REASON})


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_a_proxy_application_is_accepted_with_its_mandate_and_the_result_posted_back_from_the_window(
    login, as_user, screenshot, scans_dir, viewport
):
    name = "desk" if viewport["width"] > 1000 else "phone"
    page = login("qujiangcun.village_agent")
    page.set_viewport_size(viewport)
    case_no = accept_by_proxy(page, screenshot, name)
    case_url = page.url
    rejected_at_the_centre(as_user)

    page.goto("/inbox?view=candidate")
    page.locator("table.inbox tbody tr", has_text=case_no).filter(has_text="出件").locator("a.button").click()
    page.wait_for_load_state()
    task_url = page.url
    page.click("button:has-text('认领')")
    page.wait_for_load_state()
    assert "请将办理结果交付申请人" in page.locator(".task-form-card").inner_text()
    page.select_option("select[name=method]", "邮寄")
    page.click("form.task-form button:has-text('提交')")
    page.wait_for_load_state()
    assert page.locator(".field-error[data-field=tracking_no]").inner_text() == "邮寄出件时必须填写快递单号"
    assert fits(page)
    page.locator("form.task-form").scroll_into_view_if_needed()
    screenshot(page, f"collection_task_refused_{name}")
    page.fill("[name=tracking_no]", TRACKING)
    page.click("form.task-form button:has-text('提交')")
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1, page.locator("main").inner_text()[:800]
    assert page.url.endswith(case_url.rsplit("/", 1)[1]) and page.locator(".status").inner_text() == "已办结"
    handed = page.locator("section.collection").inner_text()
    assert "邮寄" in handed and TRACKING in handed and "曲江村" in handed
    assert fits(page)
    page.locator("section.collection").scroll_into_view_if_needed()
    screenshot(page, f"collection_case_{name}")

    page.goto(task_url)
    link = page.locator(".task-form-card a.conclusion-print")
    assert link.inner_text() == "打印办结通知"
    assert fits(page)
    with page.context.expect_page() as opened:
        link.click()
    printed = opened.value
    printed.set_viewport_size(viewport)
    printed.wait_for_load_state()
    text = printed.inner_text("body")
    assert "办结通知" in text and f"审核不通过：{REASON}" in text and TRACKING in text and "曲江村（盖章）" in text
    assert fits(printed)
    screenshot(printed, f"collection_conclusion_{name}")
    printed.close()
