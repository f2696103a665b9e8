"""Flows per region: a region's designer deploys versions for their region's items only, other regions keep the
national base; an unrelated diagram under a base process id is offered a new id; designers see the base and
their own region's versions, with the diff against the base."""

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.bpmn import deployment
from engine.bpmn.diff import diff_diagrams, related
from engine.bpmn.process_ids import renamed
from engine.catalogue.flows import catalog
from engine.catalogue.offering import region_of
from engine.core.errors import Forbidden
from engine.core.models import CaseInstance, OrgUnit, ProcessDefinition, User
from engine.org.permissions import SYSTEM
from server.extensions import db
from tests.factories import applicant
from tests.scenarios import ALL_MATERIALS, start_at_village

pytestmark = pytest.mark.usefixtures("fresh")
BPMN = Path(__file__).resolve().parents[2] / "processes" / "bpmn"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"
FLOW = BPMN / "township_review_pay.bpmn"
NOTICE = BPMN / "shared" / "notice_supplement.bpmn"
FENGCHENG, YONGZHOU, PLATFORM = "fengcheng.designer", "yongzhou.designer", "platform.designer"
YITANG = "431103104"  # 伊塘镇, 永州市: its 门诊医疗救助申报 (yz-36) runs township_review_pay too
RENAMED_REVIEW = "乡镇初审（丰城）"


def fengcheng_edit() -> bytes:
    """township_review_pay with 乡镇初审 renamed and its 超期通报 after 3 working days instead of 5."""
    return (
        FLOW.read_bytes()
        .replace('name="乡镇初审"'.encode(), f'name="{RENAMED_REVIEW}"'.encode())
        .replace(b'limits.get("township_review"), case_due), 5)', b'limits.get("township_review"), case_due), 3)')
    )


def upload(caller, data: bytes, name="flow.bpmn", query=""):
    return caller.post(
        f"/api/definitions{query}", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def start_at_yitang(as_user, materials=()):
    """A 门诊医疗救助申报 (永州市) accepted at the 伊塘镇 window."""
    response = as_user("yitang.township_clerk").post(
        "/api/instances",
        json={"item": "yz-36", "org": YITANG, "applicant": applicant("李四"), "materials": list(materials)},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def yz36_materials():
    return [m.name for m in catalog().get("yz-36").materials]


def task_titles(caller, case_id):
    return [t["title"] for t in caller.get(f"/api/instances/{case_id}").get_json()["tasks"]]


def listed(caller, key):
    rows = [(d["region"], d["version"]) for d in caller.get("/api/definitions").get_json() if d["process_key"] == key]
    return sorted(rows, key=lambda row: (row[0] or "", row[1]))


def test_a_region_edit_runs_for_its_items_only_and_the_diff_shows_it(as_user):
    designer = as_user(FENGCHENG)
    response = upload(designer, fengcheng_edit(), "township_review_pay.bpmn")
    assert response.status_code == 201, response.get_json()
    own = response.get_json()
    assert (own["process_key"], own["region"], own["version"]) == ("township_review_pay", "丰城市", 2)

    fengcheng_case = start_at_village(as_user)
    assert fengcheng_case["definition_version"] == 2
    assert task_titles(as_user("qujiang.township_clerk"), fengcheng_case["id"]) == [RENAMED_REVIEW]
    yongzhou_case = start_at_yitang(as_user, yz36_materials())
    assert yongzhou_case["definition_version"] == 1  # the base
    assert task_titles(as_user("yitang.township_clerk"), yongzhou_case["id"]) == ["乡镇初审"]

    diff = designer.get(f"/api/definitions/{own['id']}/diff").get_json()
    assert (diff["against"]["version"], diff["against"]["region"]) == (1, None)
    changes = {c["element_id"]: c for c in diff["changes"]}
    assert set(changes) == {"township_review", "township_review_escalation"}
    assert changes["township_review"]["kind"] == "changed"
    assert changes["township_review"]["fields"] == [
        {"field": "name", "label": "名称", "before": "乡镇初审", "after": RENAMED_REVIEW}
    ]
    [timer] = changes["township_review_escalation"]["fields"]
    assert timer["field"] == "timers" and timer["before"].endswith("5)") and timer["after"].endswith("3)")

    assert listed(designer, "township_review_pay") == [(None, 1), ("丰城市", 2)]
    assert listed(as_user(PLATFORM), "township_review_pay") == [(None, 1), ("丰城市", 2)]
    yongzhou = as_user(YONGZHOU)
    assert listed(yongzhou, "township_review_pay") == [(None, 1)]
    assert all(d["region"] in (None, "永州市") for d in yongzhou.get("/api/definitions").get_json())
    for url in (f"/api/definitions/{own['id']}", f"/api/definitions/{own['id']}/diff"):
        assert yongzhou.get(url).status_code == 404
        assert designer.get(url).status_code == 200


def test_a_region_sub_flow_changes_its_callers_only(app, as_user):
    renamed = NOTICE.read_bytes().replace('name="一次性告知"'.encode(), 'name="一次性告知（丰城）"'.encode())
    response = upload(as_user(FENGCHENG), renamed, "notice_supplement.bpmn")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["region"] == "丰城市"
    with app.app_context():
        rows = db.session.execute(select(ProcessDefinition.process_key, ProcessDefinition.region)).all()
        fengcheng_keys = {key for key, region in rows if region == "丰城市"}
        assert {"notice_supplement", "township_review_pay", "instant"} <= fengcheng_keys
        assert all(region in (None, "丰城市") for _, region in rows)
        assert sorted(r for k, r in rows if k == "township_review_pay" and r is None) == [None]  # base untouched
        callers = db.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.region == "丰城市", ProcessDefinition.calls.is_not(None))
        ).all()
        own_notice = deployment.latest_definition(db.session, "notice_supplement", "丰城市")
        for caller in callers:
            if "notice_supplement" in caller.calls:
                assert caller.calls["notice_supplement"] == own_notice.content_hash
        base_flow = deployment.latest_definition(db.session, "township_review_pay", "永州市")
        assert base_flow.region is None
        assert base_flow.calls["notice_supplement"] != own_notice.content_hash

    fengcheng_case = start_at_village(as_user, materials=ALL_MATERIALS[:2])
    assert task_titles(as_user("qujiangcun.village_agent"), fengcheng_case["id"]) == ["一次性告知（丰城）"]
    yongzhou_case = start_at_yitang(as_user)  # 永州's lists ask for no mandatory material: no 一次性告知 to see
    with app.app_context():
        definition = db.session.get(CaseInstance, yongzhou_case["id"]).definition
        base_notice = deployment.latest_definition(db.session, "notice_supplement", "永州市")
        assert (definition.region, base_notice.region) == (None, None)
        assert definition.calls["notice_supplement"] == base_notice.content_hash


def test_a_region_copy_made_for_its_sub_flow_follows_a_new_base_version(app, as_user):
    """丰城 changed only the sub-flow: its copy of township_review_pay follows the base's next edit of the main flow."""
    renamed = NOTICE.read_bytes().replace('name="一次性告知"'.encode(), 'name="一次性告知（丰城）"'.encode())
    assert upload(as_user(FENGCHENG), renamed, "notice_supplement.bpmn").status_code == 201
    base_edit = FLOW.read_bytes().replace('name="拨付"'.encode(), 'name="拨付（基础版）"'.encode())
    with app.app_context():
        new_base, created = deployment.deploy(db.session, SYSTEM, base_edit, "township_review_pay.bpmn")
        assert created and new_base.region is None
        for region in ("丰城市", "永州市"):
            running = deployment.latest_definition(db.session, "township_review_pay", region)
            assert "拨付（基础版）" in running.bpmn_xml
        fengcheng = deployment.latest_definition(db.session, "township_review_pay", "丰城市")
        assert fengcheng.region == "丰城市"
        assert fengcheng.calls["notice_supplement"] == (
            deployment.latest_definition(db.session, "notice_supplement", "丰城市").content_hash
        )
    case = start_at_village(as_user, materials=ALL_MATERIALS[:2])
    assert task_titles(as_user("qujiangcun.village_agent"), case["id"]) == ["一次性告知（丰城）"]


def test_a_region_edit_of_its_own_is_kept_when_the_base_moves_on(app, as_user):
    assert upload(as_user(FENGCHENG), fengcheng_edit(), "township_review_pay.bpmn").status_code == 201
    base_edit = FLOW.read_bytes().replace('name="拨付"'.encode(), 'name="拨付（基础版）"'.encode())
    with app.app_context():
        deployment.deploy(db.session, SYSTEM, base_edit, "township_review_pay.bpmn")
        fengcheng = deployment.latest_definition(db.session, "township_review_pay", "丰城市")
        assert RENAMED_REVIEW in fengcheng.bpmn_xml and "拨付（基础版）" not in fengcheng.bpmn_xml
        assert "拨付（基础版）" in deployment.latest_definition(db.session, "township_review_pay", "永州市").bpmn_xml


def unrelated_under(process_id: str) -> bytes:
    return renamed((FIXTURES / "valid_review.bpmn").read_bytes(), "reimbursement_review", process_id)


def test_an_unrelated_diagram_under_a_base_id_is_offered_a_new_id(as_user):
    designer = as_user(FENGCHENG)
    refused = upload(designer, unrelated_under("township_review_pay"), "vendor.bpmn")
    assert refused.status_code == 409, refused.get_json()
    body = refused.get_json()
    assert "township_review_pay" in body["errors"]["rename_to"][0]
    assert body["suggested_id"] == "township_review_pay_2"
    assert listed(designer, "township_review_pay") == [(None, 1)]

    bad = upload(designer, unrelated_under("township_review_pay"), "vendor.bpmn", "?rename_to=9bad")
    assert bad.status_code == 422 and "rename_to" in bad.get_json()["errors"]
    taken = upload(designer, unrelated_under("township_review_pay"), "vendor.bpmn", "?rename_to=instant")
    assert taken.status_code == 422 and "已被使用" in taken.get_json()["errors"]["rename_to"][0]

    moved = upload(designer, unrelated_under("township_review_pay"), "vendor.bpmn", "?rename_to=township_review_pay_2")
    assert moved.status_code == 201, moved.get_json()
    assert (moved.get_json()["process_key"], moved.get_json()["region"]) == ("township_review_pay_2", "丰城市")
    assert listed(designer, "township_review_pay") == [(None, 1)]
    case = start_at_village(as_user)
    assert case["definition_version"] == 1
    # converted from another engine: the same offer
    camunda = renamed((FIXTURES / "camunda_review.bpmn").read_bytes(), "camunda_review", "instant")
    assert upload(designer, camunda, "camunda.bpmn", "?convert=vendor").status_code == 409


def vendor_files() -> list[bytes]:
    """Three vendors' exports of one process, each with its own changes, all with the process id WFP-6-."""
    camunda = renamed((FIXTURES / "camunda_review.bpmn").read_bytes(), "camunda_review", "WFP-6-")
    flowable = camunda.replace(b"http://camunda.org/schema/1.0/bpmn", b"http://flowable.org/bpmn").replace(
        b"camunda", b"flowable"
    )
    activiti = camunda.replace(b"http://camunda.org/schema/1.0/bpmn", b"http://activiti.org/bpmn").replace(
        b"camunda", b"activiti"
    )
    return [
        camunda,
        flowable.replace("初审".encode(), "初审（F）".encode()),
        activiti.replace("复审".encode(), "复审（A）".encode()),
    ]


def test_three_vendors_files_under_one_id_become_versions_of_the_regions_process(as_user):
    designer = as_user(FENGCHENG)
    files = vendor_files()
    assert len(set(files)) == 3
    versions = []
    for data in files:
        response = upload(designer, data, "WFP-6.bpmn", "?convert=vendor")
        assert response.status_code == 201, response.get_json()
        versions.append(
            (response.get_json()["process_key"], response.get_json()["region"], response.get_json()["version"])
        )
    assert versions == [("WFP-6-", "丰城市", 1), ("WFP-6-", "丰城市", 2), ("WFP-6-", "丰城市", 3)]
    assert listed(as_user(PLATFORM), "WFP-6-") == [("丰城市", 1), ("丰城市", 2), ("丰城市", 3)]
    assert listed(as_user(YONGZHOU), "WFP-6-") == []
    # the base and the other regions: untouched, and 永州's designer deploys its own WFP-6- beside 丰城's
    response = upload(as_user(YONGZHOU), files[0], "WFP-6.bpmn", "?convert=vendor")
    assert (response.status_code, response.get_json()["region"], response.get_json()["version"]) == (201, "永州市", 4)
    assert listed(as_user(FENGCHENG), "WFP-6-") == [("丰城市", 1), ("丰城市", 2), ("丰城市", 3)]


def test_identical_bytes_from_two_regions_are_two_versions(as_user):
    data = (FIXTURES / "valid_review.bpmn").read_bytes()
    first = upload(as_user(FENGCHENG), data).get_json()
    second = upload(as_user(YONGZHOU), data).get_json()
    assert (first["region"], second["region"]) == ("丰城市", "永州市")
    assert first["id"] != second["id"] and first["content_hash"] != second["content_hash"]
    again = upload(as_user(FENGCHENG), data)
    assert (again.status_code, again.get_json()["id"]) == (200, first["id"])


def test_a_designers_region_and_who_deploys_for_which(app):
    with app.app_context():

        def user(name):
            return db.session.scalars(select(User).where(User.username == name)).one()

        units = {u.code: u for u in db.session.scalars(select(OrgUnit))}
        assert region_of(units["360981104201"]) == "丰城市"  # 曲江村
        assert region_of(units["350102001"]) == "福州市"  # 鼓东街道, under 鼓楼区
        assert region_of(units["431103-YB"]) == "永州市"
        assert deployment.designer_scope(user("gulou.designer")) == "福州市"
        assert deployment.designer_scope(user(PLATFORM)) is None
        assert deployment.designer_scope(SYSTEM) is None
        data = (FIXTURES / "valid_review.bpmn").read_bytes()
        with pytest.raises(Forbidden):
            deployment.deploy(db.session, user(YONGZHOU), data, "x.bpmn", region="丰城市")
        with pytest.raises(Forbidden):
            deployment.deploy(db.session, user(YONGZHOU), data, "x.bpmn", region=None)
        with pytest.raises(Forbidden):
            deployment.deploy(db.session, user("yongzhou.admin"), data, "x.bpmn")
        definition, _ = deployment.deploy(db.session, SYSTEM, data, "x.bpmn", region="丰城市")
        assert definition.region == "丰城市"
        definition, _ = deployment.deploy(db.session, user(PLATFORM), data, "x.bpmn")
        assert definition.region is None


def test_diff_and_relatedness_by_element():
    base = FLOW.read_bytes()
    assert diff_diagrams(base, base) == []
    assert related(base, fengcheng_edit())
    assert not related(base, unrelated_under("township_review_pay"))
    without_pay = base.replace(b'<bpmn:userTask id="pay_out" name="', b'<bpmn:userTask id="pay_out_new" name="')
    kinds = {(c.element_id, c.kind) for c in diff_diagrams(base, without_pay)}
    assert {("pay_out_new", "added"), ("pay_out", "removed")} <= kinds


def test_the_diff_and_the_rename_are_documented(client):
    spec = client.get("/api/openapi.json").get_json()
    diff = spec["paths"]["/api/definitions/{definition_id}/diff"]["get"]
    assert "against the base" in diff["summary"] and "element id" in diff["description"]
    upload_doc = spec["paths"]["/api/definitions"]["post"]
    assert "409" in upload_doc["responses"]
    assert {p["name"] for p in upload_doc["parameters"] if p["in"] == "query"} >= {"convert", "rename_to"}
