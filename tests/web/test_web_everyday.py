"""Small things a clerk or administrator meets every day (issue 15): logging out says so, every page has the
site's icon, and the calendar page explains the notice file itself instead of pointing to a repository file."""

import pytest

from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")


def test_logging_out_says_so_on_the_login_page(app):
    client, _ = page_login(app, "qujiang.township_clerk")
    token = csrf_token(client.get("/inbox").get_data(as_text=True))
    answer = client.post("/logout", data={"csrf_token": token}, follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert answer.request.path == "/login"
    assert "您已安全退出。" in page
    assert client.get("/inbox").status_code == 302


def test_every_page_names_the_icon_and_the_icon_is_served(app):
    client, _ = page_login(app, "qujiang.township_clerk")
    page = client.get("/inbox").get_data(as_text=True)
    assert 'rel="icon"' in page and "favicon.svg" in page
    icon = client.get("/assets/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_the_calendar_page_explains_the_notice_file_without_a_repository_path(app):
    client, _ = page_login(app, "platform.admin")
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert "holidays/README.md" not in page
    assert "文件格式" in page and "[working]" in page and "国办发明电〔2025〕7号" in page


def test_the_header_names_the_person_and_the_unit_once(app):
    client, _ = page_login(app, "qujiangcun.village_agent")
    page = client.get("/inbox").get_data(as_text=True)
    assert "村(社区)医保协理员（曲江村）" in page
    assert "曲江村村" not in page
