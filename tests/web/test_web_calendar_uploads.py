"""Uploads the calendar page must answer with a message, never a 500: a name that is no file name, and a notice
nested deeper than any schedule (the TOML parser recurses)."""

import shutil
from io import BytesIO

import pytest

from engine import workcalendar
from engine.workcalendar import PROJECT_HOLIDAYS_DIR, upkeep
from engine.workcalendar.tomldoc import MAX_NESTING
from tests.web_login import csrf_token, page_login

NOTICE_2026 = (PROJECT_HOLIDAYS_DIR / "2026.toml").read_bytes()


@pytest.fixture
def admin(fresh, tmp_path, monkeypatch):
    """The system-level administrator, who loads notices, over a holidays folder of this test's own."""
    directory = tmp_path / "holidays"
    directory.mkdir()
    for name in ("statutory.toml", "2024.toml", "2025.toml"):
        shutil.copy(PROJECT_HOLIDAYS_DIR / name, directory)
    monkeypatch.setattr(workcalendar, "holidays_dir", directory)
    monkeypatch.setitem(fresh.config, "HOLIDAYS_DIR", str(directory))
    workcalendar.reload_default_calendar()
    client, _ = page_login(fresh, "platform.admin")
    yield client, directory
    monkeypatch.undo()
    workcalendar.reload_default_calendar()


def upload(client, name: str, content: bytes):
    token = csrf_token(client.get("/admin/calendar").get_data(as_text=True))
    return client.post(
        "/admin/calendar",
        data={"csrf_token": token, "notice": (BytesIO(content), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("name", ["..", ".", "../..", "a/..", "x" * 300 + ".toml", "bad\x01name.toml"])
def test_a_name_that_is_no_file_name_is_refused(admin, name):
    client, directory = admin
    response = upload(client, name, NOTICE_2026)
    assert response.status_code == 400
    assert "文件名无效" in response.get_data(as_text=True)
    assert not (directory / "2026.toml").exists()


@pytest.mark.parametrize("name", ["../../etc/2026.toml", "C:\\Users\\李\\2026.toml", "/tmp/2026.toml"])
def test_only_the_base_name_of_a_path_is_used_and_the_file_installed(admin, name):
    client, directory = admin
    response = upload(client, name, NOTICE_2026)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert (directory / "2026.toml").read_bytes() == NOTICE_2026


def test_upload_names_are_their_base_names():
    assert upkeep.uploaded_notice_name("C:\\a\\b\\2027.toml") == "2027.toml"
    assert upkeep.uploaded_notice_name(" 2027.toml ") == "2027.toml"
    assert upkeep.uploaded_notice_name("..") is None and upkeep.uploaded_notice_name(None) is None


@pytest.mark.parametrize(
    "nested",
    ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 400 + "1" + "}" * 400, "[off]\nx = " + "[" * 17 + "]" * 17],
)
def test_a_notice_nested_too_deep_is_refused_naming_its_line(admin, nested):
    client, directory = admin
    content = 'year = 2026\nnotice = "x"\npublished = 2025-11-04\n' + nested + "\n"
    response = upload(client, "2026.toml", content.encode())
    assert response.status_code == 422
    line = content.count("\n", 0, content.index(nested)) + 1 + nested.count("\n")
    assert f"2026.toml 第 {line} 行：数组或内联表嵌套超过 {MAX_NESTING} 层" in response.get_data(as_text=True)
    assert not (directory / "2026.toml").exists()
