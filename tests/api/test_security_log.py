"""The security log: what sign-ins, failures, lock-outs, account changes record, and who reads it how
(`GET /api/security-events`, /admin/security)."""

from datetime import date, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select

from engine.core.clock import clock
from engine.core.models import User
from engine.org import accounts, security_log
from engine.org.permissions import SYSTEM
from server.extensions import db
from tests.web_login import page_login

pytestmark = pytest.mark.usefixtures("fresh")

PASSWORD = "Qujiang-window-7"


@pytest.fixture
def clerk(app, client) -> str:
    """A user of 曲江镇 who signed in once and failed twice."""
    username = f"clerk-{uuid4().hex[:8]}"
    with app.app_context():
        accounts.add_user(
            db.session, SYSTEM, username, PASSWORD, ["township_clerk"], "360981104", must_change_password=False
        )
        db.session.remove()
    for password in (PASSWORD, "not-the-password-1", "not-the-password-2"):
        client.post("/api/auth/token", json={"username": username, "password": password})
    return username


def test_administrators_list_events_by_user_and_action(as_user, clerk):
    admin = as_user("fengcheng.admin")
    every = admin.get(f"/api/security-events?username={clerk}").get_json()
    assert [e["action"] for e in every["items"]] == ["login_failed", "login_failed", "login", "user_created"]
    failure = every["items"][0]
    assert failure["action_label"] == "登录失败" and failure["org_code"] == "360981104"
    assert failure["org_name"] == "曲江镇" and failure["remote_addr"] == "127.0.0.1"
    assert failure["detail"] == {"via": "api", "reason": "password"}
    assert failure["described"] == ["途径：接口", "原因：密码错误"]
    created = every["items"][-1]
    assert created["detail"]["by"] == "system" and "角色：乡镇(街道)医保专窗经办员" in created["described"]

    failed = admin.get(f"/api/security-events?username={clerk}&action=login_failed&per_page=1").get_json()
    assert failed["total"] == 2 and len(failed["items"]) == 1 and failed["per_page"] == 1


def test_the_day_range_is_inclusive(as_user, clerk):
    admin = as_user("fengcheng.admin")
    today = clock.now().date()
    inside = admin.get(f"/api/security-events?username={clerk}&from={today}&to={today}").get_json()
    assert inside["total"] == 4
    before = admin.get(f"/api/security-events?username={clerk}&to={today - timedelta(days=1)}").get_json()
    assert before["total"] == 0
    backwards = admin.get(f"/api/security-events?from={today}&to={today - timedelta(days=1)}")
    assert backwards.status_code == 422 and "结束日期不能早于开始日期" in str(backwards.get_json())


def test_only_administrators_read_the_log(as_user, clerk, app):
    assert as_user("qujiang.township_clerk").get("/api/security-events").status_code == 403
    assert as_user("fengcheng.admin").get("/api/security-events?action=nonsense").status_code == 422
    page_client, _ = page_login(app, "qujiang.township_clerk")
    assert page_client.get("/admin/security").status_code == 403


def test_the_page_shows_the_log_in_words(app, clerk):
    admin, _ = page_login(app, "fengcheng.admin")
    page = admin.get(f"/admin/security?username={clerk}&action=login_failed").get_data(as_text=True)
    assert page.count('data-action="login_failed"') == 2 and "登录失败" in page and "原因：密码错误" in page
    assert "安全日志" in admin.get("/admin/instances").get_data(as_text=True), "in the administrators' menu"
    wrong = admin.get("/admin/security?from=yesterday")
    assert wrong.status_code == 400 and "日期格式应为 YYYY-MM-DD" in wrong.get_data(as_text=True)


def test_deactivation_and_page_logins_are_recorded(app, as_user, clerk):
    admin, _ = page_login(app, "fengcheng.admin")
    with app.app_context():
        fengcheng_admin = db.session.scalars(select(User).where(User.username == "fengcheng.admin")).one()
        accounts.deactivate_user(db.session, fengcheng_admin, clerk)
        db.session.remove()
    latest = as_user("fengcheng.admin").get(f"/api/security-events?username={clerk}").get_json()["items"][0]
    assert latest["action"] == "user_deactivated" and latest["detail"] == {"by": "fengcheng.admin"}
    logins = as_user("fengcheng.admin").get("/api/security-events?username=fengcheng.admin&action=login").get_json()
    assert logins["items"][0]["detail"]["via"] == "page"


def test_each_administrator_reads_the_events_of_their_region_only(app, as_user, client, clerk):
    """丰城's clerk's events are 丰城's: 福州's and 永州's administrators find none of them; a failed sign-in under
    an unknown name concerns no unit, and only the system level reads it."""
    unknown = f"nobody-{uuid4().hex[:8]}"
    client.post("/api/auth/token", json={"username": unknown, "password": "guess-guess-1"})
    assert as_user("fengcheng.admin").get(f"/api/security-events?username={clerk}").get_json()["total"] == 4
    for admin in ("fuzhou.admin", "yongzhou.admin", "gulou.admin"):
        assert as_user(admin).get(f"/api/security-events?username={clerk}").get_json()["total"] == 0, admin
        assert as_user(admin).get(f"/api/security-events?username={unknown}").get_json()["total"] == 0, admin
        every = as_user(admin).get("/api/security-events?per_page=200").get_json()["items"]
        assert not any(e["username"] == clerk for e in every), admin
    assert as_user("fengcheng.admin").get(f"/api/security-events?username={unknown}").get_json()["total"] == 0
    platform = as_user("platform.admin")
    assert platform.get(f"/api/security-events?username={clerk}").get_json()["total"] == 4
    assert platform.get(f"/api/security-events?username={unknown}").get_json()["total"] == 1
    page_client, _ = page_login(app, "fuzhou.admin")
    page = page_client.get(f"/admin/security?username={clerk}").get_data(as_text=True)
    assert "data-action=" not in page, "the page keeps to the same scope"


def test_the_day_filter_looks_ahead_to_nothing(app, clerk):
    with app.app_context():
        since_tomorrow = security_log.events(
            db.session, SYSTEM, security_log.EventFilter(username=clerk, since=date.today() + timedelta(days=2))
        )
        db.session.remove()
    assert since_tomorrow.total == 0


def test_an_unknown_action_is_not_recorded(app):
    with app.app_context(), pytest.raises(ValueError):
        security_log.record(db.session, "made_up")
