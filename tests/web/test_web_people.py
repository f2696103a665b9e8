"""Users, roles and units on the administrators' page; a deactivated user can neither log in nor use a token."""

import re
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


def row_of(page: str, username: str) -> str:
    return page[page.index(f'data-username="{username}"') :].split("</tr>", 1)[0]


def test_an_administrator_unlocks_a_locked_out_user_on_their_page(admin, client):
    username = new_clerk(admin)
    locked_out(client, username)
    assert "已锁定" in row_of(admin.get("/admin/people").get_data(as_text=True), username)
    person = admin.get(f"/admin/people/users/{username}").get_data(as_text=True)
    assert "已锁定" in person and "解除锁定" in person
    response = post(admin, f"/admin/people/users/{username}/unlock", {})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/people/users/{username}")
    assert f"已解除 {username} 的锁定" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert client.post("/api/auth/token", json={"username": username, "password": "s3cret-pass"}).status_code == 200
    events = admin.get(f"/admin/security?username={username}&action=unlocked").get_data(as_text=True)
    assert events.count('data-action="unlocked"') == 1


TEMPORARY = re.compile(r"data-temporary-password>([^<]+)</p>")


def test_a_reset_shows_a_temporary_password_once_and_forces_a_change(admin, fresh, client):
    """Issue 15: 重置密码 draws a temporary password, shown once; its owner must change it at the next login."""
    username = new_clerk(admin)
    locked_out(client, username)
    response = post(admin, f"/admin/people/users/{username}/reset-password", {})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    temporary = TEMPORARY.search(page).group(1)
    assert len(temporary) >= 12 and "只显示这一次" in page
    assert temporary not in admin.get(f"/admin/people/users/{username}").get_data(as_text=True), "shown once"
    assert client.post("/api/auth/token", json={"username": username, "password": "s3cret-pass"}).status_code == 401
    session, login = page_login(fresh, username, temporary)
    assert login.status_code == 302 and login.headers["Location"].endswith("/password"), "a forced change"
    assert session.get("/inbox").headers["Location"].endswith("/password")
    first_sign_in(fresh, username, temporary, "Zhou-min-2027")
    events = admin.get(f"/admin/security?username={username}&action=password_reset").get_data(as_text=True)
    assert events.count('data-action="password_reset"') == 1


def test_search_finds_people_by_name_username_and_unit(admin):
    """Issue 15: the people page searches by name, user name and unit."""
    username = new_clerk(admin)
    for query in ("周敏", username.upper(), "曲江镇"):
        page = admin.get("/admin/people", query_string={"q": query}).get_data(as_text=True)
        assert f'data-username="{username}"' in page, query
        assert f'value="{query}"' in page, "the search stays in its box"
    by_name = admin.get("/admin/people?q=周敏").get_data(as_text=True)
    assert 'data-username="qujiang.township_clerk"' not in by_name
    none = admin.get("/admin/people?q=没有这个人").get_data(as_text=True)
    assert "没有符合“没有这个人”的用户" in none and "data-username=" not in none
    assert 'data-username="' not in admin.get("/admin/people?q=%25").get_data(as_text=True).split("用户（")[1]
    too_long = admin.get("/admin/people", query_string={"q": "长" * 61})
    assert too_long.status_code == 400 and 'data-field="q">搜索内容不超过60个字符' in too_long.get_data(as_text=True)


def test_an_administrator_edits_name_unit_and_roles(admin):
    """Issue 15: edit a person's name, unit and roles; a change of roles is in the security log."""
    username = new_clerk(admin)
    person = admin.get(f"/admin/people/users/{username}").get_data(as_text=True)
    assert (
        'name="display_name" value="周敏"' in person
        and '<option value="360981104" title="360981104" selected>' in person
    )
    saved = post(
        admin,
        f"/admin/people/users/{username}",
        {"display_name": "周敏敏", "org": "360981104201", "roles": ["village_agent"]},
    )
    assert saved.status_code == 302
    row = row_of(admin.get("/admin/people").get_data(as_text=True), username)
    assert "周敏敏" in row and "曲江村" in row and "村(社区)医保协理员" in row and "督办员" not in row
    events = admin.get(f"/admin/security?username={username}&action=role_changed").get_data(as_text=True)
    assert events.count('data-action="role_changed"') == 1


def test_the_edit_form_names_every_problem_by_its_field(admin):
    username = new_clerk(admin)
    refused = post(admin, f"/admin/people/users/{username}", {"display_name": "", "org": ""})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    for field, message in [("display_name", "请填写姓名"), ("org", "请选择单位"), ("role", "至少需要一个角色")]:
        assert f'data-field="{field}">{message}' in page, field
    assert "未知单位编码" not in page
    own = post(admin, "/admin/people/users/fengcheng.admin", {"display_name": "管理员", "org": "360981", "roles": []})
    assert own.status_code == 422
    mine = post(
        admin,
        "/admin/people/users/fengcheng.admin",
        {"display_name": "管理员", "org": "360981", "roles": ["supervisor"]},
    )
    assert 'data-field="role">不能取消自己的系统管理员角色' in mine.get_data(as_text=True)


def test_deactivation_asks_for_confirmation_and_the_list_has_no_red_buttons(admin):
    """Issue 15: no red 停用 on every row; a quiet link on the person's page leads to a confirmation."""
    username = new_clerk(admin)
    listing = admin.get("/admin/people").get_data(as_text=True)
    users_section = listing[listing.index('class="card people-list"') :]
    assert 'class="danger"' not in users_section and "/deactivate" not in users_section
    person = admin.get(f"/admin/people/users/{username}").get_data(as_text=True)
    assert f'href="/admin/people/users/{username}/deactivate"' in person and 'class="danger"' not in person
    confirm = admin.get(f"/admin/people/users/{username}/deactivate").get_data(as_text=True)
    assert "停用 周敏" in confirm and "确认停用" in confirm and f'href="/admin/people/users/{username}">取消' in confirm
    done = post(admin, f"/admin/people/users/{username}/deactivate", {})
    assert done.status_code == 302
    assert "已停用" in row_of(admin.get("/admin/people").get_data(as_text=True), username)


def test_the_user_form_asks_to_choose_a_unit_and_marks_required_fields(admin):
    """Issue 15: "请选择单位" by the field when none is chosen, and required-field marks."""
    refused = post(admin, "/admin/people/users", {"username": "nobody-x", "password": "s3cret-pass", "org": ""})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-field="org">请选择单位' in page and "未知单位编码" not in page
    form = page[page.index('class="create-user"') :].split("</form>", 1)[0]
    for label in ("用户名", "初始密码", "所在单位", "角色"):
        assert f'{label}<em class="req" title="必填">*</em>' in form, label
    assert "（360981104）" not in page, "unit codes only in a title"


def test_users_of_another_region_are_neither_unlocked_nor_reset(fresh):
    other, _ = page_login(fresh, "fuzhou.admin")
    for action, data in (("unlock", {}), ("reset-password", {})):
        response = post(other, f"/admin/people/users/qujiang.township_clerk/{action}", data)
        assert response.status_code == 404, action
    _, login = page_login(fresh, "qujiang.township_clerk")
    assert login.status_code == 302, "the password is unchanged"
