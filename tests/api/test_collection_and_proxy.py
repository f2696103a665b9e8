"""统一窗口出件 and 帮办代办 with 委托 (issue 14 points 4-5), driven as the clerks would over the API."""

import io
from datetime import timedelta

import pytest
from PIL import Image

from engine.attachments import store
from engine.cases.mandates import authorisation_material
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.models import OrgUnit
from engine.reporting import proxy_counts
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import (
    ALL_MATERIALS,
    APPROVE,
    PAYOUT,
    TOWNSHIP,
    VILLAGE,
    collect,
    only_task,
    settle,
    start_at_village,
    work,
)

pytestmark = pytest.mark.usefixtures("fresh")
AGENT = "qujiangcun.village_agent"


@pytest.fixture
def scans_dir(tmp_path):
    previous = store.use(store.LocalStore(tmp_path / "attachments"))
    yield
    store.use(previous)


def to_centre(as_user):
    """A 门诊费用报销 accepted by proxy at 曲江村, approved by 曲江镇 and handed to the centre."""
    case = start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    work(township, "乡镇初审", APPROVE)
    work(township, "移交医保中心", {"method": "系统流转"})
    return case


def status(as_user, case):
    return as_user(AGENT).get(f"/api/instances/{case['id']}").get_json()["status"]


def document(caller, case, kind):
    response = caller.get(f"/api/instances/{case['id']}/documents/{kind}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_after_the_centre_pays_the_accepting_village_window_hands_out_the_result_by_post(as_user):
    case = to_centre(as_user)
    work(as_user("fc-centre.centre_reviewer"), "医保中心复核", APPROVE)
    settle(as_user, case)
    work(as_user("fc-centre.centre_payer"), "拨付", PAYOUT)
    assert status(as_user, case) == "running", "paid is not concluded: the result is not handed out yet"
    agent = as_user(AGENT)
    assert agent.get(f"/api/instances/{case['id']}/documents/conclusion").status_code == 409

    task = only_task(agent, "出件")
    assert task["org"]["code"] == VILLAGE and task["form_key"] == "collection"
    assert agent.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    posted = agent.post(f"/api/tasks/{task['id']}/complete", json={"data": {"method": "邮寄"}})
    assert posted.status_code == 422
    assert posted.get_json()["errors"] == {"tracking_no": ["邮寄出件时必须填写快递单号"]}
    assert status(as_user, case) == "running"
    assert agent.get(f"/api/instances/{case['id']}").get_json()["collection"] is None
    done = agent.post(
        f"/api/tasks/{task['id']}/complete", json={"data": {"method": "邮寄", "tracking_no": "SF1234567890"}}
    )
    assert done.status_code == 200, done.get_json()
    assert status(as_user, case) == "concluded"
    handed = as_user("fc-centre.centre_reviewer").get(f"/api/instances/{case['id']}").get_json()["collection"]
    assert (handed["method"], handed["tracking_no"], handed["org"]) == (
        "邮寄",
        "SF1234567890",
        {"code": VILLAGE, "name": "曲江村"},
    )
    assert handed["collected_by"]["username"] == AGENT and handed["collected_at"].startswith(
        clock.now().date().isoformat()
    )

    page = document(agent, case, "conclusion")
    assert "<th>出件方式</th><td>邮寄</td>" in page and "<th>快递单号</th><td>SF1234567890</td>" in page
    assert "<th>出件单位</th><td>曲江村</td>" in page and "曲江村（盖章）" in page


def test_a_rejection_at_the_centre_also_returns_to_the_accepting_window_for_collection(as_user):
    case = to_centre(as_user)
    work(as_user("fc-centre.centre_reviewer"), "医保中心复核", {"decision": "reject", "reason": "发票重复报销"})
    assert as_user("fc-centre.centre_clerk").get("/api/tasks?view=candidate").get_json()["total"] == 0
    assert as_user("qujiang.township_clerk").get("/api/tasks?view=candidate").get_json()["total"] == 0
    agent = as_user(AGENT)
    assert "发票重复报销" in document(agent, case, "rejection"), "the window prints the 审核不通过告知书 to hand out"
    handed = collect(agent, {"method": "现场领取", "recipient": "张三"})
    assert handed["org"]["code"] == VILLAGE
    assert status(as_user, case) == "concluded"
    page = document(agent, case, "conclusion")
    assert "审核不通过：发票重复报销" in page and "<th>领取人</th><td>张三</td>" in page


def test_a_township_rejection_of_a_township_case_is_handed_out_at_the_township(as_user):
    response = as_user("qujiang.township_clerk").post(
        "/api/instances",
        json={
            "item": "fc-t-10",
            "org": TOWNSHIP,
            "applicant": applicant(),
            "materials": [m.name for m in catalog().get("fc-t-10").materials],
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    township = as_user("qujiang.township_clerk")
    work(township, "乡镇初审", {"decision": "reject", "reason": "非本统筹区参保人员"})
    assert collect(township, {"method": "电子送达"})["org"]["code"] == TOWNSHIP
    assert (
        as_user("qujiang.township_clerk").get(f"/api/instances/{response.get_json()['id']}").get_json()["status"]
        == "concluded"
    )


def proxy_application(**changes):
    body = {
        "item": "fc-v-08",
        "org": VILLAGE,
        "applicant": applicant(),
        "materials": ALL_MATERIALS,
        "proxy": True,
        "mandate": mandate(),
        "details": reimbursement_details(),
    }
    return {key: value for key, value in {**body, **changes}.items() if value is not None}


def test_a_proxy_application_without_its_mandate_is_refused_by_field(as_user):
    agent = as_user(AGENT)
    missing = agent.post("/api/instances", json=proxy_application(mandate=None))
    assert missing.status_code == 422
    assert list(missing.get_json()["errors"]) == ["mandate"]
    partial = agent.post("/api/instances", json=proxy_application(mandate={"agent_name": "刘协理"}))
    assert partial.status_code == 422
    assert set(partial.get_json()["errors"]["mandate"]) == {"agent_id_number", "relation"}
    assert agent.get("/api/instances").get_json()["total"] == 0


def test_the_mandate_and_its_signed_authorisation_are_printed_on_the_receipt(as_user, scans_dir):
    agent = as_user(AGENT)
    accepted = agent.post("/api/instances", json=proxy_application(mandate=mandate("刘协理", relation="子女")))
    assert accepted.status_code == 201, accepted.get_json()
    case = accepted.get_json()
    page = document(agent, case, "receipt")
    assert "<th>代办人</th><td>刘协理</td>" in page and "<th>与申请人关系</th><td>子女</td>" in page
    agent_id = mandate()["agent_id_number"]
    assert agent_id not in page and f"{agent_id[:4]}**********{agent_id[-4:]}" in page
    assert "授权委托书扫描件尚未上传" in page
    shown = as_user("qujiang.township_clerk").get(f"/api/instances/{case['id']}").get_json()["mandate"]
    assert shown == {
        "agent_name": "刘协理",
        "agent_id_number": f"{agent_id[:4]}**********{agent_id[-4:]}",
        "agent_mobile": "",
        "relation": "子女",
        "authorisation_scans": 0,
        "authorisation_scanned": False,
    }

    scan = io.BytesIO()
    Image.new("RGB", (640, 480), (250, 250, 250)).save(scan, "PNG")
    uploaded = agent.post(
        f"/api/instances/{case['id']}/attachments",
        data={"material": authorisation_material(), "file": (io.BytesIO(scan.getvalue()), "委托书.png")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    assert "申请人签字的授权委托书已扫描存档（1份）" in document(agent, case, "receipt")
    shown = agent.get(f"/api/instances/{case['id']}").get_json()["mandate"]
    assert (shown["authorisation_scans"], shown["authorisation_scanned"]) == (1, True)


def test_a_case_without_proxy_takes_no_authorisation_scan(as_user, scans_dir):
    agent = as_user(AGENT)
    case = agent.post("/api/instances", json=proxy_application(proxy=None, mandate=None)).get_json()
    refused = agent.post(
        f"/api/instances/{case['id']}/attachments",
        data={"material": authorisation_material(), "file": (io.BytesIO(b"%PDF-1.4"), "委托书.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "material" in refused.get_json()["errors"]
    assert "<th>代办人</th>" not in document(agent, case, "receipt")
    assert agent.get(f"/api/instances/{case['id']}").get_json()["mandate"] is None


YZ_CENTRE = "431100-YB"  # 永州市医疗保障事务中心: accepts and decides its 市级 items (centre_only)


def test_an_approved_centre_only_case_is_handed_out_at_the_centre_window_with_the_decision_on_its_notice(as_user):
    window = as_user("yz-centre.centre_clerk")
    accepted = window.post(
        "/api/instances",
        json={"item": "yz-01", "org": YZ_CENTRE, "applicant": applicant("赵六"), "materials": []},
    )
    assert accepted.status_code == 201, accepted.get_json()
    case = accepted.get_json()
    work(
        as_user("yz-centre.centre_reviewer"),
        "医保中心审核",
        {"decision": "approve", "opinion": "符合一次性生育补助金支付条件"},
    )
    assert window.get(f"/api/instances/{case['id']}").get_json()["status"] == "running", "not before 出件"
    handed = collect(window, {"method": "电子送达"})
    assert handed["org"]["code"] == YZ_CENTRE and handed["form_key"] == "collection"
    detail = window.get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "concluded" and detail["collection"]["method"] == "电子送达"
    page = document(window, case, "conclusion")
    assert "<th>办理结果</th><td>审核通过：符合一次性生育补助金支付条件</td>" in page
    assert "<th>出件方式</th><td>电子送达</td>" in page and "<th>出件单位</th><td>永州市医疗保障事务中心</td>" in page


def test_the_villages_proxy_work_is_counted_per_accepting_unit_and_period(app, as_user):
    start_at_village(as_user)
    start_at_village(as_user)
    as_user("qujiang.township_clerk").post(
        "/api/instances", json=proxy_application(item="fc-t-10", org=TOWNSHIP, proxy=None, mandate=None)
    )
    now = clock.now()
    with app.app_context():
        village = db.session.query(OrgUnit).filter_by(code=VILLAGE).one()
        township = db.session.query(OrgUnit).filter_by(code=TOWNSHIP).one()
        counted = proxy_counts.counts(db.session, since=now.date(), until=now + timedelta(days=1))
        assert counted == {village.id: {"proxy": 2}}
        assert proxy_counts.counts(db.session, since=now.date(), until=now, org_ids=[township.id]) == {}
        assert proxy_counts.counts(db.session, since=now + timedelta(days=1), until=now + timedelta(days=2)) == {}
        db.session.remove()
