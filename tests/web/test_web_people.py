"""Users, roles and units on the administrators' page; a deactivated user can neither log in nor use a token."""

from uuid import uuid4

import pytest

from tests.web_login import csrf_token, page_login


@pytest.fixture
def admin(fresh):
    client, _ = page_login(fresh, "fengcheng.admin")
    return client


def post(client, url: str, data: dict):
    token = csrf_token(client.get("/admin/people").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def new_clerk(admin) -> str:
    username = f"clerk-{uuid4().hex[:8]}"
    response = post(
        admin,
        "/admin/people/users",
        {
            "username": username,
            "display_name": "周敏",
            "password": "s3cret-pass",
            "org": "360981104",
            "roles": ["township_clerk", "supervisor"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return username


def test_created_user_is_listed_and_works_at_their_unit(admin, fresh, client):
    username = new_clerk(admin)
    page = admin.get("/admin/people").get_data(as_text=True)
    assert f"已创建用户 {username}" in page
    row = page[page.index(f'data-username="{username}"') :].split("</tr>", 1)[0]
    assert "周敏" in row and "曲江镇" in row and "在用" in row
    assert {"乡镇(街道)医保专窗经办员", "督办员"} == set(row.split("<td>")[3].split("</td>")[0].split("、"))
    token = client.post("/api/auth/token", json={"username": username, "password": "s3cret-pass"}).get_json()
    assert token["org"] == "360981104" and token["roles"] == ["supervisor", "township_clerk"]


def first_sign_in(app, username: str, password: str = "s3cret-pass", new_password: str = "Zhou-min-2026"):
    """The new user's session after replacing the initial password the administrator gave."""
    session, response = page_login(app, username, password)
    assert response.headers["Location"].endswith("/password")
    token = csrf_token(session.get("/password").get_data(as_text=True))
    changed = session.post(
        "/password",
        data={
            "csrf_token": token,
            "current_password": password,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)
    return session


def test_deactivated_user_can_no_longer_log_in_or_use_a_token(admin, fresh, client):
    username = new_clerk(admin)
    session = first_sign_in(fresh, username)
    token = client.post("/api/auth/token", json={"username": username, "password": "Zhou-min-2026"}).get_json()["token"]
    assert session.get("/inbox").status_code == 200
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/tasks", headers=headers).status_code == 200

    response = post(admin, f"/admin/people/users/{username}/deactivate", {})
    assert response.status_code == 302
    assert "已停用" in admin.get("/admin/people").get_data(as_text=True)

    assert client.get("/api/tasks", headers=headers).status_code == 401
    assert session.get("/inbox").status_code == 302, "the open session ends too"
    again = client.post("/api/auth/token", json={"username": username, "password": "Zhou-min-2026"})
    assert again.status_code == 401
    _, login = page_login(fresh, username, "Zhou-min-2026")
    assert login.status_code == 401 and "账号已停用" in login.get_data(as_text=True)


def test_bad_user_form_names_every_field(admin):
    response = post(admin, "/admin/people/users", {"username": "", "password": "short", "org": "nowhere"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field, message in [
        ("username", "请填写用户名"),
        ("password", "密码至少 10 位"),
        ("org", "未知单位编码：nowhere"),
        ("role", "至少需要一个角色"),
    ]:
        assert f'data-field="{field}">{message}' in page, field
    assert "short" not in page, "passwords are never echoed"


def test_units_are_created_under_a_parent_and_refused_twice(admin):
    code = f"36098110{uuid4().int % 10}{uuid4().hex[:3]}"
    created = post(
        admin, "/admin/people/units", {"code": code, "name": "测试村", "kind": "village", "parent": "360981104"}
    )
    assert created.status_code == 302
    page = admin.get("/admin/people").get_data(as_text=True)
    assert f'<td class="mono">{code}</td><td>测试村</td><td>村(社区)</td>\n          <td>曲江镇</td>' in page
    again = post(admin, "/admin/people/units", {"code": code, "name": "", "kind": "village"})
    assert again.status_code == 422
    text = again.get_data(as_text=True)
    assert f'data-field="code">单位编码已存在：{code}' in text and 'data-field="name">请填写单位名称' in text


def test_only_administrators_manage_people(fresh):
    clerk, _ = page_login(fresh, "qujiang.township_clerk")
    assert clerk.get("/admin/people").status_code == 403
    token = csrf_token(clerk.get("/inbox").get_data(as_text=True))
    response = clerk.post("/admin/people/users/qujiang.supervisor/deactivate", data={"csrf_token": token})
    assert response.status_code == 403


def test_administrators_cannot_deactivate_themselves(admin):
    response = post(admin, "/admin/people/users/fengcheng.admin/deactivate", {})
    assert response.status_code == 302
    assert "不能停用自己的账号" in admin.get("/admin/people").get_data(as_text=True)


def locked_out(client, username: str) -> None:
    for _ in range(5):
        client.post("/api/auth/token", json={"username": username, "password": "not-the-password"})
    refused = client.post("/api/auth/token", json={"username": username, "password": "s3cret-pass"})
    assert refused.status_code == 401 and "锁定" in refused.get_json()["message"]


def test_an_administrator_unlocks_a_locked_out_user(admin, client):
    username = new_clerk(admin)
    locked_out(client, username)
    page = admin.get("/admin/people").get_data(as_text=True)
    row = page[page.index(f'data-username="{username}"') :].split("</tr>", 1)[0]
    assert "已锁定" in row and "解除锁定" in row
    response = post(admin, f"/admin/people/users/{username}/unlock", {})
    assert response.status_code == 302
    assert f"已解除 {username} 的锁定" in admin.get("/admin/people").get_data(as_text=True)
    assert client.post("/api/auth/token", json={"username": username, "password": "s3cret-pass"}).status_code == 200
    events = admin.get(f"/admin/security?username={username}&action=unlocked").get_data(as_text=True)
    assert events.count('data-action="unlocked"') == 1


def test_an_administrator_resets_a_password_to_a_new_initial_one(admin, fresh, client):
    username = new_clerk(admin)
    locked_out(client, username)
    weak = post(admin, f"/admin/people/users/{username}/reset-password", {"password": username})
    assert weak.status_code == 302
    assert "未能重置" in admin.get("/admin/people").get_data(as_text=True)
    response = post(admin, f"/admin/people/users/{username}/reset-password", {"password": "Reset-pass-2026"})
    assert response.status_code == 302
    assert client.post("/api/auth/token", json={"username": username, "password": "s3cret-pass"}).status_code == 401
    session, login = page_login(fresh, username, "Reset-pass-2026")
    assert login.status_code == 302 and login.headers["Location"].endswith("/password"), "a forced change"


def test_users_of_another_region_are_neither_unlocked_nor_reset(fresh):
    other, _ = page_login(fresh, "fuzhou.admin")
    for action, data in (("unlock", {}), ("reset-password", {"password": "Taken-over-2026"})):
        response = post(other, f"/admin/people/users/qujiang.township_clerk/{action}", data)
        assert response.status_code == 404, action
    _, login = page_login(fresh, "qujiang.township_clerk")
    assert login.status_code == 302, "the password is unchanged"
