"""首问登记 pages: the form in the window's menu, the unit's list both ways, the printed slip, and the 受理 page's
offer when the unit may not accept an item."""

import pytest

from tests.factories import applicant
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")

PERSON = applicant("王五")


def post_referral(client, **overrides):
    token = csrf_token(client.get("/referrals").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "item": "fc-t-05",
        "name": PERSON["name"],
        "id_number": PERSON["id_number"],
        "mobile": "",
        "question": "父亲退休后随子女到福州居住，如何备案",
        "referred_to": "350102001",
        **overrides,
    }
    return client.post("/referrals", data=data)


def test_the_window_menu_leads_to_the_form(app):
    village, _ = page_login(app, "qujiangcun.village_agent")
    page = village.get("/inbox").get_data(as_text=True)
    assert 'href="/referrals"' in page and "首问登记" in page
    form = village.get("/referrals").get_data(as_text=True)
    assert 'name="referred_to"' in form and '<option value="350102001"' in form
    assert '<option value="fc-t-05"' in form and "暂无首问记录" in form
    admin, _ = page_login(app, "fengcheng.admin")
    assert 'href="/referrals"' not in admin.get("/admin/sla").get_data(as_text=True)
    assert admin.get("/referrals").status_code == 403


def test_a_recorded_referral_is_listed_both_ways_and_printed(app):
    village, _ = page_login(app, "qujiangcun.village_agent")
    response = post_referral(village)
    assert response.status_code == 302
    page = village.get(response.headers["Location"]).get_data(as_text=True)
    assert "已登记首问，转介至鼓东街道" in page and "打印首问告知单" in page
    assert "转出" in page and PERSON["id_number"] not in page and "3609**********" in page

    fuzhou, _ = page_login(app, "gudong.township_clerk")
    received = fuzhou.get("/referrals").get_data(as_text=True)
    assert "转入" in received and "王五" in received and "曲江村" in received
    other, _ = page_login(app, "yitang.township_clerk")
    assert "王五" not in other.get("/referrals").get_data(as_text=True)

    slip_path = next(part.split('"')[0] for part in page.split('href="')[1:] if "/slip" in part.split('"')[0])
    slip = village.get(slip_path).get_data(as_text=True)
    assert "首问告知单" in slip and "鼓东街道" in slip and "曲江村" in slip and "异地安置退休人员备案" in slip
    assert "需携带材料" in slip and "<li>" in slip and PERSON["id_number"] not in slip
    assert "年" in slip and "月" in slip


def test_bad_input_is_shown_beside_its_field(app):
    village, _ = page_login(app, "qujiangcun.village_agent")
    response = post_referral(village, name="", referred_to="nowhere")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-field="name">此项为必填项' in page
    response = post_referral(village, referred_to="nowhere")
    assert 'data-field="referred_to">未知单位编码：nowhere' in response.get_data(as_text=True)


def test_a_refused_acceptance_offers_a_prefilled_referral(app):
    village, _ = page_login(app, "qujiangcun.village_agent")
    token = csrf_token(village.get("/cases/new/fc-t-05").get_data(as_text=True))
    fields = {
        "csrf_token": token,
        "applicant.name": PERSON["name"],
        "applicant.id_number": PERSON["id_number"],
        "applicant.mobile": PERSON["mobile"],
    }
    refused = village.post("/cases/new/fc-t-05", data=fields)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "登记首问并转介" in page and 'formaction="/referrals"' in page

    prefilled = village.post("/referrals", data={**fields, "item": "fc-t-05", "from_accept": "1"})
    assert prefilled.status_code == 200
    form = prefilled.get_data(as_text=True)
    assert f'value="{PERSON["id_number"]}"' in form and 'value="王五"' in form
    assert '<option value="fc-t-05" selected' in form
    assert "暂无首问记录" in form  # nothing recorded yet


def test_the_sla_page_shows_referrals(app):
    village, _ = page_login(app, "qujiangcun.village_agent")
    post_referral(village)
    admin, _ = page_login(app, "fengcheng.admin")
    page = admin.get("/admin/sla").get_data(as_text=True)
    assert '<b data-figure="referrals_made">1</b>' in page
    assert '<b data-figure="referrals_received">0</b>' in page
