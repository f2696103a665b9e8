"""The public progress page (no log-in, same answer for any miss, limited with the REST lookup) and the
受理单's QR code that leads to it."""

import html
import re

import pytest
import segno
from sqlalchemy import select

from engine.core.clock import clock
from engine.core.models import User
from server.extensions import db, limiter
from tests.factories import id_number
from tests.scenarios import at, start_at_village

pytestmark = pytest.mark.usefixtures("fresh")

NO_MATCH = "未找到该办件，请核对办件编号和身份证号后六位"
TAIL = id_number()[-6:]


@pytest.fixture(autouse=True)
def _fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


def page(client, address="127.0.0.1", **query):
    return client.get("/progress", query_string=query, environ_base={"REMOTE_ADDR": address})


def test_the_page_needs_no_login_and_takes_the_number_from_the_qr_link(client):
    response = page(client)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<h1>办件进度查询</h1>" in text and 'name="id_tail"' in text and "/login" in text
    assert 'width=device-width' in text
    prefilled = page(client, case_no="360981-20261203-000007").get_data(as_text=True)
    assert 'name="case_no" value="360981-20261203-000007"' in prefilled


def test_the_right_tail_lays_out_the_case_for_the_applicant(app, as_user, client):
    clock.freeze(at("2026-10-08T10:00:00"))
    case = start_at_village(as_user)
    response = page(client, case_no=case["case_no"], id_tail=TAIL.lower())
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "门诊费用报销" in text and '<span class="status status-running">办理中</span>' in text
    assert "<b>乡镇初审</b>" in text and "（曲江镇）" in text
    assert re.search(r"<dt>办结期限</dt>\s*<dd>2026年\d+月\d+日前</dd>", text)
    assert "<dd>张*</dd>" in text and "张三" not in text and id_number() not in text
    assert '{"' not in text  # laid out, not raw JSON
    with app.app_context():
        for name in db.session.scalars(select(User.display_name)):
            assert name not in text
        db.session.remove()
    assert 'name="id_tail" value' not in text  # the tail is not echoed back into the form


def test_any_miss_shows_the_same_message(as_user, client):
    case = start_at_village(as_user)
    wrong_tail = page(client, case_no=case["case_no"], id_tail="000000")
    no_such_case = page(client, case_no="360981-20261008-999999", id_tail=TAIL)
    for response in (wrong_tail, no_such_case):
        assert response.status_code == 404
        assert f'<p class="error" role="alert">{NO_MATCH}</p>' in response.get_data(as_text=True)
    assert "乡镇初审" not in wrong_tail.get_data(as_text=True)


def test_bad_input_is_shown_beside_its_field(client):
    response = page(client, case_no="", id_tail="12ab")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert '<span class="field-error">请填写办件编号</span>' in text
    assert '<span class="field-error">身份证号后六位应为6个字符，只能是数字或X</span>' in text


def test_the_page_and_the_api_share_ten_tries_a_minute_and_opening_the_form_is_no_try(as_user, client):
    case = start_at_village(as_user)
    for _ in range(15):  # opening the QR code's link looks nothing up
        assert page(client, address="10.3.3.3", case_no=case["case_no"]).status_code == 200
    for _ in range(5):
        assert page(client, address="10.3.3.3", case_no=case["case_no"], id_tail="000000").status_code == 404
    for _ in range(5):
        api = client.get(
            "/api/progress",
            query_string={"case_no": "X", "id_tail": "000000"},
            environ_base={"REMOTE_ADDR": "10.3.3.3"},
        )
        assert api.status_code == 404
    refused = page(client, address="10.3.3.3", case_no=case["case_no"], id_tail=TAIL)
    assert refused.status_code == 429
    text = refused.get_data(as_text=True)
    assert "查询次数过多，请一分钟后再试" in text and "乡镇初审" not in text
    assert f'value="{case["case_no"]}"' in text
    assert page(client, address="10.3.3.4", case_no=case["case_no"], id_tail=TAIL).status_code == 200


def test_the_login_page_links_to_the_progress_page(client):
    assert '<a href="/progress">办件进度查询</a>' in client.get("/login").get_data(as_text=True)


def receipt(as_user, case):
    response = as_user("qujiangcun.village_agent").get(f"/api/instances/{case['id']}/documents/receipt")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_the_receipt_prints_the_case_number_and_a_qr_code_of_the_progress_page(as_user):
    case = start_at_village(as_user)
    text = receipt(as_user, case)
    url = f"http://localhost/progress?case_no={case['case_no']}"
    svg = re.search(r"<svg .*?</svg>", text, re.S).group(0)
    assert f"<title>{html.escape(url)}</title>" in svg
    # the same code segno draws for that address: the QR encodes exactly it
    assert svg == segno.make(url, error="m").svg_inline(scale=0.75, unit="mm", title=url, svgclass="progress-qr")
    rating = (
        f"http://localhost/rating?case_no={case['case_no']}"  # the 好差评 link (tests/web/test_web_applicant_rating.py)
    )
    assert "http" not in text.replace(url, "").replace(rating, "").replace("http://localhost/progress", "").replace(
        "http://localhost/rating", ""
    )  # nothing to fetch
    assert f'<p class="progress-no">办件编号：{case["case_no"]}</p>' in text
    assert "扫码或登录 http://localhost/progress 凭办件编号和身份证号后六位查询办理进度" in text


def test_the_qr_code_uses_the_public_address_when_one_is_set(app, as_user, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://yb.example.gov.cn/")
    case = start_at_village(as_user)
    text = receipt(as_user, case)
    assert f"<title>https://yb.example.gov.cn/progress?case_no={case['case_no']}</title>" in text
    assert "扫码或登录 https://yb.example.gov.cn/progress 凭办件编号" in text
