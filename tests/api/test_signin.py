"""Signing in: lock-out after repeated failures (and the same for a name without an account), token expiry and
revocation, page sessions that end, the forced change of an initial password, and the password rules."""

import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select

from engine.core.clock import clock
from engine.core.models import RevokedToken, SecurityEvent, User
from engine.org import accounts, passwords, signin
from engine.org.permissions import SYSTEM
from server import login
from server.extensions import db
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")

PASSWORD = "Qujiang-window-7"
LOCKED = "账号已锁定，请 15 分钟后再试或联系管理员"


def new_user(app, *, must_change: bool = False, password: str = PASSWORD) -> str:
    username = f"clerk-{uuid4().hex[:8]}"
    with app.app_context():
        accounts.add_user(
            db.session, SYSTEM, username, password, ["township_clerk"], "360981104", must_change_password=must_change
        )
        db.session.remove()
    return username


def token(client, username: str, password: str):
    return client.post("/api/auth/token", json={"username": username, "password": password})


def bearer(response) -> dict:
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def actions_of(app, username: str) -> list[str]:
    with app.app_context():
        rows = db.session.scalars(
            select(SecurityEvent.action).where(SecurityEvent.username == username).order_by(SecurityEvent.id)
        )
        actions = list(rows)
        db.session.remove()
    return actions


# --- Lock-out ---------------------------------------------------------------------------------------


def test_five_failures_lock_the_account_with_a_message_and_an_event(app, client):
    username = new_user(app)
    for _ in range(4):
        refused = token(client, username, "not-the-password-1")
        assert refused.status_code == 401 and refused.get_json()["message"] == signin.REFUSED
    fifth = token(client, username, "not-the-password-1")
    assert fifth.status_code == 401 and fifth.get_json()["message"] == LOCKED
    right = token(client, username, PASSWORD)
    assert right.status_code == 401 and right.get_json()["message"] == LOCKED, "locked even with the right password"
    _, page = page_login(app, username, PASSWORD)
    assert page.status_code == 401 and LOCKED in page.get_data(as_text=True)
    assert actions_of(app, username) == ["user_created"] + ["login_failed"] * 5 + ["locked"] + ["login_blocked"] * 2


def test_the_lock_ends_after_its_period_and_the_count_starts_afresh(app, client):
    username = new_user(app)
    for _ in range(5):
        token(client, username, "not-the-password-1")
    clock.freeze(clock.now() + timedelta(minutes=14, seconds=1))
    assert token(client, username, PASSWORD).get_json()["message"] == "账号已锁定，请 1 分钟后再试或联系管理员"
    clock.freeze(clock.now() + timedelta(minutes=1))
    assert token(client, username, PASSWORD).status_code == 200
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        assert user.failed_logins == 0 and user.locked_until is None
        db.session.remove()
    assert token(client, username, "not-the-password-1").get_json()["message"] == signin.REFUSED


def test_an_administrator_unlocks_at_once(app, client):
    username = new_user(app)
    for _ in range(5):
        token(client, username, "not-the-password-1")
    result = app.test_cli_runner().invoke(args=["users", "unlock", username])
    assert result.exit_code == 0, result.output
    assert token(client, username, PASSWORD).status_code == 200
    assert "unlocked" in actions_of(app, username)


def test_an_unknown_name_costs_a_hash_and_gets_the_same_answer(app, client, monkeypatch):
    username = new_user(app)
    checked: list[str] = []
    verify = passwords.verify_password

    def counting(stored: str, password: str) -> bool:
        checked.append(stored.split("$", 1)[0])
        return verify(stored, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    known = token(client, username, "not-the-password-1")
    unknown = token(client, f"nobody-{uuid4().hex[:8]}", "not-the-password-1")
    assert known.status_code == unknown.status_code == 401
    assert known.get_json() == unknown.get_json()
    assert len(checked) == 2 and checked[0] == checked[1] == passwords.method, "one hash of the same cost each"


def test_an_unknown_name_is_locked_out_like_an_account(app, client):
    nobody = f"nobody-{uuid4().hex[:8]}"
    answers = [token(client, nobody, "not-the-password-1").get_json()["message"] for _ in range(6)]
    assert answers == [signin.REFUSED] * 4 + [LOCKED] * 2
    assert actions_of(app, nobody) == ["login_failed"] * 5 + ["locked", "login_blocked"]
    clock.freeze(clock.now() + timedelta(minutes=16))
    assert token(client, nobody, "not-the-password-1").get_json()["message"] == signin.REFUSED


def test_a_deactivated_account_is_refused_like_a_wrong_password(app, client):
    username = new_user(app)
    with app.app_context():
        admin = db.session.scalars(select(User).where(User.username == "fengcheng.admin")).one()
        accounts.deactivate_user(db.session, admin, username)
        db.session.remove()
    refused = token(client, username, PASSWORD)
    assert refused.status_code == 401 and refused.get_json()["message"] == signin.REFUSED
    assert actions_of(app, username)[-2:] == ["user_deactivated", "login_failed"]


# --- Tokens ------------------------------------------------------------------------------------------


def test_a_token_carries_an_id_and_expires(app, client, monkeypatch):
    issued = token(client, new_user(app), PASSWORD)
    assert issued.get_json()["expires_in"] == 12 * 3600
    with app.test_request_context():
        claims = login.read_token(issued.get_json()["token"])
    assert claims is not None and len(claims.jti) == 32
    headers = bearer(issued)
    start = time.time()
    monkeypatch.setattr(login, "wall_time", lambda: start + 12 * 3600 - 60)
    assert client.get("/api/tasks", headers=headers).status_code == 200
    monkeypatch.setattr(login, "wall_time", lambda: start + 12 * 3600 + 1)
    assert client.get("/api/tasks", headers=headers).status_code == 401


def test_the_token_lifetime_is_a_setting(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "API_TOKEN_HOURS", 1)
    issued = token(client, new_user(app), PASSWORD)
    assert issued.get_json()["expires_in"] == 3600
    start = time.time()
    monkeypatch.setattr(login, "wall_time", lambda: start + 3601)
    assert client.get("/api/tasks", headers=bearer(issued)).status_code == 401


def test_logout_revokes_the_token_and_purges_expired_ones(app, client):
    username = new_user(app)
    first, second = token(client, username, PASSWORD), token(client, username, PASSWORD)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        long_ago = datetime.now(UTC) - timedelta(days=2)
        db.session.add(
            RevokedToken(jti="expired-" + uuid4().hex, user_id=user.id, revoked_at=long_ago, expires_at=long_ago)
        )
        db.session.commit()
        db.session.remove()

    assert client.get("/api/tasks", headers=bearer(first)).status_code == 200
    assert client.post("/api/auth/logout", headers=bearer(first)).status_code == 204
    assert client.get("/api/tasks", headers=bearer(first)).status_code == 401
    assert client.post("/api/auth/logout", headers=bearer(first)).status_code == 401
    assert client.get("/api/tasks", headers=bearer(second)).status_code == 200, "only that token"

    with app.app_context():
        jtis = [row.jti for row in db.session.scalars(select(RevokedToken).where(RevokedToken.user_id == user.id))]
        db.session.remove()
    assert len(jtis) == 1 and not jtis[0].startswith("expired-")
    assert actions_of(app, username)[-1] == "logout"


def test_page_logout_ends_the_session_even_for_a_copy_of_the_cookie(app):
    username = new_user(app)
    session, _ = page_login(app, username, PASSWORD)
    copy = app.test_client()
    cookie = session.get_cookie("session")
    copy.set_cookie("session", cookie.value)
    assert copy.get("/inbox").status_code == 200
    token_field = csrf_token(session.get("/inbox").get_data(as_text=True))
    assert session.post("/logout", data={"csrf_token": token_field}).status_code == 302
    assert session.get("/inbox").status_code == 302
    assert copy.get("/inbox").status_code == 302, "the copied cookie names a revoked session"
    assert actions_of(app, username)[-2:] == ["login", "logout"]


def test_a_page_session_ends_when_idle_and_after_its_maximum(app, monkeypatch):
    username = new_user(app)
    now = [time.time()]
    monkeypatch.setattr(login, "wall_time", lambda: now[0])
    session, _ = page_login(app, username, PASSWORD)
    for _ in range(24):  # a request every 29 minutes keeps it for 11.6 hours
        now[0] += 29 * 60
        assert session.get("/inbox").status_code == 200
    now[0] += 29 * 60  # 12.08 hours after signing in
    assert session.get("/inbox").status_code == 302

    idle, _ = page_login(app, username, PASSWORD)
    now[0] += 31 * 60
    response = idle.get("/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- Forced change of an initial password -------------------------------------------------------------


def test_an_initial_password_must_be_changed_before_the_api_answers(app, client):
    username = new_user(app, must_change=True)
    issued = token(client, username, PASSWORD)
    assert issued.status_code == 200 and issued.get_json()["must_change_password"] is True
    blocked = client.get("/api/tasks", headers=bearer(issued))
    assert blocked.status_code == 403 and "须先修改密码" in blocked.get_json()["message"]

    weak = client.post(
        "/api/auth/password", headers=bearer(issued), json={"current_password": PASSWORD, "new_password": "1234567890"}
    )
    assert weak.status_code == 422 and weak.get_json()["errors"]["new_password"]
    wrong = client.post(
        "/api/auth/password",
        headers=bearer(issued),
        json={"current_password": "not-it-at-all-1", "new_password": "Another-pass-42"},
    )
    assert wrong.status_code == 422 and wrong.get_json()["errors"]["current_password"] == ["当前密码不正确"]

    changed = client.post(
        "/api/auth/password",
        headers=bearer(issued),
        json={"current_password": PASSWORD, "new_password": "Another-pass-42"},
    )
    assert changed.status_code == 200 and changed.get_json()["must_change_password"] is False
    assert client.get("/api/tasks", headers=bearer(changed)).status_code == 200
    assert client.get("/api/tasks", headers=bearer(issued)).status_code == 401, "issued before the change"
    assert token(client, username, PASSWORD).status_code == 401
    assert token(client, username, "Another-pass-42").status_code == 200
    assert {"password_change_failed", "password_changed"} <= set(actions_of(app, username))


def test_pages_lead_only_to_the_change_password_page_until_changed(app):
    username = new_user(app, must_change=True)
    session, response = page_login(app, username, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")
    for path in ("/inbox", "/cases/new", "/"):
        answer = session.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/password"), path
    page = session.get("/password").get_data(as_text=True)
    assert "请先修改密码" in page
    assert session.get("/progress").status_code == 200, "public pages stay open"

    form = {"csrf_token": csrf_token(page), "current_password": PASSWORD}
    mismatch = session.post("/password", data=form | {"new_password": "Window-pass-99", "confirm_password": "other"})
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    common = session.post("/password", data=form | {"new_password": "yibao123456", "confirm_password": "yibao123456"})
    assert common.status_code == 422 and "密码过于常见" in common.get_data(as_text=True)
    changed = session.post(
        "/password", data=form | {"new_password": "Window-pass-99", "confirm_password": "Window-pass-99"}
    )
    assert changed.status_code == 302
    inbox = session.get("/inbox")
    assert inbox.status_code == 200 and "密码已修改" in inbox.get_data(as_text=True)


def test_administrators_create_users_who_must_change_their_password(app, client):
    admin, _ = page_login(app, "fengcheng.admin")
    username = f"clerk-{uuid4().hex[:8]}"
    form = {"csrf_token": csrf_token(admin.get("/admin/people").get_data(as_text=True))}
    created = admin.post(
        "/admin/people/users",
        data=form | {"username": username, "password": PASSWORD, "org": "360981104", "roles": ["township_clerk"]},
    )
    assert created.status_code == 302
    assert token(client, username, PASSWORD).get_json()["must_change_password"] is True


def test_the_demo_users_are_seeded_as_they_are(client):
    issued = token(client, "qujiang.township_clerk", "yibao2026")
    assert issued.status_code == 200 and issued.get_json()["must_change_password"] is False


# --- Password rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short-1", "密码至少 10 位"),
        ("abcdefghijkl", "密码须包含字母、数字、符号中的至少两类"),
        ("0123456789", "密码过于常见，请换一个"),
        ("Yibao123456", "密码过于常见，请换一个"),
        ("x-zhou.min-2026", "密码不能包含用户名"),
        ("ZHOU.MIN-2026x", "密码不能包含用户名"),
        ("a" * 129 + "1", "密码不能超过 128 位"),
    ],
)
def test_password_rules(password, problem):
    assert problem in signin.password_problems(password, "zhou.min")


def test_a_good_password_passes_and_the_list_is_read():
    assert signin.password_problems("Qujiang-window-7", "zhou.min") == []
    assert "yibao2026" in signin.common_passwords() and "1qaz2wsx3edc" in signin.common_passwords()


def test_the_command_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            f"u-{uuid4().hex[:6]}",
            "--password",
            "yibao2026",
            "--role",
            "township_clerk",
            "--org",
            "360981104",
        ]
    )
    assert result.exit_code == 2 and "密码至少 10 位" in result.output and "密码过于常见" in result.output


def test_changing_keeps_the_rules_and_differs_from_the_current_one(app, client):
    username = new_user(app)
    issued = token(client, username, PASSWORD)
    same = client.post(
        "/api/auth/password", headers=bearer(issued), json={"current_password": PASSWORD, "new_password": PASSWORD}
    )
    assert same.status_code == 422 and same.get_json()["errors"]["new_password"] == ["新密码不能与当前密码相同"]
    mine = client.post(
        "/api/auth/password",
        headers=bearer(issued),
        json={"current_password": PASSWORD, "new_password": f"{username}-2026"},
    )
    assert mine.get_json()["errors"]["new_password"] == ["密码不能包含用户名"]


def test_a_reset_password_unlocks_and_must_be_changed(app, client):
    username = new_user(app)
    for _ in range(5):
        token(client, username, "not-the-password-1")
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["users", "reset-password", username, "--password", "short"])
    assert weak.exit_code == 2 and "密码至少 10 位" in weak.output
    result = runner.invoke(args=["users", "reset-password", username, "--password", "Reset-pass-2026"])
    assert result.exit_code == 0, result.output
    issued = token(client, username, "Reset-pass-2026")
    assert issued.status_code == 200 and issued.get_json()["must_change_password"] is True
    assert actions_of(app, username)[-2:] == ["password_reset", "login"]
    assert runner.invoke(args=["users", "unlock", "nobody-at-all"]).exit_code == 2
