"""Bytes a concluded 门诊费用报销 case occupies in the database, scans excluded.

Runs one case through the REST API (受理 at 曲江村 → 乡镇初审 → 移交 → 医保中心复核 → 拨付) on a fresh
SQLite database, then sums the stored bytes of every row that belongs to it: the case row with its
workflow state, its task, timer, history, transfer and claimed-invoice rows. A value's bytes are its
text's UTF-8 length (JSON as stored, numbers and instants as text), so the figure is the same on every
store and comparable between releases; PostgreSQL adds its row headers and old row versions on top.

    python bench/case_bytes.py
"""

import json
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its calendar.py would shadow the standard library's

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import MetaData, select  # noqa: E402

from engine.bpmn import deployment  # noqa: E402
from engine.org import accounts  # noqa: E402
from engine.org.permissions import SYSTEM  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from tests.factories import applicant, reimbursement_details  # noqa: E402

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
STEPS = [
    ("qujiang.township_clerk", "乡镇初审", APPROVE),
    ("qujiang.township_clerk", "移交医保中心", {"method": "系统流转"}),
    ("fc-centre.centre_reviewer", "医保中心复核", APPROVE),
    ("fc-centre.centre_payer", "拨付", PAYOUT),
]
# Tables whose rows belong to one case, by the column naming it; scans' bytes live in the object store.
CASE_COLUMNS = {"case_instance": "id", "task": "instance_id", "timer": "instance_id", "audit_event": "instance_id"}
OPTIONAL_CASE_TABLES = {"transfer": "instance_id", "claimed_invoice": "instance_id", "attachment": "instance_id"}


def value_bytes(value) -> int:
    if value is None:
        return 0
    if isinstance(value, (dict, list)):
        return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    return len(str(value).encode())


def run_case(client) -> int:
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
        "details": reimbursement_details(),
    }
    response = client.post("/api/instances", json=start, headers=headers("qujiangcun.village_agent"))
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    for username, title, data in STEPS:
        page = client.get("/api/tasks?view=candidate", headers=headers(username)).get_json()
        matching = [t for t in page["items"] if t["title"] == title and t["instance_id"] == case["id"]]
        assert len(matching) == 1, (title, page)
        (task,) = matching
        client.post(f"/api/tasks/{task['id']}/claim", headers=headers(username))
        done = client.post(f"/api/tasks/{task['id']}/complete", json={"data": data}, headers=headers(username))
        assert done.status_code == 200, done.get_json()
    return case["id"]


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
        client = app.test_client(use_cookies=False)  # each request in its own app context, as when served
        run_case(client)  # a first case warms caches; the second is measured
        case_id = run_case(client)
        with app.app_context():
            sizes = case_bytes(case_id)
    for name, size in sizes.items():
        print(f"{name}_bytes={size}")
    print(f"case_bytes={sum(sizes.values())}")


if __name__ == "__main__":
    main()
