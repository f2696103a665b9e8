"""The scope of every administrative right, over the REST API: each demo administrator and clerk of 丰城, 福州
and 永州 against the other regions' cases, tasks, timers, scans, notices, units and SLA figures.

An administrator's scope is the subtree of their unit (`engine.org.permissions.scope_root`); the administrator of
the system-level unit (医保经办平台（全系统）) acts on every unit. What lies outside answers as if it did not
exist — 404 for an object named by id, the unknown-code refusal for a unit code, absence from every listing — and
an action on it changes nothing.

`test_every_route_is_scoped_or_public` fails for a route that is neither in `SCOPED` (how it keeps to a scope) nor
in `PUBLIC`: a new endpoint needs its scope rule written down here.
"""

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfWriter
from sqlalchemy import delete, select

from engine.catalogue import imported_lists
from engine.catalogue.flows import reviewed_catalog
from engine.catalogue.imported_lists import CatalogImport, CatalogImportItem
from engine.catalogue.items import CatalogImportError
from engine.core.errors import Forbidden
from engine.core.models import CaseInstance, SecurityEvent, User
from engine.workcalendar import upkeep
from server.extensions import db
from tests.factories import applicant
from tests.scenarios import SYSTEM_ADMIN, start_at_village

pytestmark = pytest.mark.usefixtures("fresh")


@dataclass(frozen=True)
class Region:
    name: str
    unit: str  # the region's top unit (a county-level city or a city)
    township: str  # a unit inside it, for the SLA filter and new users
    admin: str
    clerk: str
    agent: str  # the village window that accepts the region's case, whose task the case opens


REGIONS = {
    "丰城市": Region(
        "丰城市", "360981", "360981104", "fengcheng.admin", "qujiang.township_clerk", "qujiangcun.village_agent"
    ),
    "福州市": Region("福州市", "350100", "350102001", "fuzhou.admin", "gudong.township_clerk", "yingji.village_agent"),
    "永州市": Region(
        "永州市", "431100", "431103104", "yongzhou.admin", "yitang.township_clerk", "menggongshan.village_agent"
    ),
}
ADMINS = [(region.admin, region.name) for region in REGIONS.values()]
CALLERS = ADMINS + [(region.clerk, region.name) for region in REGIONS.values()]
# 城乡居民参保登记 at the village window of 营迹社区 and 孟公山村 (审核 stays at the window that accepted it).
REGISTRATION = {"福州市": ("fz-g-08", "350102001001"), "永州市": ("yz-21", "431103104201")}


@dataclass
class Objects:
    """One region's objects: its case, the case's open task and waiting timers, a scan (丰城's items alone name
    materials), one of its users."""

    case_id: int
    case_no: str
    task_id: str
    timer_ids: set[int]
    attachment_id: int | None
    user: str


def _attach(as_user, agent: str, case_id: int) -> int:
    """A one-page PDF of the ID card, attached at the window that accepted the case."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    out.seek(0)
    response = as_user(agent).post(
        f"/api/instances/{case_id}/attachments",
        data={"material": "医保电子凭证或有效身份证件或社保卡（查看）", "file": (out, "身份证.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def world(as_user) -> dict[str, Objects]:
    """A running case in each region, with an open task and (where its item names materials) a scan."""
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
    system = as_user(SYSTEM_ADMIN)
    timers = system.get("/api/timers?limit=1000").get_json()
    objects = {}
    for name, case in cases.items():
        detail = system.get(f"/api/instances/{case['id']}").get_json()
        (task,) = detail["tasks"]
        objects[name] = Objects(
            case_id=case["id"],
            case_no=case["case_no"],
            task_id=task["id"],
            timer_ids={t["id"] for t in timers if t["instance_id"] == case["id"]},
            attachment_id=_attach(as_user, REGIONS[name].agent, case["id"]) if name == "丰城市" else None,
            user=REGIONS[name].agent,
        )
    assert objects["丰城市"].timer_ids, "the 乡镇初审 of a 门诊费用报销 carries deadline timers"
    return objects


def status_of(app, case_id: int) -> str:
    with app.app_context():
        status = db.session.scalar(select(CaseInstance.status).where(CaseInstance.id == case_id))
        db.session.remove()
    return status


def scope_refusals(app, username: str) -> list[str]:
    """What the security log kept of the refusals of `username`'s actions outside their scope."""
    with app.app_context():
        events = db.session.scalars(
            select(SecurityEvent).where(SecurityEvent.action == "scope_refused", SecurityEvent.username == username)
        ).all()
        db.session.remove()
    return [event.detail["scope"] for event in events]


def others(home: str):
    return [name for name in REGIONS if name != home]


# --- the matrix ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "home"), CALLERS)
def test_other_regions_cases_tasks_scans_and_notices_are_not_found(as_user, client, world, username, home):
    caller = as_user(username)
    listed = {row["id"] for row in caller.get("/api/instances?per_page=100").get_json()["items"]}
    for name in others(home):
        theirs = world[name]
        where = f"{username} → {name}"
        assert caller.get(f"/api/instances/{theirs.case_id}").status_code == 404, where
        assert theirs.case_id not in listed, where
        found = caller.get(f"/api/instances?q={theirs.case_no}").get_json()
        assert found["total"] == 0, where
        assert caller.get(f"/api/instances/{theirs.case_id}/documents/receipt").status_code == 404, where
        assert caller.get(f"/api/instances/{theirs.case_id}/attachments").status_code == 404, where
        assert caller.get(f"/api/instances/{theirs.case_id}/rating").status_code == 404, where
        assert caller.get(f"/api/tasks/{theirs.task_id}").status_code == 404, where
        claim = caller.post(f"/api/tasks/{theirs.task_id}/claim")
        assert claim.status_code in (403, 404), where  # tasks.work.claim: 403 for a task one is no candidate of
        assert caller.post(f"/api/instances/{theirs.case_id}/personal-data").status_code == 404, where
        if theirs.attachment_id is not None:
            scan = f"/api/attachments/{theirs.attachment_id}"
            assert caller.get(scan).status_code == 404, where
            assert caller.get(f"{scan}/thumbnail").status_code == 404, where
            assert client.delete(scan, headers=caller.headers).status_code == 404, where
            assert as_user(SYSTEM_ADMIN).get(scan).status_code == 200, "the scan is still there"
    system = as_user(SYSTEM_ADMIN)
    for name in others(home):
        (task,) = system.get(f"/api/instances/{world[name].case_id}").get_json()["tasks"]
        assert task["assignee"] is None, f"{username} claimed nothing of {name}"
    own = world[home]
    if username.endswith(".admin"):
        assert own.case_id in listed and caller.get(f"/api/instances/{own.case_id}").status_code == 200


@pytest.mark.parametrize(("username", "home"), CALLERS)
def test_actions_on_other_regions_cases_are_not_found_and_change_nothing(app, as_user, world, username, home):
    caller = as_user(username)
    expected = 404 if username.endswith(".admin") else 403  # clerks hold no administrative right at all
    for name in others(home):
        case_id = world[name].case_id
        for action, body in [
            ("suspend", {"reason": "越权挂起"}),
            ("resume", {}),
            ("terminate", {"reason": "越权终止"}),
            ("retry", {}),
        ]:
            response = caller.post(f"/api/admin/instances/{case_id}/{action}", json=body)
            assert response.status_code == expected, (username, name, action, response.get_json())
        assert status_of(app, case_id) == "running", (username, name)
    if expected == 404:
        refused = scope_refusals(app, username)
        assert len(refused) == 4 * len(others(home)), refused
        assert f"挂起办件 {world[others(home)[0]].case_no}" in refused
        own = world[home].case_id
        assert caller.post(f"/api/admin/instances/{own}/suspend", json={"reason": "核查"}).status_code == 200
        assert status_of(app, own) == "suspended"


@pytest.mark.parametrize(("username", "home"), ADMINS)
def test_timers_and_sla_keep_to_the_administrators_region(as_user, world, username, home):
    caller = as_user(username)
    listed = {t["id"] for t in caller.get("/api/timers?limit=1000").get_json()}
    assert world[home].timer_ids <= listed
    unknown = caller.get("/api/sla?org=999999")
    assert unknown.status_code == 422
    for name in others(home):
        assert not listed & world[name].timer_ids, name
        for code in (REGIONS[name].unit, REGIONS[name].township):
            response = caller.get(f"/api/sla?org={code}")
            assert response.status_code == 422, (name, code)
            assert response.get_json()["errors"] == {"org": [f"未知单位编码：{code}"]}, "as an unknown unit"
            assert caller.get(f"/api/sla/export.xlsx?org={code}").status_code == 422, (name, code)
    figures = caller.get("/api/sla").get_json()
    assert figures["scope"]["code"] == REGIONS[home].unit, "without a unit: the administrator's own scope"
    foreign = {REGIONS[name].unit for name in others(home)} | {REGIONS[name].township for name in others(home)}
    assert not {row["unit"]["code"] for row in figures["units"] + figures["stages"]} & foreign
    workbook = load_workbook(BytesIO(caller.get("/api/sla/export.xlsx").data))
    assert workbook["概况"]["B1"].value == figures["scope"]["name"]
    assert caller.get(f"/api/sla?org={REGIONS[home].township}").status_code == 200


@pytest.mark.parametrize(("username", "home"), [(region.clerk, region.name) for region in REGIONS.values()])
def test_clerks_read_neither_timers_nor_figures(as_user, username, home):
    caller = as_user(username)
    assert caller.get("/api/timers").status_code == 403
    assert caller.get(f"/api/sla?org={REGIONS[home].township}").status_code == 403
    assert caller.get("/api/sla/export.xlsx").status_code == 403


def test_the_system_administrator_sees_and_acts_on_every_region(app, as_user, world):
    system = as_user(SYSTEM_ADMIN)
    listed = {row["id"] for row in system.get("/api/instances?per_page=100").get_json()["items"]}
    timers = {t["id"] for t in system.get("/api/timers?limit=1000").get_json()}
    assert system.get("/api/sla").get_json()["scope"] is None, "every unit"
    for name, theirs in world.items():
        assert theirs.case_id in listed and theirs.timer_ids <= timers, name
        assert system.get(f"/api/instances/{theirs.case_id}").status_code == 200, name
        assert system.get(f"/api/instances/{theirs.case_id}/documents/receipt").status_code == 200, name
        assert system.get(f"/api/sla?org={REGIONS[name].unit}").status_code == 200, name
        response = system.post(f"/api/admin/instances/{theirs.case_id}/suspend", json={"reason": "全系统核查"})
        assert response.status_code == 200, name
        assert status_of(app, theirs.case_id) == "suspended"


def test_a_county_administrator_keeps_to_the_county_inside_a_city(as_user, world):
    """鼓楼区's administrator is inside 福州市: 福州's case at 营迹社区 is theirs, the city's own units are not."""
    county = as_user("gulou.admin")
    assert county.get(f"/api/instances/{world['福州市'].case_id}").status_code == 200
    assert county.get(f"/api/instances/{world['丰城市'].case_id}").status_code == 404
    assert county.get("/api/sla?org=350100-YB").status_code == 422, "the city's centre lies above the county"
    assert county.get("/api/sla").get_json()["scope"]["code"] == "350102"


# --- rights without a route: catalogue imports (`flask catalog import`) and holiday notices ------------------

TABLE_HEADER = "地区\t清单\t序号\t事项名称\t事项分类\t办理层级\t办理时限\t办理流程\t办理材料"
CONSULTATION = (
    "丰城市\tfc-scope\t1\t医保政策咨询（新增）\t政策咨询\t乡镇（街道）、村（社区）\t即时办结\t申请-受理-办结\t"
)


def account(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def test_a_regions_administrator_imports_only_their_regions_lists_and_loads_no_notice(app, tmp_path):
    path = tmp_path / "丰城新增清单.tsv"
    path.write_text(f"{TABLE_HEADER}\n{CONSULTATION}\n", encoding="utf-8")
    notice, holidays = tmp_path / "2027.toml", tmp_path / "holidays"
    holidays.mkdir()
    notice.write_text('year = 2027\nnotice = "测试"\npublished = 2026-11-20\n[off]\n[working]\n', encoding="utf-8")
    with app.app_context():
        for outsider in ("fuzhou.admin", "gulou.admin"):
            with pytest.raises(CatalogImportError) as refused:
                imported_lists.import_table(db.session, account(outsider), path, reviewed_catalog())
            assert refused.value.errors == ((2, "地区“丰城市”不在您管理的范围内，不能导入该地区的清单"),)
        with pytest.raises(Forbidden, match="只有全系统管理员可以载入"):
            upkeep.load_notice(db.session, account("fengcheng.admin"), holidays, notice)
        assert not list(holidays.iterdir())
        try:
            assert [
                item.id
                for item in imported_lists.import_table(
                    db.session, account("fengcheng.admin"), path, reviewed_catalog()
                )
            ] == ["fc-scope-01"]
        finally:
            db.session.execute(delete(CatalogImportItem))
            db.session.execute(delete(CatalogImport))
            db.session.commit()
            imported_lists.forget_revision()
            db.session.remove()


# --- every route keeps to a scope, or is public ----------------------------------------------------------

PUBLIC = {
    "GET /static/<path:filename>": "Flask's static files",
    "GET /assets/<path:filename>": "our CSS and JS",
    "GET /vendor/<path:filename>": "bundles of bpmn-js and ECharts",
    "GET /login": "the login form",
    "POST /login": "signing in",
    "POST /logout": "signing out of one's own session",
    "GET /": "sends the signed-in user to their start page",
    "GET /password": "one's own password (auth)",
    "POST /password": "one's own password (auth)",
    "GET /progress": "the applicant's progress page: 办件编号 and the ID number's tail, rate-limited",
    "GET /api/progress": "the same, over the API",
    "GET /rating": "the applicant's 好差评 page (the notices' QR link): nothing looked up",
    "POST /rating": "the applicant rates: 办件编号 and the ID number's tail, rate-limited, one rating per case",
    "POST /api/public/ratings": "the same, over the API",
    "GET /api/health": "health check",
    "GET /api/openapi.json": "the API's description",
    "POST /api/auth/token": "signing in for a bearer token",
    "POST /api/auth/logout": "revoking one's own token (auth)",
    "POST /api/auth/password": "one's own password (auth)",
    "GET /api/calendar/days": "the national working-day calendar, read by everyone",
    "GET /api/calendar/due": "a deadline on the national calendar",
    "GET /api/catalog/items": "the published item lists (事项清单)",
    "GET /api/catalog/items/<item_id>": "one published item",
}
CASE = "the case's scope: may_see_case (clerks: accepted or holding a task; administrators: their subtree)"
TASK = "is_candidate or the assignee: a clerk's own unit and role"
VERSION = "bpmn.versions: may_see_version (the base and the designer's own region; 404 otherwise)"
DEPLOY = "bpmn.deployment: ensure_may_deploy_for (a region's designer deploys for that region only)"
LISTING = "bpmn.versions: visible_versions_condition (the base and the designer's own region)"
EXTERNAL = "tasks.external: tasks of cases_in_scope(worker); another region's task answers 404"
SCOPED = {
    # cases and their file
    "GET /api/instances": "visible_cases_filter (cases_in_scope for administrators)",
    "POST /api/instances": "ensure_may_accept: only at one's own window",
    "GET /api/instances/accepted": "cases accepted by one's own unit, within visible_cases_filter",
    "GET /api/instances/<int:case_id>": CASE,
    "GET /api/instances/<int:case_id>/documents/<kind>": CASE,
    "GET /api/instances/<int:case_id>/attachments": CASE,
    "POST /api/instances/<int:case_id>/attachments": CASE + ", then may_attach",
    "GET /api/attachments/<int:attachment_id>": CASE + " of the scan's case",
    "DELETE /api/attachments/<int:attachment_id>": CASE + ", then may_withdraw_attachment",
    "GET /api/attachments/<int:attachment_id>/thumbnail": CASE + " of the scan's case",
    "GET /api/instances/<int:case_id>/rating": CASE,
    "POST /api/instances/<int:case_id>/rating": CASE + ", then ensure_may_rate (the accepting unit)",
    "POST /api/ratings": "ensure_may_rate: the accepting unit; another unit's case answers as an unknown number",
    "POST /api/referrals": "ensure_may_refer: a clerk of a window unit, recorded for that unit",
    "GET /api/referrals": "referrals_filter: made or received by one's unit (administrators: by their scope)",
    "GET /referrals": "referrals_filter, as GET /api/referrals",
    "POST /referrals": "ensure_may_refer, as POST /api/referrals",
    "GET /referrals/<int:referral_id>/slip": "referrals_filter; another unit's referral answers 404",
    "GET /api/pending-supplements": "pending_supplements_units: one's own window (administrators: windows of the scope)",
    "GET /supplements": "pending_supplements_units, as GET /api/pending-supplements",
    "POST /api/instances/<int:case_id>/deferred-materials": CASE
    + ", then ensure_may_supply_deferred (accepting window)",
    "POST /cases/<int:case_id>/deferred-materials": CASE + ", then ensure_may_supply_deferred",
    "GET /cases/<int:case_id>": CASE,
    "POST /cases/<int:case_id>/rating": CASE + ", then ensure_may_rate",
    "POST /cases/<int:case_id>/attachments": CASE + ", then may_attach",
    "POST /cases/<int:case_id>/personal-data": CASE,
    "POST /api/instances/<int:case_id>/personal-data": CASE + ", then may_see_personal_data",
    "POST /api/instances/<int:case_id>/messages": "may_send_message: the unit of the waiting step, or an administrator"
    " of the case's scope; a case one may not see is 404",
    "POST /engine-rest/message": "a worker credential: cases_in_scope of its unit's subtree, any other case 404",
    "GET /api/personal-data-views": "cases.personal_data.views_of: within visible_cases_filter",
    "GET /admin/personal-data": "cases.personal_data.views_of: within visible_cases_filter",
    "GET /cases/accepted": "cases accepted by one's own unit, within visible_cases_filter",
    "GET /cases/new": "ensure_may_accept: one's own window",
    "GET /cases/new/<item_id>": "ensure_may_accept: one's own window",
    "POST /cases/new/<item_id>": "ensure_may_accept: one's own window",
    "GET /attachments/<int:attachment_id>": CASE + " of the scan's case",
    "GET /attachments/<int:attachment_id>/thumbnail": CASE + " of the scan's case",
    "POST /attachments/<int:attachment_id>/delete": CASE + ", then may_withdraw_attachment",
    # tasks
    "GET /api/tasks": TASK,
    "GET /api/tasks/<task_id>": TASK,
    "POST /api/tasks/<task_id>/claim": TASK,
    "POST /api/tasks/<task_id>/unclaim": TASK,
    "POST /api/tasks/<task_id>/complete": TASK,
    "GET /inbox": TASK,
    "GET /tasks/<task_id>": TASK,
    "POST /tasks/<task_id>/claim": TASK,
    "POST /tasks/<task_id>/release": TASK,
    "POST /tasks/<task_id>": TASK + " (the task page completes its own form)",
    # administrators' rights
    "POST /api/admin/instances/<int:case_id>/suspend": "cases.admin._case_for: " + CASE,
    "POST /api/admin/instances/<int:case_id>/resume": "cases.admin._case_for: " + CASE,
    "POST /api/admin/instances/<int:case_id>/terminate": "cases.admin._case_for: " + CASE,
    "POST /api/admin/instances/<int:case_id>/retry": "cases.admin._case_for: " + CASE,
    "POST /admin/instances/<int:case_id>/<action>": "cases.admin._case_for: " + CASE,
    "GET /admin/instances": "visible_cases_filter; filters: accounts.units_in_scope, offering.items_of_scope",
    "GET /admin/instances/<int:case_id>": CASE,
    "GET /admin/instances/<int:case_id>/diagram.json": "bpmn.marks.case_diagram through case_view: " + CASE,
    "GET /api/timers": "timers.listing: timers of cases_in_scope",
    "GET /api/external-tasks": "tasks.external.admin_listing: external tasks of cases_in_scope",
    "GET /api/sms-messages": "sms_outbox_filter: administrators, messages of cases_in_scope",
    # external-task workers (/engine-rest): a worker credential's scope is its unit's subtree (cases_in_scope)
    "POST /engine-rest/external-task/fetchAndLock": EXTERNAL,
    "POST /engine-rest/external-task/<task_id>/complete": EXTERNAL,
    "POST /engine-rest/external-task/<task_id>/failure": EXTERNAL,
    "POST /engine-rest/external-task/<task_id>/bpmnError": EXTERNAL,
    "POST /engine-rest/external-task/<task_id>/extendLock": EXTERNAL,
    "POST /engine-rest/external-task/<task_id>/unlock": EXTERNAL,
    "GET /engine-rest/external-task": EXTERNAL,
    "GET /engine-rest/external-task/count": EXTERNAL,
    "GET /engine-rest/external-task/<task_id>": EXTERNAL,
    "GET /api/sla": "sla_scope: a unit of the administrator's subtree (督办员: their own and below)",
    "GET /admin/sla": "sla_scope; filters: accounts.units_in_scope, offering.items_of_scope",
    "GET /api/sla/export.xlsx": "sla_scope, through assessment.report as GET /api/sla",
    "GET /admin/sla/bulletin": "sla_scope, through assessment.report as GET /api/sla",
    "GET /admin/people": "accounts.users and units_in_scope: the administrator's subtree",
    "POST /admin/people/users": "accounts.add_user: only at a unit of the scope",
    "POST /admin/people/units": "accounts.add_unit: only under a unit of the scope",
    "GET /admin/people/users/<username>": "accounts.managed_user: only a user of the scope",
    "POST /admin/people/users/<username>": "accounts.edit_user: a user of the scope, moved only to a unit of it",
    "GET /admin/people/users/<username>/deactivate": "accounts.managed_user: only a user of the scope",
    "POST /admin/people/users/<username>/deactivate": "accounts.managed_user: only a user of the scope",
    "POST /admin/people/users/<username>/unlock": "accounts.managed_user: only a user of the scope",
    "POST /admin/people/users/<username>/reset-password": "accounts.managed_user: only a user of the scope",
    "GET /admin/calendar": "every administrator reads the national calendar",
    "POST /admin/calendar": "ensure_may_load_notice: notices are national, system level only",
    "GET /admin/security": "org.security_log.events: events of the administrator's subtree",
    "GET /api/security-events": "org.security_log.events: events of the administrator's subtree",
    "GET /api/group-roles": "group_table_regions: a region named by a unit of the administrator's subtree, else 422",
    "POST /api/group-roles": "group_table_regions: a region named by a unit of the administrator's subtree, else 422",
    "DELETE /api/group-roles/<int:entry_id>": "group_table_regions: another region's entry answers 404",
    "GET /admin/group-roles": "group_table_regions: a region named by a unit of the administrator's subtree, else 422",
    "POST /admin/group-roles": "group_table_regions: a region named by a unit of the administrator's subtree, else 422",
    "POST /admin/group-roles/<int:entry_id>/remove": "group_table_regions: another region's entry answers 404",
    # step limits (环节时限): adjusted by the administrators of the item's region
    "GET /api/step-limits": "step_limit_regions: an item of a region outside the administrator's subtree answers 404",
    "POST /api/step-limits": "step_limit_regions: an item of a region outside the administrator's subtree answers 404",
    "DELETE /api/step-limits/<int:override_id>": "step_limit_regions: another region's adjustment answers 404",
    "GET /admin/step-limits": "step_limit_regions: items of the administrator's regions; another region's item 404",
    "POST /admin/step-limits": "step_limit_regions: an item of a region outside the administrator's subtree answers 404",
    "POST /admin/step-limits/<int:override_id>/remove": "step_limit_regions: another region's adjustment answers 404",
    # process versions: a designer sees the base and their region's versions and deploys for their region
    "GET /api/definitions": LISTING,
    "POST /api/definitions": DEPLOY,
    "GET /api/definitions/<int:definition_id>": VERSION,
    "GET /api/definitions/<int:definition_id>/diff": VERSION,
    "GET /design/processes": LISTING,
    "POST /design/upload": DEPLOY,
    "POST /design/deploy": DEPLOY,
    "GET /design/versions/<int:definition_id>.bpmn": VERSION,
    "GET /design/versions/<int:definition_id>/edit": VERSION,
    "GET /design/versions/<int:definition_id>/source": VERSION,
    "GET /design/versions/<int:definition_id>/diff": VERSION,
    "POST /design/versions/<int:definition_id>/review": VERSION,
}


def test_every_route_is_scoped_or_public(app):
    routes = {
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    }
    unaccounted = sorted(routes - SCOPED.keys() - PUBLIC.keys())
    assert not unaccounted, f"routes without a scope rule (add them to SCOPED or PUBLIC): {unaccounted}"
    assert not SCOPED.keys() & PUBLIC.keys()
    stale = sorted((SCOPED.keys() | PUBLIC.keys()) - routes)
    assert not stale, f"listed routes that no longer exist: {stale}"


# --- designers: each region's process versions ----------------------------------------------------------

DESIGNERS = {"丰城市": "fengcheng.designer", "福州市": "fuzhou.designer", "永州市": "yongzhou.designer"}
FLOW = Path(__file__).resolve().parents[2] / "processes" / "bpmn" / "township_review_pay.bpmn"


def regional_edit(region: str) -> bytes:
    """township_review_pay with 乡镇初审 named for `region`: that region's own version."""
    return FLOW.read_bytes().replace('name="乡镇初审"'.encode(), f'name="乡镇初审（{region}）"'.encode())


@pytest.fixture
def versions(as_user) -> dict[str, int]:
    """Each region's designer deploys a version of township_review_pay: {region: its version's id}."""
    deployed = {}
    for region, designer in DESIGNERS.items():
        response = as_user(designer).post(
            "/api/definitions",
            data={"file": (BytesIO(regional_edit(region)), "township_review_pay.bpmn")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["region"] == region
        deployed[region] = response.get_json()["id"]
    return deployed


@pytest.mark.parametrize(("username", "home"), [(designer, region) for region, designer in DESIGNERS.items()])
def test_other_regions_process_versions_are_not_found(as_user, versions, username, home):
    caller = as_user(username)
    listed = {row["id"] for row in caller.get("/api/definitions").get_json()}
    assert versions[home] in listed
    assert caller.get(f"/api/definitions/{versions[home]}/diff").status_code == 200
    for name in others(home):
        where = f"{username} → {name}"
        assert versions[name] not in listed, where
        assert caller.get(f"/api/definitions/{versions[name]}").status_code == 404, where
        assert caller.get(f"/api/definitions/{versions[name]}/diff").status_code == 404, where


@pytest.mark.parametrize(("username", "home"), CALLERS)
def test_administrators_and_clerks_hold_no_designers_right(as_user, versions, username, home):
    caller = as_user(username)
    assert caller.get("/api/definitions").status_code == 403
    assert caller.get(f"/api/definitions/{versions[home]}").status_code == 403
    upload = caller.post(
        "/api/definitions",
        data={"file": (BytesIO(regional_edit(home)), "township_review_pay.bpmn")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403, upload.get_json()
