"""Messages to cases: 意外伤害 (fc-t-09) waits at 外伤调查 until the 医保信息平台 sends the result over Camunda's
`POST /engine-rest/message` (or a clerk reports it, `POST /api/instances/<id>/messages`), then runs on to 系统审核
and 办结; a message for no case, for a case waiting for something else, from outside the credential's scope or in a
bad body is refused with why; boundary messages (interrupting and not), an event sub-process's message start, and
two deliveries at once (one wins) on a small diagram."""

import base64
import threading
from uuid import UUID

import pytest
from sqlalchemy import select

from engine.bpmn import deployment
from engine.cases import acceptance
from engine.catalogue.flows import Flow, catalog
from engine.core.models import CaseInstance, MessageWait, Task
from engine.org.permissions import SYSTEM
from engine.workflow import snapshot
from server.extensions import db
from tests.conftest import FIXTURES
from tests.factories import applicant
from tests.scenarios import ADMIN, TODAY, TOWNSHIP, work

pytestmark = pytest.mark.usefixtures("fresh")

CLERK = "qujiang.township_clerk"
RESULT = "外伤调查结果"
INJURY_MATERIALS = [m.name for m in catalog().get("fc-t-09").materials]
REIMBURSABLE = {
    "investigation_result": {"value": "reimbursable", "type": "String"},
    "investigated_on": {"value": TODAY, "type": "String"},
    "investigator": {"value": "丰城市医保局外伤调查组", "type": "String"},
}


def worker(app, name: str, scope: str) -> dict[str, str]:
    """HTTP Basic headers of a new worker credential for the unit `scope` (`flask workers create`)."""
    result = app.test_cli_runner().invoke(args=["workers", "create", name, "--scope", scope])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()}


@pytest.fixture
def platform(app):
    """The 医保信息平台 of 丰城市: a credential for 丰城市 and the units below it."""
    return worker(app, "yibao-platform-fc", "360981")


def injury_case(as_user) -> dict:
    response = as_user(CLERK).post(
        "/api/instances",
        json={"item": "fc-t-09", "org": TOWNSHIP, "applicant": applicant(), "materials": INJURY_MATERIALS},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def send(client, headers, **body):
    return client.post("/engine-rest/message", json=body, headers=headers)


def detail(as_user, case, user=ADMIN):
    return as_user(user).get(f"/api/instances/{case['id']}").get_json()


def test_injury_case_waits_for_the_investigation_then_runs_to_system_review_and_concludes(
    app, client, as_user, platform
):
    case = injury_case(as_user)
    waiting = detail(as_user, case)
    assert waiting["status"] == "running" and waiting["tasks"] == []
    (wait,) = waiting["waiting"]
    assert wait["message"] == RESULT and wait["element"] == "等待外伤调查结果" and wait["kind"] == "receive"
    assert wait["org"]["code"] == TOWNSHIP and wait["form_key"] == "injury_investigation"
    assert "等待消息“外伤调查结果”" in wait["text"]
    with app.app_context():  # one indexed row per wait, not a scan of workflow states
        assert db.session.scalars(select(MessageWait.instance_id).where(MessageWait.name == RESULT)).all() == [
            case["id"]
        ]

    answer = send(
        client,
        platform,
        messageName=RESULT,
        businessKey=case["case_no"],
        processVariables=REIMBURSABLE,
        resultEnabled=True,
    )
    assert answer.status_code == 200, answer.get_json()
    (result,) = answer.get_json()
    assert result["resultType"] == "Execution" and result["execution"]["processInstanceId"] == str(case["id"])
    assert result["processInstance"] is None and result["execution"]["ended"] is False

    after = detail(as_user, case)
    assert [t["title"] for t in after["tasks"]] == ["系统审核"] and after["waiting"] == []
    received = [e for e in after["history"] if e["action"] == "message_received"]
    assert len(received) == 1 and received[0]["detail"]["variables"]["investigation_result"] == "reimbursable"
    assert received[0]["detail"]["sender"] == "yibao-platform-fc"

    township = as_user(CLERK)
    work(township, "系统审核", {"decision": "approve", "opinion": "外伤调查结果为可报，系统审核通过"})
    work(township, "办结", {"result": "意外伤害待遇已备案"})
    concluded = detail(as_user, case)
    assert concluded["status"] == "concluded" and concluded["waiting"] == []
    again = send(client, platform, messageName=RESULT, businessKey=case["case_no"], processVariables=REIMBURSABLE)
    assert again.status_code == 409 and "已办结" in again.get_json()["message"]


def test_not_reimbursable_needs_a_reason_and_ends_not_filed_with_a_notice(client, as_user, platform):
    case = injury_case(as_user)
    not_reimbursable = {**REIMBURSABLE, "investigation_result": {"value": "not_reimbursable", "type": "String"}}
    refused = send(client, platform, messageName=RESULT, businessKey=case["case_no"], processVariables=not_reimbursable)
    assert refused.status_code == 400
    assert refused.get_json()["errors"]["processVariables"]["reason"] == ["调查结论为不可报时必须填写原因"]
    assert detail(as_user, case)["waiting"], "a refused message leaves the case waiting"

    with_reason = {**not_reimbursable, "reason": {"value": "第三方责任人承担", "type": "String"}}
    sent = send(client, platform, messageName=RESULT, businessKey=case["case_no"], processVariables=with_reason)
    assert sent.status_code == 204 and sent.data == b""
    work(as_user(CLERK), "告知不予备案", {"result": "不予备案：外伤由第三方负责"})
    done = detail(as_user, case)
    assert done["status"] == "concluded"
    notice = as_user(CLERK).get(f"/api/instances/{case['id']}/documents/conclusion")
    assert notice.status_code == 200 and "不予备案" in notice.get_data(as_text=True)


def test_a_message_for_no_case_or_a_case_waiting_for_something_else_says_why(client, as_user, platform):
    case = injury_case(as_user)
    unknown = send(client, platform, messageName=RESULT, businessKey="360981-20260101-999999")
    assert unknown.status_code == 404
    assert unknown.get_json() == {"type": "InvalidRequestException", "message": "办件不存在：360981-20260101-999999"}
    by_id = send(client, platform, messageName=RESULT, processInstanceId="999999")
    assert by_id.status_code == 404

    other = send(client, platform, messageName="撤回申请", businessKey=case["case_no"])
    assert other.status_code == 409
    assert other.get_json()["message"] == "该办件当前不在等待消息“撤回申请”，当前等待：“外伤调查结果”"
    own = as_user(CLERK).post(f"/api/instances/{case['id']}/messages", json={"name": "撤回申请"})
    assert own.status_code == 409 and "当前等待：“外伤调查结果”" in own.get_json()["message"]

    nameless = send(client, platform, messageName="谁也不认识的消息")
    assert (
        nameless.status_code == 404 and "没有已部署的流程使用消息“谁也不认识的消息”" in nameless.get_json()["message"]
    )
    as_user(CLERK).post(f"/api/instances/{case['id']}/messages", json={"name": RESULT, "variables": reimbursable()})
    nobody = send(client, platform, messageName=RESULT)
    assert nobody.status_code == 404 and nobody.get_json()["message"] == "没有办件在等待消息“外伤调查结果”"


def reimbursable() -> dict:
    return {key: typed["value"] for key, typed in REIMBURSABLE.items()}


def test_without_a_key_one_waiting_case_takes_it_several_need_all(client, as_user, platform):
    first, second = injury_case(as_user), injury_case(as_user)
    both = send(client, platform, messageName=RESULT, processVariables=REIMBURSABLE)
    assert both.status_code == 409 and "有 2 个办件在等待消息“外伤调查结果”" in both.get_json()["message"]
    keyed = send(
        client,
        platform,
        messageName=RESULT,
        processVariables=REIMBURSABLE,
        correlationKeys={"case_no": {"value": second["case_no"], "type": "String"}},
        resultEnabled=True,
    )
    assert keyed.status_code == 200 and keyed.get_json()[0]["execution"]["processInstanceId"] == str(second["id"])
    assert detail(as_user, first)["waiting"] and not detail(as_user, second)["waiting"]
    third = injury_case(as_user)
    every = send(client, platform, messageName=RESULT, processVariables=REIMBURSABLE, all=True, resultEnabled=True)
    assert sorted(r["execution"]["processInstanceId"] for r in every.get_json()) == sorted(
        [str(first["id"]), str(third["id"])]
    )


def test_the_product_endpoint_is_for_the_waiting_unit_and_administrators_of_the_scope(as_user):
    case = injury_case(as_user)
    url = f"/api/instances/{case['id']}/messages"
    body = {"name": RESULT, "variables": reimbursable()}
    assert as_user("fuzhou.admin").post(url, json=body).status_code == 404
    assert as_user("qujiangcun.village_agent").post(url, json=body).status_code == 404
    assert as_user("fc-centre.centre_reviewer").post(url, json=body).status_code == 404
    assert detail(as_user, case)["waiting"], "refused callers changed nothing"
    delivered = as_user(CLERK).post(url, json=body)
    assert delivered.status_code == 200, delivered.get_json()
    assert delivered.get_json() == {"case_no": case["case_no"], "element": "等待外伤调查结果", "kind": "receive"}
    second = injury_case(as_user)
    by_admin = as_user(ADMIN).post(f"/api/instances/{second['id']}/messages", json=body)
    assert by_admin.status_code == 200
    received = [e for e in detail(as_user, second)["history"] if e["action"] == "message_received"]
    assert received[0]["user"]["username"] == ADMIN


def test_a_worker_finds_only_the_cases_of_its_scope(app, client, as_user):
    case = injury_case(as_user)
    fuzhou = worker(app, "fz-platform", "350100")
    by_key = send(client, fuzhou, messageName=RESULT, businessKey=case["case_no"], processVariables=REIMBURSABLE)
    assert by_key.status_code == 404 and by_key.get_json()["message"] == f"办件不存在：{case['case_no']}"
    by_name = send(client, fuzhou, messageName=RESULT, processVariables=REIMBURSABLE)
    assert by_name.status_code == 404 and by_name.get_json()["message"] == "没有办件在等待消息“外伤调查结果”"
    by_id = send(client, fuzhou, messageName=RESULT, processInstanceId=str(case["id"]))
    assert by_id.status_code == 404
    assert detail(as_user, case)["waiting"]


def test_bad_bodies_and_callers_are_refused_with_field_messages(client, as_user, platform):
    case = injury_case(as_user)
    assert client.post("/engine-rest/message", json={"messageName": RESULT}).status_code == 401
    staff = send(client, as_user(CLERK).headers, messageName=RESULT, businessKey=case["case_no"])
    assert staff.status_code == 401, "a person's bearer token opens /api/ only"
    cases = {
        "not an object": ([1, 2], "json"),
        "no name": ({"businessKey": case["case_no"]}, "messageName"),
        "empty name": ({"messageName": ""}, "messageName"),
        "long name": ({"messageName": "消" * 201}, "messageName"),
        "unknown field": ({"messageName": RESULT, "tenantIdx": "x"}, "tenantIdx"),
        "instance id": ({"messageName": RESULT, "processInstanceId": "abc"}, "processInstanceId"),
        "all": ({"messageName": RESULT, "all": "sometimes"}, "all"),
        "variables": ({"messageName": RESULT, "processVariables": [1]}, "processVariables"),
        "typed": (
            {"messageName": RESULT, "processVariables": {"n": {"value": "x", "type": "Integer"}}},
            "processVariables",
        ),
        "object type": (
            {"messageName": RESULT, "processVariables": {"o": {"value": "x", "type": "Object"}}},
            "processVariables",
        ),
        "bad json": (
            {"messageName": RESULT, "processVariables": {"j": {"value": "{", "type": "Json"}}},
            "processVariables",
        ),
    }
    for label, (body, field) in cases.items():
        answer = client.post("/engine-rest/message", json=body, headers=platform)
        assert answer.status_code == 400, (label, answer.get_json())
        assert answer.get_json()["type"] == "InvalidRequestException" and field in answer.get_json()["errors"], label
    form = send(
        client,
        platform,
        messageName=RESULT,
        businessKey=case["case_no"],
        processVariables={**REIMBURSABLE, "investigation_result": {"value": "maybe", "type": "String"}},
    )
    assert form.status_code == 400 and "investigation_result" in form.get_json()["errors"]["processVariables"]

    url = f"/api/instances/{case['id']}/messages"
    for body, field in (({}, "name"), ({"name": 5}, "name"), ({"name": RESULT, "variables": []}, "variables")):
        answer = as_user(CLERK).post(url, json=body)
        assert answer.status_code == 422 and field in answer.get_json()["errors"], body
    assert as_user(CLERK).post(url, json={"name": RESULT, "colour": "red"}).status_code == 422
    assert as_user(CLERK).post(url, json=[1]).status_code == 422
    invalid = as_user(CLERK).post(url, json={"name": RESULT, "variables": {"investigation_result": "maybe"}})
    assert (
        invalid.status_code == 422
        and {"investigation_result", "investigated_on"} <= invalid.get_json()["errors"].keys()
    )
    assert detail(as_user, case)["waiting"], "no refused message moved the case"


@pytest.fixture
def probe_flow(fresh, monkeypatch):
    """Item fc-t-09 runs tests/fixtures/bpmn/message_probe.bpmn: a receive task, then 审核 with an interrupting
    (撤回申请) and a non-interrupting (催问进度) boundary message, and a non-interrupting event sub-process (投诉)."""
    with fresh.app_context():
        deployment.deploy(db.session, SYSTEM, (FIXTURES / "message_probe.bpmn").read_bytes(), "message_probe.bpmn")
    monkeypatch.setattr(acceptance, "flow_for", lambda item: Flow("message_probe", None, 2))


def open_titles(as_user, case) -> list[str]:
    return sorted(t["title"] for t in detail(as_user, case)["tasks"])


def waiting_for(as_user, case) -> list[tuple[str, str]]:
    return sorted((w["message"], w["kind"]) for w in detail(as_user, case)["waiting"])


@pytest.mark.usefixtures("probe_flow")
def test_boundary_messages_interrupt_or_not_and_an_event_subprocess_starts(app, client, as_user, platform):
    case = injury_case(as_user)
    assert waiting_for(as_user, case) == [("投诉", "event_subprocess"), ("调查结果", "receive")]
    clerk = as_user(CLERK)
    url = f"/api/instances/{case['id']}/messages"
    assert clerk.post(url, json={"name": "调查结果", "variables": {"result": "可报"}}).status_code == 200
    assert open_titles(as_user, case) == ["审核"]
    assert waiting_for(as_user, case) == [
        ("催问进度", "boundary"),
        ("投诉", "event_subprocess"),
        ("撤回申请", "boundary_interrupting"),
    ]

    assert send(client, platform, messageName="催问进度", businessKey=case["case_no"]).status_code == 204
    assert open_titles(as_user, case) == ["审核", "答复催问"], "a non-interrupting boundary message keeps 审核"

    complaint = {"complaint": {"value": "窗口态度不好", "type": "String"}}
    assert (
        send(client, platform, messageName="投诉", businessKey=case["case_no"], processVariables=complaint).status_code
        == 204
    )
    assert open_titles(as_user, case) == sorted(["审核", "处理投诉", "答复催问"])
    with app.app_context():
        handling = db.session.scalars(
            select(Task).where(Task.instance_id == case["id"], Task.title == "处理投诉")
        ).one()
        state = db.session.get(CaseInstance, case["id"])
        workflow = snapshot.load_state(state.state, *deployment.specs_of(state.definition))
        assert workflow.get_task_from_id(UUID(handling.id)).data["complaint"] == "窗口态度不好"

    assert send(client, platform, messageName="撤回申请", businessKey=case["case_no"]).status_code == 204
    assert open_titles(as_user, case) == ["处理投诉", "答复催问"], "an interrupting boundary message cancels 审核"
    with app.app_context():
        review = db.session.scalars(select(Task).where(Task.instance_id == case["id"], Task.title == "审核")).one()
        assert review.state == "cancelled"
    assert waiting_for(as_user, case) == [("投诉", "event_subprocess")]


def test_two_deliveries_at_once_one_wins_the_other_is_409(app, as_user, platform):
    case = injury_case(as_user)
    barrier = threading.Barrier(2)
    statuses = []

    def deliver():
        client = app.test_client()
        barrier.wait()
        answer = send(client, platform, messageName=RESULT, businessKey=case["case_no"], processVariables=REIMBURSABLE)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [204, 409]
    after = detail(as_user, case)
    assert [t["title"] for t in after["tasks"]] == ["系统审核"]
    assert len([e for e in after["history"] if e["action"] == "message_received"]) == 1


@pytest.fixture
def start_flow(fresh, monkeypatch):
    """Item fc-t-09 runs tests/fixtures/bpmn/message_start.bpmn, whose process starts on a message (网办申请已提交)."""
    with fresh.app_context():
        deployment.deploy(db.session, SYSTEM, (FIXTURES / "message_start.bpmn").read_bytes(), "message_start.bpmn")
    monkeypatch.setattr(acceptance, "flow_for", lambda item: Flow("message_start", None, 2))


@pytest.mark.usefixtures("start_flow")
def test_a_message_start_event_starts_the_flow_of_a_case_the_window_registered(client, as_user, platform):
    case = injury_case(as_user)
    registered = detail(as_user, case)
    assert registered["tasks"] == [] and [(w["message"], w["kind"]) for w in registered["waiting"]] == [
        ("网办申请已提交", "start")
    ]
    online = {"online_no": {"value": "WB-2026-0001", "type": "String"}}
    answer = send(client, platform, messageName="网办申请已提交", businessKey=case["case_no"], processVariables=online)
    assert answer.status_code == 204
    started = detail(as_user, case)
    assert [t["title"] for t in started["tasks"]] == ["审核"] and started["waiting"] == []
