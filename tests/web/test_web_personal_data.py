"""The case page's 显示完整证件号 (the unit working the case, recorded) and the administrators' page of who saw an
applicant's data."""

import pytest

from tests.factories import applicant
from tests.scenarios import ADMIN, start_at_village
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")

ID_NUMBER, MOBILE = applicant()["id_number"], applicant()["mobile"]
MASKED_ID, MASKED_MOBILE = ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:], "139****1234"
TOWNSHIP = "qujiang.township_clerk"
VILLAGE = "qujiangcun.village_agent"


def test_the_case_page_offers_the_full_numbers_to_the_unit_working_it(app, as_user):
    case = start_at_village(as_user)
    township, _ = page_login(app, TOWNSHIP)
    page = township.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert MASKED_ID in page and MASKED_MOBILE in page
    assert ID_NUMBER not in page and MOBILE not in page
    assert "显示完整证件号" in page

    shown = township.post(f"/cases/{case['id']}/personal-data", data={"csrf_token": csrf_token(page)})
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert ID_NUMBER in text and MOBILE in text and "本次查看已记入办件历史" in text
    again = township.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert ID_NUMBER not in again and "查看完整证件号" in again  # masked again; the showing is in the history

    village, _ = page_login(app, VILLAGE)
    village_page = village.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "显示完整证件号" not in village_page
    refused = village.post(f"/cases/{case['id']}/personal-data", data={"csrf_token": csrf_token(village_page)})
    assert refused.status_code == 403 and ID_NUMBER not in refused.get_data(as_text=True)

    admin, _ = page_login(app, ADMIN)
    listing = admin.get(f"/admin/personal-data?id_number={ID_NUMBER}").get_data(as_text=True)
    assert case["case_no"] in listing and "完整证件号和手机号" in listing
    assert admin.get("/admin/personal-data?id_number=123").status_code == 400
    assert township.get("/admin/personal-data").status_code == 403
