"""The scope of every administrative right, on the pages: each demo administrator of 丰城, 福州 and 永州 against
the other regions' cases, scans, users and units, and the filters of 办件监控 and 时效统计; the system-level
administrator sees every region. (The REST API's matrix and the route check: tests/api/test_scope_matrix.py.)"""

import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from uuid import uuid4

import pytest
from pypdf import PdfWriter
from sqlalchemy import select

from engine.catalogue.flows import catalog
from engine.core.models import CaseInstance, OrgUnit, SecurityEvent, User
from server.extensions import db
from tests.factories import applicant
from tests.scenarios import SYSTEM_ADMIN, start_at_village
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")


@dataclass(frozen=True)
class Region:
    name: str
    unit: str
    township: str
    admin: str
    agent: str


REGIONS = {
    "丰城市": Region("丰城市", "360981", "360981104", "fengcheng.admin", "qujiangcun.village_agent"),
    "福州市": Region("福州市", "350100", "350102001", "fuzhou.admin", "yingji.village_agent"),
    "永州市": Region("永州市", "431100", "431103104", "yongzhou.admin", "menggongshan.village_agent"),
}
ADMINS = [(region.admin, region.name) for region in REGIONS.values()]
REGISTRATION = {"福州市": ("fz-g-08", "350102001001"), "永州市": ("yz-21", "431103104201")}
OPTION = re.compile(r'<option value="([^"]+)"')


def one_page_pdf() -> BytesIO:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    out.seek(0)
    return out


@pytest.fixture
def world(as_user):
    """A running case in each region (丰城's with a scan): {region: (case id, case number, attachment id)}."""
    cases = {"丰城市": start_at_village(as_user)}
    for name, (item, org) in REGISTRATION.items():
        response = as_user(REGIONS[name].agent).post(
            "/api/instances",
            json={
                "item": item,
                "org": org,
                "applicant": applicant(),
                "materials": [],
                "details": {"insured_category": "城乡居民", "start_date": "2026-12-01"},
            },
        )
        assert response.status_code == 201, response.get_json()
        cases[name] = response.get_json()
    scan = as_user(REGIONS["丰城市"].agent).post(
        f"/api/instances/{cases['丰城市']['id']}/attachments",
        data={"material": "医保电子凭证或有效身份证件或社保卡（查看）", "file": (one_page_pdf(), "身份证.pdf")},
        content_type="multipart/form-data",
    )
    assert scan.status_code == 201, scan.get_json()
    return {
        name: (case["id"], case["case_no"], scan.get_json()["id"] if name == "丰城市" else None)
        for name, case in cases.items()
    }


def others(home: str):
    return [name for name in REGIONS if name != home]


def units_under(app, code: str) -> set[str]:
    """The codes of a unit and every unit under it, read from the table."""
    with app.app_context():
        rows = db.session.execute(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.code)).all()
        db.session.remove()
    children: dict[int | None, list[tuple[int, str]]] = {}
    for unit_id, parent_id, unit_code in rows:
        children.setdefault(parent_id, []).append((unit_id, unit_code))
    top = next(unit_id for unit_id, _, unit_code in rows if unit_code == code)
    found, pending = {code}, [top]
    while pending:
        for child_id, child_code in children.get(pending.pop(), []):
            found.add(child_code)
            pending.append(child_id)
    return found


def options(page: str, name: str) -> set[str]:
    """The option values of the `<select name=...>` of a page."""
    select_html = page[page.index(f'<select name="{name}"') :].split("</select>", 1)[0]
    return set(OPTION.findall(select_html))


def region_items(region: str) -> set[str]:
    return {item.id for item in catalog().items if item.region == region}


def post(client, url: str, data: dict):
    token = csrf_token(client.get("/admin/people").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


@pytest.mark.parametrize(("username", "home"), ADMINS)
def test_other_regions_cases_and_scans_are_not_found_on_the_pages(app, world, username, home):
    client, _ = page_login(app, username)
    listing = client.get("/admin/instances?per_page=100").get_data(as_text=True)
    for name in others(home):
        case_id, case_no, attachment_id = world[name]
        where = f"{username} → {name}"
        assert case_no not in listing, where
        assert "没有符合条件的办件" in client.get(f"/admin/instances?q={case_no}").get_data(as_text=True), where
        assert client.get(f"/admin/instances/{case_id}").status_code == 404, where
        assert client.get(f"/admin/instances/{case_id}/diagram.json").status_code == 404, where
        assert client.get(f"/cases/{case_id}").status_code == 404, where
        for action in ("suspend", "terminate", "resume", "retry"):
            response = post(client, f"/admin/instances/{case_id}/{action}", {"reason": "越权"})
            assert response.status_code == 404, (where, action)
        with app.app_context():
            assert db.session.get(CaseInstance, case_id).status == "running", where
            db.session.remove()
        if attachment_id is not None:
            assert client.get(f"/attachments/{attachment_id}").status_code == 404, where
            assert client.get(f"/attachments/{attachment_id}/thumbnail").status_code == 404, where
    own_id, own_no, _ = world[home]
    assert own_no in listing and client.get(f"/admin/instances/{own_id}").status_code == 200


@pytest.mark.parametrize(("username", "home"), ADMINS)
def test_the_filters_offer_the_units_and_items_of_the_region_only(app, username, home):
    client, _ = page_login(app, username)
    mine = units_under(app, REGIONS[home].unit)
    for url in ("/admin/instances", "/admin/sla"):
        page = client.get(url).get_data(as_text=True)
        assert options(page, "org") == mine, url
        assert options(page, "item") == region_items(home), url
    for name in others(home):
        for url in ("/admin/sla", "/admin/sla/bulletin"):
            refused = client.get(f"{url}?org={REGIONS[name].township}")
            assert refused.status_code == 400 and f"未知单位编码：{REGIONS[name].township}" in refused.get_data(
                as_text=True
            ), url
    bulletin = client.get("/admin/sla/bulletin").get_data(as_text=True)
    assert f"<h1>{REGIONS[home].name}医保经办服务考核通报</h1>" in bulletin, "the administrator's own scope"


@pytest.mark.parametrize(("username", "home"), ADMINS)
def test_people_and_units_of_other_regions_are_out_of_reach(app, username, home):
    client, _ = page_login(app, username)
    page = client.get("/admin/people").get_data(as_text=True)
    listed = set(re.findall(r'data-username="([^"]+)"', page))
    mine = units_under(app, REGIONS[home].unit)
    with app.app_context():
        staff = dict(
            db.session.execute(select(User.username, OrgUnit.code).join(OrgUnit, OrgUnit.id == User.org_id)).all()
        )
        db.session.remove()
    assert listed == {user for user, code in staff.items() if code in mine}
    assert options(page, "org") == mine and options(page, "parent") == mine
    assert "无（顶级）" not in page and ">全系统</option>" not in page
    for name in others(home):
        where = f"{username} → {name}"
        victim = REGIONS[name].agent
        assert post(client, f"/admin/people/users/{victim}/deactivate", {}).status_code == 404, where
        assert post(client, f"/admin/people/users/{victim}/unlock", {}).status_code == 404, where
        reset = post(client, f"/admin/people/users/{victim}/reset-password", {"password": "Taken-over-2026"})
        assert reset.status_code == 404, where
        assert client.get(f"/admin/people/users/{victim}").status_code == 404, where
        assert client.get(f"/admin/people/users/{victim}/deactivate").status_code == 404, where
        edited = {"display_name": "改名", "org": REGIONS[name].township, "roles": ["admin"]}
        assert post(client, f"/admin/people/users/{victim}", edited).status_code == 404, where
        moved = post(client, f"/admin/people/users/{REGIONS[home].agent}", edited | {"roles": ["village_agent"]})
        assert moved.status_code == 422, where
        assert f"未知单位编码：{REGIONS[name].township}" in moved.get_data(as_text=True), where
        username_new = f"intruder-{uuid4().hex[:8]}"
        created = post(
            client,
            "/admin/people/users",
            {
                "username": username_new,
                "password": "Intruder-pass-2026",
                "org": REGIONS[name].township,
                "roles": ["admin"],
            },
        )
        assert created.status_code == 422, where
        assert f"未知单位编码：{REGIONS[name].township}" in created.get_data(as_text=True), where
        unit_code = f"T{uuid4().hex[:10]}"
        unit = post(
            client,
            "/admin/people/units",
            {"code": unit_code, "name": "越权村", "kind": "village", "parent": REGIONS[name].township},
        )
        assert unit.status_code == 422, where
        with app.app_context():
            victim_row = db.session.scalars(select(User).where(User.username == victim)).one()
            assert victim_row.active and not victim_row.must_change_password, where
            assert victim_row.display_name != "改名" and "admin" not in victim_row.roles, where
            clerk_row = db.session.scalars(select(User).where(User.username == REGIONS[home].agent)).one()
            assert clerk_row.org.code in mine, where
            assert db.session.scalar(select(User.id).where(User.username == username_new)) is None, where
            assert db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == unit_code)) is None, where
            db.session.remove()
    with app.app_context():
        refused = db.session.scalars(
            select(SecurityEvent.detail).where(
                SecurityEvent.action == "scope_refused", SecurityEvent.username == username
            )
        ).all()
        db.session.remove()
    assert len(refused) == 9 * len(others(home)), (
        "停用, 解除锁定, 重置密码, 查看, 停用 (confirmation), 修改, 调入, 新建用户 and 新建单位, each refused and logged"
    )


def test_a_regions_administrator_creates_no_unit_at_the_top_or_of_the_system_kind(app):
    client, _ = page_login(app, "fengcheng.admin")
    top = post(client, "/admin/people/units", {"code": f"T{uuid4().hex[:10]}", "name": "顶级", "kind": "city"})
    assert top.status_code == 422 and "请选择上级单位" in top.get_data(as_text=True)
    system = post(
        client,
        "/admin/people/units",
        {"code": f"T{uuid4().hex[:10]}", "name": "另一个平台", "kind": "system", "parent": "360981"},
    )
    assert system.status_code == 422 and "只有全系统管理员可以新建“全系统”单位" in system.get_data(as_text=True)
    inside = post(
        client,
        "/admin/people/units",
        {"code": f"T{uuid4().hex[:10]}", "name": "新村", "kind": "village", "parent": "360981104"},
    )
    assert inside.status_code == 302


def test_the_system_administrator_sees_every_region_on_the_pages(app, world):
    client, _ = page_login(app, SYSTEM_ADMIN)
    listing = client.get("/admin/instances?per_page=100").get_data(as_text=True)
    people = client.get("/admin/people").get_data(as_text=True)
    every_unit = units_under(app, "000000")
    assert options(client.get("/admin/sla").get_data(as_text=True), "org") == every_unit
    assert options(people, "org") == every_unit and "无（顶级）" in people
    for name, (case_id, case_no, attachment_id) in world.items():
        assert case_no in listing, name
        assert client.get(f"/admin/instances/{case_id}").status_code == 200, name
        assert f'data-username="{REGIONS[name].admin}"' in people, name
        if attachment_id is not None:
            assert client.get(f"/attachments/{attachment_id}").status_code == 200


DESIGNERS = {"丰城市": "fengcheng.designer", "福州市": "fuzhou.designer", "永州市": "yongzhou.designer"}
FLOW = Path(__file__).resolve().parents[2] / "processes" / "bpmn" / "township_review_pay.bpmn"


@pytest.fixture
def versions(as_user) -> dict[str, int]:
    """Each region's designer deploys their own version of township_review_pay: {region: its id}."""
    deployed = {}
    for region, designer in DESIGNERS.items():
        edit = FLOW.read_bytes().replace('name="乡镇初审"'.encode(), f'name="乡镇初审（{region}）"'.encode())
        response = as_user(designer).post(
            "/api/definitions",
            data={"file": (BytesIO(edit), "township_review_pay.bpmn")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_json()
        deployed[region] = response.get_json()["id"]
    return deployed


@pytest.mark.parametrize(("username", "home"), [(designer, region) for region, designer in DESIGNERS.items()])
def test_other_regions_process_versions_are_not_found_on_the_design_pages(app, versions, username, home):
    client, _ = page_login(app, username)
    listing = client.get("/design/processes").get_data(as_text=True)
    assert f"/design/versions/{versions[home]}/diff" in listing
    for name in others(home):
        where = f"{username} → {name}"
        assert f"/design/versions/{versions[name]}/" not in listing, where
        assert f"乡镇初审（{name}）" not in listing, where
        for page in (".bpmn", "/source", "/diff", "/edit"):
            assert client.get(f"/design/versions/{versions[name]}{page}").status_code == 404, (where, page)
    for page in (".bpmn", "/source", "/diff", "/edit"):
        assert client.get(f"/design/versions/{versions[home]}{page}").status_code == 200, page
