"""The sandbox's limits through the API: a case start whose script or condition breaks one answers a 422
naming the limit and leaves nothing behind; an upload whose timer breaks one is refused with a problem.

On PostgreSQL, the issue's must-show: gunicorn (2 workers, wsgi:app) takes each payload while a second
request on the same server answers within a second.
"""

import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine.bpmn import deployment
from engine.cases import acceptance
from engine.catalogue.flows import Flow
from engine.core.models import Base, CaseInstance
from engine.org.permissions import SYSTEM
from engine.sandbox.limits import (
    MAX_TASK_DATA_BYTES,
    MAX_WORKING_DAYS,
    MEMORY_LIMIT_MB,
    TIME_BUDGET_SECONDS,
    WALL_TIMEOUT_SECONDS,
)
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import ALL_MATERIALS, TOWNSHIP, VILLAGE

pytestmark = pytest.mark.usefixtures("fresh")
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "tests" / "fixtures" / "bpmn" / "sandbox_probe.bpmn").read_text(encoding="utf-8")
HARMLESS = {
    "SCRIPT": "checked = True",
    "CONDITION": "checked == True",
    "TIMER": 'stage_due(limits.get("township_review"), case_due)',
}
DESIGNER = "fengcheng.designer"
CLERK = "qujiang.township_clerk"

TIMEOUT = f"脚本运行超时（超过 {TIME_BUDGET_SECONDS:g} 秒）"
MEMORY = f"内存超过 {MEMORY_LIMIT_MB} MB"
DATA = f"超过 {MAX_TASK_DATA_BYTES // 1024} KB"
CALENDAR = f"工作日天数须在 0 到 {MAX_WORKING_DAYS} 之间"
LOOP = "sum(1 for i in range(100000) for j in range(100000))"
POW = "pow(7, 3**10000, 3**10000)"
CALENDAR_CALL = "working_days_after(now(), 10**6)"
ALIASED = "[[0]*999999]*999999"
REPLACED = "('a'*10**6).replace('a', 'a'*3000)"
# name: (as a script, as a condition, as a timer expression, expected message)
PAYLOADS = {
    "loop": ("while True: pass", f"{LOOP} > 0", f"str({LOOP})", TIMEOUT),
    "pow": (f"x = {POW}", f"{POW} > 0", f"str({POW})", TIMEOUT),
    "calendar": (f"x = {CALENDAR_CALL}", f"{CALENDAR_CALL} > ''", CALENDAR_CALL, CALENDAR),
    "aliased": (f"x = {ALIASED}", ALIASED, ALIASED, DATA),
    "replace": ("x = 'a'*10**6\ny = x.replace('a', 'a'*3000)", f"len({REPLACED}) > 0", REPLACED, MEMORY),
}
SLOW = TIME_BUDGET_SECONDS + 1.5
# Through gunicorn and PostgreSQL on a shared machine: the wall-clock limit plus the request itself
SERVER_SLOW = WALL_TIMEOUT_SECONDS + 1.5


def diagram(**payloads: str) -> bytes:
    text = TEMPLATE
    for placeholder, harmless in HARMLESS.items():
        text = text.replace(placeholder, escape(payloads.get(placeholder, harmless)))
    return text.encode("utf-8")


@pytest.fixture
def flow(app, monkeypatch):
    """`flow(SCRIPT=...)`: item fc-t-10 runs the sandbox probe with that payload (warn_days 3 at run time)."""

    def deploy(**payloads: str) -> None:
        with app.app_context():
            deployment.deploy(db.session, SYSTEM, diagram(**payloads), "sandbox_probe.bpmn")
            db.session.remove()

    monkeypatch.setattr(acceptance, "flow_for", lambda item: Flow("sandbox_probe", None, 3))
    return deploy


def start(as_user):
    started = time.monotonic()
    response = as_user(CLERK).post(
        "/api/instances", json={"item": "fc-t-10", "org": TOWNSHIP, "applicant": applicant(), "materials": []}
    )
    return response, time.monotonic() - started


def cases(app) -> int:
    with app.app_context():
        count = db.session.query(CaseInstance).count()
        db.session.remove()
    return count


def test_the_probe_accepts_a_case_when_nothing_breaks_a_limit(as_user, flow):
    flow()
    response, _ = start(as_user)
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("place", ["SCRIPT", "CONDITION", "TIMER"])
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_a_case_start_breaking_a_limit_answers_422_naming_it(app, as_user, flow, name, place):
    script, condition, timer, message = PAYLOADS[name]
    payload = {"SCRIPT": script, "CONDITION": condition, "TIMER": f"stage_due(5) if warn_days == 2 else {timer}"}
    flow(**{place: payload[place]})  # the timer passes the upload (warn_days 2) and breaks the limit at run time
    response, elapsed = start(as_user)
    assert response.status_code == 422, response.get_json()
    assert message in response.get_json()["message"]
    assert elapsed < SLOW
    assert cases(app) == 0  # the unit of work rolled back whole


def test_a_failing_script_at_case_start_answers_422(app, as_user, flow):
    flow(SCRIPT="x = 1 / 0")
    response, _ = start(as_user)
    assert response.status_code == 422
    message = response.get_json()["message"]
    assert "未能受理" in message and "ZeroDivisionError" not in message, "the clerk reads no internals"
    assert cases(app) == 0


def upload(caller, data: bytes):
    return caller.post(
        "/api/definitions", data={"file": (io.BytesIO(data), "sandbox_probe.bpmn")}, content_type="multipart/form-data"
    )


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_an_upload_whose_timer_breaks_a_limit_is_refused_with_a_problem(as_user, name):
    _, _, timer, message = PAYLOADS[name]
    started = time.monotonic()
    response = upload(as_user(DESIGNER), diagram(TIMER=timer))
    assert time.monotonic() - started < SLOW
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert [p["element_id"] for p in problems] == ["review_overdue"]
    assert message in problems[0]["message"]


# gunicorn on PostgreSQL: one worker busy with a payload, the other answers.

# Applicant name -> what that case start runs. Each payload runs in every form in the tests above; here
# the point is the server around them (the wall-clock kills cost two seconds each, so not every form).
SERVER_PAYLOADS = {
    "脚本死循环": ("script", "while True: pass"),
    "脚本乘方": ("script", f"x = {POW}"),
    "脚本日历": ("script", f"x = {CALENDAR_CALL}"),
    "脚本大数据": ("script", f"x = {ALIASED}"),
    "脚本大内存": ("script", "x = 'a'*10**6\ny = x.replace('a', 'a'*3000)"),
    "条件死循环": ("condition", f"{LOOP} > 0"),
    "条件日历": ("condition", f"{CALENDAR_CALL} > ''"),
    "条件大数据": ("condition", ALIASED),
    "条件大内存": ("condition", f"len({REPLACED}) > 0"),
}


def server_diagram() -> bytes:
    """township_review_pay (what 门诊费用报销 runs) as one gateway: the applicant's name picks the payload."""
    nodes, flows = [], []
    for number, (name, (place, payload)) in enumerate(SERVER_PAYLOADS.items()):
        chosen = f"applicant.get('name') == '{name}'"
        if place == "script":
            nodes.append(
                f'<bpmn:scriptTask id="run{number}"><bpmn:incoming>p{number}</bpmn:incoming>'
                f"<bpmn:outgoing>q{number}</bpmn:outgoing><bpmn:script>{escape(payload)}</bpmn:script></bpmn:scriptTask>"
            )
            flows.append(
                f'<bpmn:sequenceFlow id="p{number}" sourceRef="pick" targetRef="run{number}">'
                f"<bpmn:conditionExpression>{escape(chosen)}</bpmn:conditionExpression></bpmn:sequenceFlow>"
                f'<bpmn:sequenceFlow id="q{number}" sourceRef="run{number}" targetRef="done" />'
            )
        else:
            flows.append(
                f'<bpmn:sequenceFlow id="p{number}" sourceRef="pick" targetRef="done">'
                f"<bpmn:conditionExpression>{escape(f'{chosen} and ({payload})')}</bpmn:conditionExpression>"
                "</bpmn:sequenceFlow>"
            )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="http://yibao-flow/bpmn">
  <bpmn:process id="township_review_pay" name="沙箱限制测试（服务器）" isExecutable="true">
    <bpmn:laneSet id="L"><bpmn:lane id="Lane_clerk" name="乡镇(街道)医保专窗经办员">
      <bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="apply"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="pick" default="fine"><bpmn:incoming>f0</bpmn:incoming></bpmn:exclusiveGateway>
    <bpmn:userTask id="review" name="乡镇初审">
      <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="formKey" value="review" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>fine</bpmn:incoming><bpmn:outgoing>f9</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="done" />
    <bpmn:endEvent id="reviewed"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
    {"".join(nodes)}
    <bpmn:sequenceFlow id="f0" sourceRef="apply" targetRef="pick" />
    <bpmn:sequenceFlow id="fine" sourceRef="pick" targetRef="review" />
    <bpmn:sequenceFlow id="f9" sourceRef="review" targetRef="reviewed" />
    {"".join(flows)}
  </bpmn:process>
</bpmn:definitions>""".encode()


def harmless_case(name: str = "张三") -> dict:
    """A 门诊费用报销 at the 曲江村 window; the applicant's name picks the payload of `server_diagram`."""
    return {
        "item": "fc-v-08",
        "org": VILLAGE,
        "applicant": applicant(name),
        "materials": ALL_MATERIALS,
        "proxy": True,
        "mandate": mandate(),
        "details": reimbursement_details(),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: bytes | None = None, headers=None, timeout: float = 30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()

    def token(self, username: str) -> dict:
        body = json.dumps({"username": username, "password": "yibao2026"}).encode()
        status, answer = self.request("POST", "/api/auth/token", body, {"Content-Type": "application/json"})
        assert status == 200, answer
        return {"Authorization": f"Bearer {answer['token']}", "Content-Type": "application/json"}


@pytest.fixture
def restored(app):
    """Whatever the test deploys and starts is gone afterwards: the shipped diagrams are deployed again."""
    yield
    with app.app_context():
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in {"org_unit", "app_user", "role_grant"}:
                db.session.execute(table.delete())
        db.session.commit()
        deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
        db.session.remove()


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="gunicorn test needs DATABASE_URL on PostgreSQL",
)
def test_gunicorn_answers_a_second_request_within_a_second_while_a_payload_runs(app, restored, tmp_path):
    with app.app_context():
        deployment.deploy(db.session, SYSTEM, server_diagram(), "township_review_pay.bpmn")
        db.session.remove()
    port = free_port()
    environment = {**os.environ, "DEPLOY_ON_START": "0", "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    server = Server(port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if server.request("GET", "/api/health", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and gunicorn.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.1)
        village = server.token("qujiangcun.village_agent")
        designer = server.token(DESIGNER)
        for _ in range(4):  # cases that break nothing: the gunicorn workers have started their sandbox workers
            status, answer = server.request("POST", "/api/instances", json.dumps(harmless_case()).encode(), village)
            assert status == 201, answer

        slowest: dict[str, float] = {"health": 0.0, "tasks": 0.0}
        failures: list[str] = []
        done = threading.Event()

        def meanwhile() -> None:
            while not done.is_set():
                for name, path, headers in (("health", "/api/health", {}), ("tasks", "/api/tasks", village)):
                    started = time.monotonic()
                    try:
                        status, _ = server.request("GET", path, headers=headers, timeout=5)
                    except OSError as failed:
                        failures.append(f"{path}: {failed}")
                        continue
                    slowest[name] = max(slowest[name], time.monotonic() - started)
                    if status != 200:
                        failures.append(f"{path}: {status}")
                time.sleep(0.05)

        watcher = threading.Thread(target=meanwhile)
        watcher.start()
        answers = {}
        try:
            for name in SERVER_PAYLOADS:
                body = harmless_case(name)
                started = time.monotonic()
                status, answer = server.request("POST", "/api/instances", json.dumps(body).encode(), village)
                answers[name] = (status, answer.get("message"), time.monotonic() - started)
            for name in ("pow", "aliased"):
                started = time.monotonic()
                status, answer = server.request(
                    "POST",
                    "/api/definitions",
                    diagram(TIMER=PAYLOADS[name][2]),
                    {**designer, "Content-Type": "text/xml"},
                )
                answers[f"upload {name}"] = (status, str(answer.get("problems")), time.monotonic() - started)
        finally:
            done.set()
            watcher.join()

        expected = {
            "脚本死循环": TIMEOUT,
            "脚本乘方": TIMEOUT,
            "脚本日历": CALENDAR,
            "脚本大数据": DATA,
            "脚本大内存": MEMORY,
            "条件死循环": TIMEOUT,
            "条件日历": CALENDAR,
            "条件大数据": DATA,
            "条件大内存": MEMORY,
            "upload pow": TIMEOUT,
            "upload aliased": DATA,
        }
        for name, message in expected.items():
            status, said, elapsed = answers[name]
            assert status == 422 and message in said, (name, answers[name])
            assert elapsed < SERVER_SLOW, (name, answers[name])
        assert failures == []
        assert slowest["health"] < 1.0 and slowest["tasks"] < 1.0, slowest
        # and the server still works: a case that breaks nothing is accepted
        status, answer = server.request("POST", "/api/instances", json.dumps(harmless_case()).encode(), village)
        assert status == 201, answer
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        try:
            gunicorn.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(gunicorn.pid, signal.SIGKILL)
            gunicorn.wait()
        log.close()
