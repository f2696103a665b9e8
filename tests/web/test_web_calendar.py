"""The calendar page: covered and provisional years, a year's days, loading a notice like `flask calendar load`."""

import shutil
from io import BytesIO

import pytest

from engine import workcalendar
from engine.workcalendar import PROJECT_HOLIDAYS_DIR
from tests.web_login import csrf_token, page_login


@pytest.fixture
def holidays_dir(app, tmp_path, monkeypatch):
    """Official notices up to 2025 only, so 2026 is provisional until its notice is loaded here."""
    directory = tmp_path / "holidays"
    directory.mkdir()
    for name in ("statutory.toml", "2024.toml", "2025.toml"):
        shutil.copy(PROJECT_HOLIDAYS_DIR / name, directory)
    monkeypatch.setattr(workcalendar, "holidays_dir", directory)
    monkeypatch.setitem(app.config, "HOLIDAYS_DIR", str(directory))
    workcalendar.reload_default_calendar()
    yield directory
    monkeypatch.undo()
    workcalendar.reload_default_calendar()


@pytest.fixture
def admin(fresh, holidays_dir):
    """Notices are national: the system-level administrator loads them."""
    client, _ = page_login(fresh, "platform.admin")
    return client


def upload(client, name: str, content: bytes):
    token = csrf_token(client.get("/admin/calendar").get_data(as_text=True))
    return client.post(
        "/admin/calendar",
        data={"csrf_token": token, "notice": (BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_years_show_which_are_provisional_and_a_years_days(admin):
    page = admin.get("/admin/calendar?year=2025").get_data(as_text=True)
    assert "国办发明电〔2024〕12号" in page and "2025-01-26（日）</td><td>春节" in page
    assert '<tr class="">\n          <td>2026年</td>\n          <td><span class="badge warning">暂定</span>' in page
    provisional = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "尚未载入2026年的放假通知" in provisional and 'class="empty">无</td>' in provisional


def test_loading_a_notice_installs_it_and_recomputes(admin, holidays_dir):
    assert workcalendar.default_calendar().is_provisional_year(2026)
    content = (PROJECT_HOLIDAYS_DIR / "2026.toml").read_bytes()
    response = upload(admin, "国办发明电2025-7.toml", content)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/calendar?year=2026"
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "已载入2026年放假安排（国办发明电〔2025〕7号），全年 248 个工作日；已重算 0 个待办时限" in page
    assert (holidays_dir / "2026.toml").read_bytes() == content
    assert not workcalendar.default_calendar().is_provisional_year(2026)


def test_a_contradictory_notice_is_refused_with_file_and_line(admin, holidays_dir):
    text = (
        (PROJECT_HOLIDAYS_DIR / "2026.toml")
        .read_text(encoding="utf-8")
        .replace('2026-02-14 = "春节"', '2026-02-13 = "春节"')
    )
    bad_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("2026-02-13"))
    response = upload(admin, "2026.toml", text.encode())
    assert response.status_code == 422
    assert (
        f"2026.toml 第 {bad_line} 行：2026-02-13 is a make-up working day but not a Saturday or Sunday"
        in response.get_data(as_text=True)
    )
    assert not (holidays_dir / "2026.toml").exists()


def test_a_year_outside_the_supported_range_names_the_year_line(admin):
    response = upload(admin, "1999.toml", b'year = 1999\nnotice = "x"\npublished = 1998-12-01\n[off]\n[working]\n')
    assert response.status_code == 422
    assert "1999.toml 第 1 行：只支持2000年至2099年，而文件写的是1999年" in response.get_data(as_text=True)


def test_only_administrators_load_notices_and_only_with_csrf(fresh, holidays_dir):
    clerk, _ = page_login(fresh, "qujiang.township_clerk")
    assert clerk.get("/admin/calendar").status_code == 403
    admin, _ = page_login(fresh, "fengcheng.admin")
    response = admin.post("/admin/calendar", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    token = csrf_token(admin.get("/admin/calendar").get_data(as_text=True))
    empty = admin.post("/admin/calendar", data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 400 and "请选择放假安排文件（.toml）" in empty.get_data(as_text=True)
    assert not (holidays_dir / "2026.toml").exists()


def test_a_regions_administrator_reads_the_calendar_but_loads_no_notice(fresh, holidays_dir):
    region, _ = page_login(fresh, "fengcheng.admin")
    page = region.get("/admin/calendar?year=2025").get_data(as_text=True)
    assert "国办发明电〔2024〕12号" in page
    assert 'class="load-notice"' not in page and "放假安排全国统一，由全系统管理员载入" in page
    token = csrf_token(region.get("/admin/people").get_data(as_text=True))
    content = (PROJECT_HOLIDAYS_DIR / "2026.toml").read_bytes()
    response = region.post(
        "/admin/calendar",
        data={"csrf_token": token, "notice": (BytesIO(content), "2026.toml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403 and "只有全系统管理员可以载入" in response.get_data(as_text=True)
    assert not (holidays_dir / "2026.toml").exists()
