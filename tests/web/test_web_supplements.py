"""The 待补正 page and 容缺补交 through the test client: a window sees its own unit's waits only, and another
unit's (or region's) window cannot record a supplement on a case it may not see."""

import pytest

from tests.api.test_deferred_acceptance import COPY, deferred_case
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")


def test_the_page_lists_the_units_own_waits_only(app, as_user):
    case = deferred_case(as_user)
    own, _ = page_login(app, "qujiang.township_clerk")
    page = own.get("/supplements").get_data(as_text=True)
    assert case["case_no"] in page and "容缺补交" in page and "剩余7天" in page
    for other in ("yitang.township_clerk", "gudong.township_clerk"):
        client, _ = page_login(app, other)
        assert case["case_no"] not in client.get("/supplements").get_data(as_text=True)


@pytest.mark.parametrize("username", ["yitang.township_clerk", "gudong.township_clerk", "fuzhou.admin"])
def test_another_units_window_cannot_record_a_supplement(app, as_user, username):
    case = deferred_case(as_user)
    client, _ = page_login(app, username)
    token = csrf_token(client.get("/supplements").get_data(as_text=True))
    response = client.post(f"/cases/{case['id']}/deferred-materials", data={"received": COPY, "csrf_token": token})
    assert response.status_code == 404
    detail = as_user("qujiang.township_clerk").get(f"/api/instances/{case['id']}").get_json()
    assert detail["promise"]["outstanding"] == [COPY]
