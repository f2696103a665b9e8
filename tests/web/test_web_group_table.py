"""候选组对照 on the administrators' pages: the national table beside the region's own entries, adding and removing
one, field messages in Chinese, and the same scope as /api/group-roles (another region's administrator: 422 or 404,
nothing changed; others: 403)."""

import re

import pytest
from sqlalchemy import select

from engine.core.models import GroupRole
from server.extensions import db
from tests.scenarios import ADMIN, SYSTEM_ADMIN
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")
PAGE = "/admin/group-roles"


def login(app, username: str):
    client, _ = page_login(app, username)
    return client


def post(client, url: str, data: dict):
    token = csrf_token(client.get(PAGE).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def stored(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(select(GroupRole.region, GroupRole.group_name, GroupRole.role)).all()
        db.session.remove()
    return sorted(tuple(row) for row in rows)


def entry_id(app, group: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(GroupRole.id).where(GroupRole.group_name == group))
        db.session.remove()
    return found


def test_the_national_table_and_the_regions_own_entries_side_by_side(app):
    admin = login(app, ADMIN)
    page = admin.get(PAGE).get_data(as_text=True)
    assert '<a href="/admin/group-roles" class="active" aria-current="page">候选组对照</a>' in page
    assert "丰城市的设置（0）" in page and "本地区尚未设置，全部按全国对照表转换" in page
    assert re.search(
        r'<tr data-group="deptleader" class="">\s*<td class="mono group-name">deptleader</td>\s*'
        r'<td><span class="role">乡镇\(街道\)医保专窗经办员</span></td>',
        page,
    )
    assert 'name="region" value="丰城市"' in page and 'name="csrf_token"' in page
    assert '<option value="受理窗口">' in page or ">受理窗口</option>" in page
    assert ">流程设计员</option>" not in page  # roles that work no case are no choice

    done = post(admin, PAGE, {"region": "丰城市", "group": "  人事处 ", "role": "centre_reviewer"})
    assert done.status_code == 302 and done.headers["Location"].endswith(
        "/admin/group-roles?region=%E4%B8%B0%E5%9F%8E%E5%B8%82"
    )
    assert stored(app) == [("丰城市", "人事处", "centre_reviewer")]
    override = post(admin, PAGE, {"region": "丰城市", "group": "DeptLeader", "role": "centre_clerk"})
    assert override.status_code == 302
    page = admin.get(PAGE, follow_redirects=True).get_data(as_text=True)
    assert "已保存：丰城市的候选组“DeptLeader”对应“医保中心窗口经办员”" in page
    assert "丰城市的设置（2）" in page
    assert '<tr data-group="deptleader" class="overridden">' in page and "按丰城市的设置" in page
    assert re.search(
        r'<tr data-group="人事处">\s*<td class="mono group-name">人事处</td>\s*<td>医保中心审核员<br><small class="hint">fengcheng.admin 设置于 ',
        page,
    )

    again = post(admin, PAGE, {"region": "丰城市", "group": "人事处", "role": "centre_payer"})
    assert again.status_code == 302  # the same group, case aside, is replaced, not added
    assert ("丰城市", "人事处", "centre_payer") in stored(app) and len(stored(app)) == 2

    removed = post(admin, f"{PAGE}/{entry_id(app, '人事处')}/remove", {})
    assert removed.status_code == 302
    page = admin.get(PAGE).get_data(as_text=True)
    assert "已删除丰城市的候选组“人事处”：此后按全国对照表转换" in page
    assert stored(app) == [("丰城市", "DeptLeader", "centre_clerk")]


def test_bad_entries_are_refused_beside_their_fields_in_chinese(app):
    admin = login(app, ADMIN)
    response = post(admin, PAGE, {"region": "丰城市", "group": "a,b", "role": "designer"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<span class="field-error" data-field="group">候选组名称须为 1 至 100 个字符，且不含逗号</span>' in page
    assert 'data-field="role">没有角色“designer”' in page
    assert 'value="a,b"' in page  # the entry comes back to be corrected
    blank = post(admin, PAGE, {"region": "丰城市", "group": " ", "role": ""})
    assert blank.status_code == 422
    assert 'data-field="group">请填写候选组名称<' in blank.get_data(as_text=True)
    assert 'data-field="role">请选择对应的角色<' in blank.get_data(as_text=True)
    hostile = post(admin, PAGE, {"region": "丰城市", "group": "<script>x</script>" * 20, "role": "x" * 5000})
    assert hostile.status_code == 422 and "<script>x" not in hostile.get_data(as_text=True)
    assert stored(app) == []


def test_a_form_without_its_csrf_token_changes_nothing(app):
    admin = login(app, ADMIN)
    response = admin.post(PAGE, data={"region": "丰城市", "group": "人事处", "role": "centre_reviewer"})
    assert response.status_code == 400
    assert stored(app) == []


def test_another_regions_administrator_reads_and_changes_nothing_of_fengcheng(app):
    post(login(app, ADMIN), PAGE, {"region": "丰城市", "group": "人事处", "role": "centre_reviewer"})
    other = login(app, "fuzhou.admin")
    own = other.get(PAGE).get_data(as_text=True)
    assert "福州市的设置（0）" in own and "人事处" not in own

    refused = other.get(f"{PAGE}?region=丰城市")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'data-field="region">没有可维护的地区“丰城市”' in page and "人事处" not in page
    assert 'name="group"' not in page  # nothing to add to
    assert post(other, PAGE, {"region": "丰城市", "group": "人事处", "role": "centre_payer"}).status_code == 422
    assert post(other, PAGE, {"region": "", "group": "x", "role": "centre_payer"}).status_code == 422
    assert post(other, f"{PAGE}/{entry_id(app, '人事处')}/remove", {}).status_code == 404
    assert post(other, f"{PAGE}/999999/remove", {}).status_code == 404
    assert stored(app) == [("丰城市", "人事处", "centre_reviewer")]


def test_the_system_administrator_keeps_every_region(app):
    admin = login(app, SYSTEM_ADMIN)
    page = admin.get(PAGE).get_data(as_text=True)
    assert re.findall(r'<option value="([^"]+)"[^>]*>\1</option>', page) == ["丰城市", "永州市", "福州市"]
    assert post(admin, PAGE, {"region": "永州市", "group": "人事处", "role": "centre_reviewer"}).status_code == 302
    assert "永州市的设置（1）" in admin.get(f"{PAGE}?region=永州市").get_data(as_text=True)
    assert post(admin, f"{PAGE}/{entry_id(app, '人事处')}/remove", {}).status_code == 302
    assert stored(app) == []


@pytest.mark.parametrize("username", ["fengcheng.designer", "qujiang.township_clerk"])
def test_only_administrators_open_the_page(app, username):
    post(login(app, ADMIN), PAGE, {"region": "丰城市", "group": "人事处", "role": "centre_reviewer"})
    client = login(app, username)
    assert client.get(PAGE).status_code == 403
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "退出" in home and "候选组对照" not in home
    token = csrf_token(client.get("/password").get_data(as_text=True))
    assert (
        client.post(
            PAGE, data={"csrf_token": token, "region": "丰城市", "group": "x", "role": "centre_payer"}
        ).status_code
        == 403
    )
    remove = client.post(f"{PAGE}/{entry_id(app, '人事处')}/remove", data={"csrf_token": token})
    assert remove.status_code == 403
    assert stored(app) == [("丰城市", "人事处", "centre_reviewer")]
