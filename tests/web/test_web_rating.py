"""好差评 on the case page after 办结: offered to the accepting unit's staff, once, with field errors."""

import pytest

from tests.scenarios import concluded_case
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")


def rate(client, case_id: int, data: dict):
    token = csrf_token(client.get(f"/cases/{case_id}").get_data(as_text=True))
    return client.post(f"/cases/{case_id}/rating", data={"csrf_token": token, **data})


def test_the_village_records_a_rating_once(app, as_user):
    case = concluded_case(as_user)
    village, _ = page_login(app, "qujiangcun.village_agent")
    page = village.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert 'class="rating-form"' in page and '<option value="非常满意"' in page

    response = rate(village, case["id"], {"level": "满意", "comment": "办理很快"})
    assert response.status_code == 302
    page = village.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "已登记好差评：满意" in page and '<dd class="rating-level">满意</dd>' in page and "办理很快" in page
    assert 'class="rating-form"' not in page
    assert as_user("qujiangcun.village_agent").get(f"/api/instances/{case['id']}/rating").get_json()["level"] == "满意"


def test_a_poor_rating_names_its_rectification(app, as_user):
    case = concluded_case(as_user)
    village, _ = page_login(app, "qujiangcun.village_agent")
    rate(village, case["id"], {"level": "不满意", "comment": "等待时间太长"})
    page = village.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "差评已转曲江村整改" in page and "-ZG" in page  # the last stage: the village's 出件


def test_a_missing_level_is_shown_beside_its_field(app, as_user):
    case = concluded_case(as_user)
    village, _ = page_login(app, "qujiangcun.village_agent")
    response = rate(village, case["id"], {"comment": "好"})
    assert response.status_code == 422
    assert 'data-field="level">' in response.get_data(as_text=True)


def test_other_units_and_running_cases_get_no_rating_form(app, as_user):
    case = concluded_case(as_user)
    township, _ = page_login(app, "qujiang.township_clerk")
    assert 'class="rating-form"' not in township.get(f"/cases/{case['id']}").get_data(as_text=True)
    token = csrf_token(township.get("/inbox").get_data(as_text=True))
    refused = township.post(f"/cases/{case['id']}/rating", data={"csrf_token": token, "level": "满意"})
    assert refused.status_code == 403
