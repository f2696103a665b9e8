"""The applicant's 好差评 page: no log-in, CSRF on both posts, the stages shown only to whoever knows the number and
the tail; the 受理单 and the 办结通知 carry its QR code."""

import html
import re

import pytest
import segno

from server.extensions import limiter
from tests.factories import id_number
from tests.scenarios import concluded_case, start_at_village
from tests.web_login import csrf_token, page_login

TAIL = id_number()[-6:]

pytestmark = pytest.mark.usefixtures("fresh")


@pytest.fixture(autouse=True)
def _fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


def opened(client, case_no=""):
    page = client.get("/rating", query_string={"case_no": case_no} if case_no else None)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_applicant_checks_the_number_then_rates_a_stage(app, as_user):
    case = concluded_case(as_user)
    client = app.test_client()
    first = opened(client, case["case_no"])  # what the QR code opens: the number filled in, nothing looked up
    assert f'name="case_no" value="{case["case_no"]}"' in first
    assert "乡镇初审" not in first

    checked = client.post(
        "/rating", data={"csrf_token": csrf_token(first), "case_no": case["case_no"], "id_tail": TAIL}
    )
    assert checked.status_code == 200
    text = checked.get_data(as_text=True)
    stages = re.findall(r'<option value="([^"]+)"( selected)?>', text)
    assert [title for title, _ in stages] == ["受理", "乡镇初审", "移交医保中心", "医保中心复核", "拨付", "出件"]
    assert [title for title, selected in stages if selected] == ["出件"]
    assert "乡镇初审（曲江镇）" in text and "出件（曲江村）· 最后环节" in text
    assert text.count('type="radio" name="level"') == 5

    missing_level = client.post(
        "/rating",
        data={"csrf_token": csrf_token(text), "step": "rate", "case_no": case["case_no"], "id_tail": TAIL},
    )
    assert missing_level.status_code == 422
    assert "此项为必填项" in missing_level.get_data(as_text=True)

    done = client.post(
        "/rating",
        data={
            "csrf_token": csrf_token(text),
            "step": "rate",
            "case_no": case["case_no"],
            "id_tail": TAIL,
            "stage": "乡镇初审",
            "level": "不满意",
            "comment": "等了很久",
        },
    )
    assert done.status_code == 200
    thanks = done.get_data(as_text=True)
    assert "感谢您的评价" in thanks and "乡镇初审（曲江镇）" in thanks
    assert "您的意见已转曲江镇核实整改，督办员将回访您" in thanks
    (task,) = as_user("qujiang.township_clerk").get("/api/tasks?view=candidate").get_json()["items"]
    assert task["title"] == "整改"

    again = client.post("/rating", data={"csrf_token": csrf_token(text), "case_no": case["case_no"], "id_tail": TAIL})
    assert again.status_code == 409
    assert "该办件已评价，每件办件只能评价一次" in again.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(app, as_user):
    case = concluded_case(as_user)
    client = app.test_client()
    refused = client.post("/rating", data={"case_no": case["case_no"], "id_tail": TAIL})
    assert refused.status_code == 400
    assert "拨付" not in refused.get_data(as_text=True)


def test_misses_are_told_alike_and_tries_are_limited(app, as_user):
    case = concluded_case(as_user)
    client = app.test_client()
    token = csrf_token(opened(client))
    wrong = client.post("/rating", data={"csrf_token": token, "case_no": case["case_no"], "id_tail": "000000"})
    unknown = client.post("/rating", data={"csrf_token": token, "case_no": "360981-20261008-999999", "id_tail": TAIL})
    assert wrong.status_code == unknown.status_code == 404
    for page in (wrong, unknown):
        assert "未找到该办件，请核对办件编号和身份证号后六位" in page.get_data(as_text=True)
    malformed = client.post("/rating", data={"csrf_token": token, "case_no": case["case_no"], "id_tail": "12"})
    assert malformed.status_code == 422
    assert "身份证号后六位应为6个字符，只能是数字或X" in malformed.get_data(as_text=True)
    for _ in range(7):
        client.post("/rating", data={"csrf_token": token, "case_no": case["case_no"], "id_tail": "000000"})
    limited = client.post("/rating", data={"csrf_token": token, "case_no": case["case_no"], "id_tail": TAIL})
    assert limited.status_code == 429
    assert "提交次数过多，请一分钟后再试" in limited.get_data(as_text=True)
    assert client.get("/rating").status_code == 200  # opening the page is no try


def test_a_running_case_cannot_be_rated_yet(app, as_user):
    case = start_at_village(as_user)
    client = app.test_client()
    page = client.post(
        "/rating", data={"csrf_token": csrf_token(opened(client)), "case_no": case["case_no"], "id_tail": TAIL}
    )
    assert page.status_code == 409
    assert "办件尚未办结，办结后才能评价" in page.get_data(as_text=True)


def qr_of(text: str, svgclass: str) -> str:
    return re.search(rf'<svg [^>]*class="{svgclass}".*?</svg>', text, re.S).group(0)


def test_the_receipt_and_the_conclusion_notice_carry_the_rating_qr_code(as_user):
    case = concluded_case(as_user)
    agent = as_user("qujiangcun.village_agent")
    url = f"http://localhost/rating?case_no={case['case_no']}"
    drawn = segno.make(url, error="m").svg_inline(scale=0.75, unit="mm", title=url, svgclass="rating-qr")
    for kind in ("receipt", "conclusion"):
        text = agent.get(f"/api/instances/{case['id']}/documents/{kind}").get_data(as_text=True)
        svg = qr_of(text, "rating-qr")
        assert f"<title>{html.escape(url)}</title>" in svg
        assert svg == drawn, kind
        assert (
            "扫码或登录 http://localhost/rating，凭办件编号" in text
            and f">{case['case_no']}</span> 和身份证号后六位" in text
        )
    rejection = agent.get(f"/api/instances/{case['id']}/documents/missing_materials").get_data(as_text=True)
    assert "rating-qr" not in rejection


def test_the_case_page_offers_the_stage_and_shows_an_online_rating(app, as_user):
    case = concluded_case(as_user)
    village, _ = page_login(app, "qujiangcun.village_agent")
    offered = village.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert '<select name="stage">' in offered and "拨付（丰城市医疗保障服务中心）" in offered

    client = app.test_client()
    token = csrf_token(opened(client))
    rated = {"csrf_token": token, "step": "rate", "case_no": case["case_no"], "id_tail": TAIL, "level": "满意"}
    assert client.post("/rating", data=rated | {"stage": "医保中心复核"}).status_code == 200
    shown = village.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "医保中心复核（丰城市医疗保障服务中心）" in shown and "申请人在线评价" in shown
    assert '<select name="stage">' not in shown
