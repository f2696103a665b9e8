"""Bytes a concluded 门诊费用报销 case occupies in the database, scans excluded.

Runs one case through the REST API (受理 at 曲江村 → 乡镇初审 → 移交 → 医保中心复核 → 拨付) on a fresh
SQLite database, then sums the stored bytes of every row that belongs to it: the case row with its
workflow state, its task, timer, history, transfer and claimed-invoice rows. A value's bytes are its
text's UTF-8 length (JSON as stored, numbers and instants as text), so the figure is the same on every
store and comparable between releases; PostgreSQL adds its row headers and old row versions on top.

With CASE_BYTES_PG naming a PostgreSQL server (a role that may create databases), it also measures the steady
state there, once as the previous release stored cases (plain JSON state, nothing slimmed, cancelled timers kept,
default table settings) and once as now, each in a scratch database of its own: cases run to 办结 in batches with a
plain VACUUM after each (what autovacuum does; never VACUUM FULL), and the growth of every case table (heap, TOAST,
indexes) over the measured batches divided by their cases is the bytes per concluded case.

    python bench/case_bytes.py
    CASE_BYTES_PG=postgresql://postgres@127.0.0.1:5432/postgres python bench/case_bytes.py
"""

import base64
import json
import os
import sys
import tempfile
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from unittest import mock
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its calendar.py would shadow the standard library's

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import MetaData, create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine.bpmn import deployment  # noqa: E402
from engine.cases import retention  # noqa: E402
from engine.core.models import Base, CaseInstance  # noqa: E402
from engine.org import accounts, workers  # noqa: E402
from engine.org.permissions import SYSTEM  # noqa: E402
from engine.workflow import stored  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from tests.factories import applicant, mandate, reimbursement_details  # noqa: E402

PASSWORD = "yibao2026"
MATERIALS = [
    "医保电子凭证或有效身份证件或社保卡（查看）",
    "费用发票原件",
    "费用清单原件（加盖医院公章）",
    "慢性病证复印件",
]
APPROVE = {"decision": "approve", "opinion": "材料齐全，符合报销条件", "approved_amount": "200.50"}
PAYOUT = {
    "amount": "200.50",
    "payee_name": "张三",
    "bank_name": "中国农业银行丰城支行",
    "account_no": "6228480012345678901",
    "paid_on": date.today().isoformat(),
}
SETTLE = "医保结算"  # the external task between 复核 and 拨付, worked as a settlement worker would
STEPS = [
    ("qujiang.township_clerk", "乡镇初审", APPROVE),
    ("qujiang.township_clerk", "移交医保中心", {"method": "系统流转"}),
    ("fc-centre.centre_reviewer", "医保中心复核", APPROVE),
    (SETTLE, SETTLE, {"hifp_pay": "200.50", "hifmi_pay": "0.00", "maf_pay": "0.00", "psn_cash_pay": "0.00"}),
    ("fc-centre.centre_payer", "拨付", PAYOUT),
    ("qujiangcun.village_agent", "出件", {"method": "现场领取"}),
]
# Tables whose rows belong to one case, by the column naming it; scans' bytes live in the object store.
CASE_COLUMNS = {"case_instance": "id", "task": "instance_id", "timer": "instance_id", "audit_event": "instance_id"}
OPTIONAL_CASE_TABLES = {"transfer": "instance_id", "claimed_invoice": "instance_id", "attachment": "instance_id"}


def value_bytes(value) -> int:
    if value is None:
        return 0
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, (dict, list)):
        return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    return len(str(value).encode())


def run_case(client, worker: dict[str, str]) -> int:
    """One case from 受理 to 办结 over the REST API, each step by the user (or the settlement worker) who does it."""
    tokens = {}

    def headers(username):
        if username not in tokens:
            response = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
            tokens[username] = response.get_json()["token"]
        return {"Authorization": f"Bearer {tokens[username]}"}

    start = {
        "item": "fc-v-08",
        "org": "360981104201",
        "applicant": applicant(),
        "materials": MATERIALS,
        "proxy": True,
        "mandate": mandate(),
        "details": reimbursement_details(),
    }
    response = client.post("/api/instances", json=start, headers=headers("qujiangcun.village_agent"))
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    for username, title, data in STEPS:
        if username == SETTLE:
            settle(client, worker, case["case_no"], data)
            continue
        page = client.get("/api/tasks?view=candidate", headers=headers(username)).get_json()
        matching = [t for t in page["items"] if t["title"] == title and t["instance_id"] == case["id"]]
        assert len(matching) == 1, (title, page)
        (task,) = matching
        client.post(f"/api/tasks/{task['id']}/claim", headers=headers(username))
        done = client.post(f"/api/tasks/{task['id']}/complete", json={"data": data}, headers=headers(username))
        assert done.status_code == 200, done.get_json()
    return case["id"]


def settle(client, worker: dict[str, str], case_no: str, split: dict[str, str]) -> None:
    """Fetch the case's 医保结算 over /engine-rest and complete it with `split`."""
    topic = {"topicName": "yibao-settlement", "lockDuration": 60000, "businessKey": case_no}
    body = {"workerId": "case-bytes", "maxTasks": 1, "topics": [topic]}
    (task,) = client.post("/engine-rest/external-task/fetchAndLock", headers=worker, json=body).get_json()
    variables = {name: {"value": value, "type": "String"} for name, value in split.items()}
    done = client.post(
        f"/engine-rest/external-task/{task['id']}/complete",
        headers=worker,
        json={"workerId": "case-bytes", "variables": variables},
    )
    assert done.status_code == 204, done.get_json()


def worker_headers() -> dict[str, str]:
    """A settlement worker's credential for 丰城市's cases, as HTTP Basic headers (inside an app context)."""
    issued = workers.create(db.session, SYSTEM, f"case-bytes-{uuid4().hex[:8]}", "360981")
    token = base64.b64encode(f"{issued.credential.name}:{issued.secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def case_bytes(case_id: int) -> dict[str, int]:
    metadata = MetaData()
    metadata.reflect(db.engine)
    sizes = {}
    for name, column in {**CASE_COLUMNS, **OPTIONAL_CASE_TABLES}.items():
        if name not in metadata.tables:
            continue
        table = metadata.tables[name]
        rows = db.session.execute(select(table).where(table.c[column] == case_id)).all()
        sizes[name] = sum(value_bytes(value) for row in rows for value in row)
    return sizes


WARM_CASES, BATCHES, BATCH_CASES = 10, 4, 10
HOT_TABLES = ("case_instance", "task", "timer")


def case_tables() -> list[str]:
    """case_instance and every table holding case data (a foreign key to it)."""
    cases = CaseInstance.__table__
    held = [t.name for t in Base.metadata.tables.values() if any(k.column.table is cases for k in t.foreign_keys)]
    return [cases.name, *sorted(held)]


def as_before(connection) -> ExitStack:
    """The previous release's storage: plain JSON, nothing slimmed or dropped, default table settings."""
    connection.execute(text("ALTER TABLE case_instance ALTER COLUMN state SET STORAGE EXTENDED"))
    for table in HOT_TABLES:
        connection.execute(text(f"ALTER TABLE {table} RESET (fillfactor, autovacuum_vacuum_scale_factor)"))
    stack = ExitStack()
    stack.enter_context(mock.patch.object(stored, "encode", lambda state: state.encode()))
    stack.enter_context(mock.patch.object(retention, "is_slim", lambda case: False))
    return stack


def steady_bytes(server: str, old: bool) -> float:
    """Bytes per concluded case in a scratch database on `server`, stored the old way or the new."""
    name = f"case_bytes_{'old' if old else 'new'}_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    try:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "DEPLOY_ON_START": False, "PASSWORD_HASH_METHOD": "scrypt:16:8:1"}
        )
        with app.app_context():
            upgrade()
            accounts.seed_demo(db.session)
            deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
            worker = worker_headers()
            with db.engine.begin() as connection:
                storage = as_before(connection) if old else ExitStack()
            vacuumer = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        client = app.test_client(use_cookies=False)
        tables = case_tables()

        def vacuumed_size() -> int:
            with app.app_context(), vacuumer.connect() as connection:
                for table in tables:
                    connection.execute(text(f"VACUUM {table}"))
                return sum(connection.execute(text(f"SELECT pg_total_relation_size('{t}')")).scalar() for t in tables)

        with storage:
            for _ in range(WARM_CASES):
                run_case(client, worker)
            before = vacuumed_size()
            for _ in range(BATCHES):
                for _ in range(BATCH_CASES):
                    run_case(client, worker)
                after = vacuumed_size()
        with app.app_context():
            db.engine.dispose()
        return (after - before) / (BATCHES * BATCH_CASES)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bytes.db",
                "DEPLOY_ON_START": False,
                "PASSWORD_HASH_METHOD": "scrypt:16:8:1",
            }
        )
        with app.app_context():
            upgrade()
            accounts.seed_demo(db.session)
            deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
            worker = worker_headers()
        client = app.test_client(use_cookies=False)  # each request in its own app context, as when served
        run_case(client, worker)  # a first case warms caches; the second is measured
        case_id = run_case(client, worker)
        with app.app_context():
            sizes = case_bytes(case_id)
    for name, size in sizes.items():
        print(f"{name}_bytes={size}")
    print(f"case_bytes={sum(sizes.values())}")
    server = os.environ.get("CASE_BYTES_PG")
    if server:
        old, new = steady_bytes(server, old=True), steady_bytes(server, old=False)
        print(f"pg_steady_bytes_per_concluded_case_old={old:.0f}")
        print(f"pg_steady_bytes_per_concluded_case_new={new:.0f}")
        print(f"pg_steady_ratio_new_old={new / old:.3f}")


if __name__ == "__main__":
    main()
