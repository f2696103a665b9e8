"""The 受理 page's 接收短信通知 in a browser: ticked by default in the applicant's block, unticked by a clerk for an
applicant who declines, who then gets no text; on a desktop and on a 390-px phone."""

import pytest
from sqlalchemy import select

from engine.catalogue.flows import catalog
from engine.core.models import SmsMessage
from server.extensions import db
from tests.factories import applicant

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
ITEM = "fc-t-05"  # 异地安置退休人员备案 at the township window
PERSON = applicant("钱七")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desktop", "phone"])
def test_an_applicant_who_declines_texts_is_unticked_and_gets_none(app, login, screenshot, viewport):
    page = login("qujiang.township_clerk")
    page.set_viewport_size(viewport)
    name = "desktop" if viewport["width"] > 1000 else "phone"
    page.goto(f"/cases/new/{ITEM}")
    box = page.locator("input[name='applicant.sms']")
    assert box.is_checked()
    page.fill("input[name='applicant.name']", PERSON["name"])
    page.fill("input[name='applicant.id_number']", PERSON["id_number"])
    page.fill("input[name='applicant.mobile']", PERSON["mobile"])
    box.uncheck()
    for material in catalog().get(ITEM).materials:
        page.check(f"input[name=materials][value='{material.name}']")
    page.select_option("select[name='details.filing_type']", "异地安置退休人员")
    page.fill("input[name='details.destination_province']", "广东省")
    page.fill("input[name='details.destination_city']", "深圳市")
    page.fill("input[name='details.start_date']", "2026-11-02")
    box.scroll_into_view_if_needed()
    assert fits(page)
    screenshot(page, f"sms_consent_{name}")
    page.click("form.accept-form button.primary")
    page.wait_for_load_state()
    assert "已受理" in page.locator("main").inner_text()
    with app.app_context():
        assert db.session.scalars(select(SmsMessage)).all() == []
