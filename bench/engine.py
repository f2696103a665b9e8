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
Prints the ratios service/bare and http/bare as its last lines.

    python bench/engine.py [TRIPLES]
"""

import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its calendar.py would shadow the standard library's

from flask_migrate import upgrade  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import select  # noqa: E402

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

    def run(self) -> int:
        with self.app.app_context():
            case = acceptance.start_case(
                db.session, accounts.active_user(db.session, self.user_ids[STARTER]), fresh_start()
            )
            for username, data in STEPS:
                if username == WORKER:
                    worker = workers.authenticate(db.session, self.secret)
                    topic = external.TopicRequest(SETTLEMENT_TOPIC, 60_000)
                    (task,) = external.fetch_and_lock(db.session, worker, WORKER, 1, [topic])
                    external.complete(db.session, worker, task.id, WORKER, data)
                    continue
                user = accounts.active_user(db.session, self.user_ids[username])
                (task,) = work.inbox(db.session, user, work.CANDIDATE).items
                work.claim(db.session, user, task.id)
                work.complete(db.session, user, task.id, data)
            case_id = case.id
            db.session.remove()
        return case_id


class Http:
    """The REST API through Flask's test client, with a bearer token per user issued beforehand."""

    def __init__(self, app, secret: str):
        self.client = app.test_client()
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
                self.settle(data)
                continue
            (task,) = self.client.get("/api/tasks", headers=self.headers[username]).get_json()["items"]
            self.client.post(f"/api/tasks/{task['id']}/claim", headers=self.headers[username])
            done = self.client.post(
                f"/api/tasks/{task['id']}/complete", json={"data": data}, headers=self.headers[username]
            )
            assert done.status_code == 200, done.get_json()
        return case["id"]

    def settle(self, split: dict) -> None:
        """The settlement worker's round: fetch and lock the task, complete it with Camunda's typed variables."""
        topic = {"topicName": SETTLEMENT_TOPIC, "lockDuration": 60_000}
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


def timed(run) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main() -> None:
    triples = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "DEPLOY_ON_START": False})
        with app.app_context():
            upgrade()
            accounts.seed_demo(db.session)
            deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
            secret = workers.create(db.session, SYSTEM, WORKER, "360981").secret
            db.session.remove()
        ways = {"bare": Bare(), "service": Service(app, secret), "http": Http(app, secret)}
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
    median = {name: statistics.median(values) for name, values in seconds.items()}
    print(f"triples={triples} steps_per_run={len(STEPS) + 1}")
    print(" ".join(f"{name}_ms_per_run={value * 1000:.1f}" for name, value in median.items()))
    print(f"overhead_service={median['service'] / median['bare']:.2f}")
    print(f"overhead_http={median['http'] / median['bare']:.2f}")


if __name__ == "__main__":
    main()
