"""Cost of the product around SpiffWorkflow, measured side by side in one run.

Runs the 门诊费用报销 flow (受理 → 乡镇初审 → 移交 → 医保中心复核 → 医保结算 (an external task a worker
completes) → 拨付 → 出件 at the accepting village, with its sub-flows and deadline timers) three ways:
  bare     SpiffWorkflow in memory with the same diagrams and expression functions (no sandbox),
           a JSON round trip (serialize + deserialize) per step;
  service  the engine's service layer on a SQLite database (each user looked up, inbox, claim,
           complete, one unit of work per action, as the API calls it);
  http     the same through the REST API with Flask's test client (bearer tokens issued beforehand).
Single runs of the three ways are interleaved, in rotating order, each after a garbage collection,
so that the shared machine's changes of speed fall on all three alike; the medians are compared.
Prints the ratios service/bare and http/bare. With --served-db it then serves the app with gunicorn (2 worker
processes) on a fresh PostgreSQL database and walks cases to 办结 from 4 client threads over HTTP for
--served-seconds, printing cases/s beside the bare loop's (1 / its median) from the same run.

    python bench/engine.py [TRIPLES] [--served-db postgresql://…/yibao_engine] [--served-seconds 60]
"""

import argparse
import gc
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its calendar.py would shadow the standard library's

import requests  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench import pgdb  # noqa: E402
from engine.bpmn import deployment  # noqa: E402
from engine.bpmn.external import ExternalServiceTask, ProductBpmnParser  # noqa: E402
from engine.cases import acceptance, lifecycle  # noqa: E402
from engine.cases.money import SETTLEMENT_TOPIC  # noqa: E402
from engine.core.models import CaseInstance, User  # noqa: E402
from engine.org import accounts, workers  # noqa: E402
from engine.org.permissions import SYSTEM  # noqa: E402
from engine.sandbox.functions import expression_functions  # noqa: E402
from engine.tasks import external, work  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from tests.factories import applicant, mandate, reimbursement_details  # noqa: E402

BPMN = ROOT / "processes" / "bpmn"
PROCESS = "township_review_pay"
MATERIALS = [
    "医保电子凭证或有效身份证件或社保卡（查看）",
    "费用发票原件",
    "费用清单原件（加盖医院公章）",
    "慢性病证复印件",
]
START = {
    "item": "fc-v-08",
    "org": "360981104201",
    "applicant": applicant(),
    "materials": MATERIALS,
    "proxy": True,
    "mandate": mandate(),
    "details": reimbursement_details(),
}
APPROVE = {"decision": "approve", "opinion": "同意", "approved_amount": "200.50"}
PAYOUT = {
    "amount": "200.50",
    "payee_name": "张三",
    "bank_name": "中国农业银行",
    "account_no": "6228480012345678901",
    "paid_on": "2026-10-20",
}
SETTLED = {"hifp_pay": "200.50", "hifmi_pay": "0.00", "maf_pay": "0.00", "psn_cash_pay": "0.00"}
COLLECTED = {"method": "现场领取"}  # 统一窗口出件: the accepting village hands the result out
STARTER = "qujiangcun.village_agent"
WORKER = "settlement"  # the 医保信息平台's settlement worker, not a person


def fresh_start() -> dict:
    """The application with invoices no earlier run claimed: an invoice is reimbursed once."""
    return {**START, "details": reimbursement_details()}


STEPS = [
    ("qujiang.township_clerk", APPROVE),
    ("qujiang.township_clerk", {"method": "系统流转"}),
    ("fc-centre.centre_reviewer", APPROVE),
    (WORKER, SETTLED),
    ("fc-centre.centre_payer", PAYOUT),
    (STARTER, COLLECTED),
]


class ExternalTaskConverter(SpiffBpmnTaskConverter):
    """Bare SpiffWorkflow serialises specs with the workflow: the product's external task needs its topic kept."""

    def to_dict(self, spec):
        return {**super().to_dict(spec), "topic": spec.topic, "priority": spec.priority}


class Bare:
    """SpiffWorkflow alone: parsed once, then each step deserialises, runs and serialises the workflow."""

    def __init__(self):
        parser = ProductBpmnParser()
        parser.add_bpmn_files([str(p) for p in (BPMN / "shared").glob("*.bpmn")] + [str(BPMN / f"{PROCESS}.bpmn")])
        self.spec, self.subprocess_specs = parser.get_spec(PROCESS), parser.get_subprocess_specs(PROCESS)
        self.engine = PythonScriptEngine(environment=TaskDataEnvironment(expression_functions()))
        self.serializer = BpmnWorkflowSerializer(
            BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, ExternalServiceTask: ExternalTaskConverter})
        )
        self.start_data = {
            "missing": [],
            "applicant": START["applicant"],
            "details": START["details"],
            "proxy": True,
            "accepted_level": "village",
            "limits": {"township_review": 20, "centre_review": 5, "payout": 5},
            "case_due": None,
            "warn_days": 2,
            "settles": True,
        }

    def run(self) -> None:
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(self.start_data)
        workflow.do_engine_steps()
        state = self.serializer.serialize_json(workflow)
        for _, data in STEPS:
            workflow = self.serializer.deserialize_json(state)
            workflow.script_engine = self.engine
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            state = self.serializer.serialize_json(workflow)
        assert workflow.is_completed()


class Service:
    """The service layer as the API drives it: the acting user looked up by id (as a token names it),
    then one unit of work per action."""

    def __init__(self, app, secret: str):
        self.app, self.secret = app, secret
        with app.app_context():
            self.user_ids = dict(db.session.execute(select(User.username, User.id)).all())
            db.session.remove()

    def run(self, steps: list[tuple[str, dict]] = STEPS) -> int:
        """One case accepted and worked through `steps` (all of them: to 办结); other cases may wait in the same
        inboxes (bench/scale.py stops cases part way)."""
        with self.app.app_context():
            case = acceptance.start_case(
                db.session, accounts.active_user(db.session, self.user_ids[STARTER]), fresh_start()
            )
            for username, data in steps:
                if username == WORKER:
                    worker = workers.authenticate(db.session, self.secret)
                    topic = external.TopicRequest(SETTLEMENT_TOPIC, 60_000, business_key=case.case_no)
                    (task,) = external.fetch_and_lock(db.session, worker, WORKER, 1, [topic])
                    external.complete(db.session, worker, task.id, WORKER, data)
                    continue
                user = accounts.active_user(db.session, self.user_ids[username])
                inbox = work.inbox(db.session, user, work.CANDIDATE, per_page=200).items
                (task,) = [task for task in inbox if task.instance_id == case.id]
                work.claim(db.session, user, task.id)
                work.complete(db.session, user, task.id, data)
            case_id = case.id
            db.session.remove()
        return case_id


class Http:
    """The REST API through a client (Flask's test client, or `Served` over a socket), with a bearer token per user
    issued beforehand. Other cases may wait in the same inboxes: clients run side by side on a served app."""

    def __init__(self, client, secret: str):
        self.client = client
        self.headers = {WORKER: {"Authorization": f"Bearer {secret}"}}
        for username in {STARTER, *(u for u, _ in STEPS)} - {WORKER}:
            token = self.client.post(
                "/api/auth/token", json={"username": username, "password": "yibao2026"}
            ).get_json()["token"]
            self.headers[username] = {"Authorization": f"Bearer {token}"}

    def run(self) -> int:
        case = self.client.post("/api/instances", json=fresh_start(), headers=self.headers[STARTER]).get_json()
        for username, data in STEPS:
            if username == WORKER:
                self.settle(data, case["case_no"])
                continue
            inbox = self.client.get("/api/tasks?per_page=200", headers=self.headers[username]).get_json()["items"]
            (task,) = [task for task in inbox if task["instance_id"] == case["id"]]
            self.client.post(f"/api/tasks/{task['id']}/claim", headers=self.headers[username])
            done = self.client.post(
                f"/api/tasks/{task['id']}/complete", json={"data": data}, headers=self.headers[username]
            )
            assert done.status_code == 200, done.get_json()
        return case["id"]

    def settle(self, split: dict, case_no: str) -> None:
        """The settlement worker's round: fetch and lock the case's task, complete it with Camunda's typed variables."""
        topic = {"topicName": SETTLEMENT_TOPIC, "lockDuration": 60_000, "businessKey": case_no}
        (task,) = self.client.post(
            "/engine-rest/external-task/fetchAndLock",
            json={"workerId": WORKER, "maxTasks": 1, "topics": [topic]},
            headers=self.headers[WORKER],
        ).get_json()
        variables = {name: {"value": value, "type": "String"} for name, value in split.items()}
        done = self.client.post(
            f"/engine-rest/external-task/{task['id']}/complete",
            json={"workerId": WORKER, "variables": variables},
            headers=self.headers[WORKER],
        )
        assert done.status_code == 204, done.get_json()


class Served:
    """A served app over HTTP, answering like Flask's test client (`status_code`, `get_json()`) for `Http`."""

    def __init__(self, base: str):
        self.base, self.session = base, requests.Session()

    def get(self, path: str, headers: dict | None = None):
        return _Answer(self.session.get(self.base + path, headers=headers, timeout=60))

    def post(self, path: str, json: dict | None = None, headers: dict | None = None):
        return _Answer(self.session.post(self.base + path, json=json, headers=headers, timeout=60))


class _Answer:
    def __init__(self, response):
        self.status_code, self._response = response.status_code, response

    def get_json(self):
        return self._response.json()


def served_throughput(
    database_url: str, seconds: float, processes: int = 2, clients: int = 4
) -> tuple[int, int, float]:
    """Cases walked to 办结 by `clients` threads against gunicorn with `processes` workers on a fresh PostgreSQL
    database: (cases concluded, errors, elapsed seconds)."""
    pgdb.recreate(database_url)
    app = create_app({**pgdb.app_settings(database_url), "DEPLOY_ON_START": False})
    with app.app_context():
        upgrade()
        accounts.seed_demo(db.session)
        deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
        secret = workers.create(db.session, SYSTEM, WORKER, "360981").secret
        db.session.remove()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url, "DEPLOY_ON_START": "0", "LOG_LEVEL": "WARNING"}
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(processes), "-b", f"127.0.0.1:{port}", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        walkers = [Http(Served(base), secret) for _ in range(clients)]
        done, errors = [0] * clients, [0] * clients
        until = time.monotonic() + seconds

        def walk(number: int) -> None:
            while time.monotonic() < until:
                try:
                    walkers[number].run()
                    done[number] += 1
                except Exception:  # a refused step or a lost request: counted, and the client goes on
                    errors[number] += 1

        started = time.monotonic()
        threads = [threading.Thread(target=walk, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(done), sum(errors), time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(base + "/api/health", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still starting
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer within 120 s")


def timed(run) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def side_by_side(triples: int) -> dict[str, float]:
    """Median seconds per case of each way, single runs interleaved in rotating order."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}, "DEPLOY_ON_START": False})
        with app.app_context():
            upgrade()
            accounts.seed_demo(db.session)
            deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
            secret = workers.create(db.session, SYSTEM, WORKER, "360981").secret
            db.session.remove()
        ways = {"bare": Bare(), "service": Service(app, secret), "http": Http(app.test_client(), secret)}
        for way in ways.values():
            for _ in range(3):
                way.run()
        seconds = {name: [] for name in ways}
        concluded = []
        order = list(ways)
        for i in range(triples):
            for name in order[i % 3 :] + order[: i % 3]:
                elapsed, case_id = timed(ways[name].run)
                seconds[name].append(elapsed)
                if case_id is not None:
                    concluded.append(case_id)
        with app.app_context():
            statuses = set(db.session.scalars(select(CaseInstance.status).where(CaseInstance.id.in_(concluded))))
        assert statuses == {lifecycle.CONCLUDED}, statuses
    return {name: statistics.median(values) for name, values in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("triples", nargs="?", type=int, default=60)
    parser.add_argument("--served-db", help="PostgreSQL URL of a database to (re)create for the served run")
    parser.add_argument("--served-seconds", type=float, default=60.0)
    args = parser.parse_args()
    median = side_by_side(args.triples)
    print(f"triples={args.triples} steps_per_run={len(STEPS) + 1}")
    print(" ".join(f"{name}_ms_per_run={value * 1000:.1f}" for name, value in median.items()))
    print(f"overhead_service={median['service'] / median['bare']:.2f}")
    print(f"overhead_http={median['http'] / median['bare']:.2f}")
    if args.served_db:
        cases, errors, elapsed = served_throughput(args.served_db, args.served_seconds)
        print(f"bare_cases_per_s={1 / median['bare']:.2f}")
        print(f"http_cases_per_s_2workers_4clients={cases / elapsed:.2f} served_cases={cases} served_errors={errors}")
        print(f"served_over_bare={cases / elapsed * median['bare']:.2f}")


if __name__ == "__main__":
    main()
