"""Shared scenario helpers: the demo units, the materials, starting a case at a window, working a task,
sweeping timers at an instant — so that test modules never import each other.

A helper or constant lives here once more than one test module needs it; one only a single module
uses stays in that module.
"""

import base64
import tomllib
import uuid
from datetime import date, datetime
from pathlib import Path

from engine.catalogue.flows import catalog
from engine.core.clock import SHANGHAI, clock
from engine.reporting import rebuild
from engine.timers import sweep
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details

# The demo organisation (engine/data/demo.toml).
DEMO = tomllib.loads((Path(__file__).resolve().parents[1] / "engine" / "data" / "demo.toml").read_text("utf-8"))
SLUG = {unit["code"]: unit["slug"] for unit in DEMO["unit"]}
VILLAGE = "360981104201"  # 曲江村, under 曲江镇
TOWNSHIP = "360981104"  # 曲江镇
ADMIN = "fengcheng.admin"  # 丰城市's administrator: acts on 丰城市 and the units under it
SYSTEM_ADMIN = "platform.admin"  # 医保经办平台（全系统）: acts on every unit


def window_user(unit_code: str, role: str) -> str:
    """The demo user holding `role` at the unit `unit_code`, e.g. qujiang.township_clerk."""
    return f"{SLUG[unit_code]}.{role}"


# What 门诊费用报销 (fc-v-08) asks for, and the data that works its steps.
ALL_MATERIALS = [
    "医保电子凭证或有效身份证件或社保卡（查看）",
    "费用发票原件",
    "费用清单原件（加盖医院公章）",
    "慢性病证复印件",
]
# A review approving the whole claim of `reimbursement_details()` (200.50 元).
APPROVE = {"decision": "approve", "opinion": "材料齐全，符合报销条件", "approved_amount": "200.50"}
TODAY = date.today().isoformat()
PAYOUT = {
    "amount": "200.50",
    "payee_name": "张三",
    "bank_name": "中国农业银行丰城支行",
    "account_no": "6228480012345678901",
    "paid_on": "2026-10-08",
}
# Form data by form key, for walking any item along its approve path.
TASK_DATA = {
    "review": {"decision": "approve", "opinion": "材料齐全，符合条件", "approved_amount": "200.50"},
    "handover": {"method": "窗口移交"},
    "conclude": {"result": "已办结"},
    "collection": {"method": "现场领取"},
    "archive": {"archive_no": "GD-2026-0001", "location": "档案室一号柜"},
    "point_review": {"decision": "approve", "approved_amount": "200.50", "uploaded": True},
    "materials_mailing": {"carrier": "中国邮政EMS", "tracking_no": "1180012345678", "mailed_on": TODAY},
    "site_assessment": {"decision": "approve", "assessed_on": TODAY, "assessors": "王五、赵六"},
    "expert_score": {"score": 85, "recommendation": "agree", "opinion": "符合定点条件"},
    "negotiation": {"decision": "approve", "negotiated_on": TODAY},
    "agreement_signing": {"agreement_no": "DD-2026-0001", "signed_on": TODAY, "valid_until": "2099-12-31"},
    "payout": {
        "amount": "200.50",
        "payee_name": "张三",
        "bank_name": "中国农业银行",
        "account_no": "6228480012345678901",
        "paid_on": TODAY,
    },
}
# 2026-10-08 is the first working day after 国庆节; 10-10 (Saturday) is a 调休 working day, 10-11 is not.
CONCLUDED_AT = datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)
RATED_AT = datetime(2026, 10, 8, 15, 30, tzinfo=SHANGHAI)
# A holiday notice for 2027 that adds 2027-01-04 as a day off.
NOTICE_2027 = """year = 2027
notice = "测试用通知"
published = 2026-11-20

[off]
2027-01-01 = "元旦"
2027-01-04 = "元旦"

[working]
"""


def at(text: str) -> datetime:
    """The instant `text` (ISO, no offset) on the Shanghai clock."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# Starting a case at a window.


def start_at_village(as_user, materials=ALL_MATERIALS):
    """A 门诊费用报销 for 张三 accepted, by proxy, at the 曲江村 window; the new case."""
    response = as_user("qujiangcun.village_agent").post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": VILLAGE,
            "applicant": applicant(),
            "materials": materials,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def start_reimbursement_at(as_user, unit_slug, org_code, name="张三"):
    """A 门诊费用报销 for `name`, all materials, accepted by proxy at the village `unit_slug`; its case number."""
    response = as_user(f"{unit_slug}.village_agent").post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": org_code,
            "applicant": applicant(name),
            "materials": ALL_MATERIALS,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_no"]


def accept_at_instant(as_user, when: str, materials=None, item="fc-v-08", org=VILLAGE, user="qujiangcun.village_agent"):
    """Accept `item` with the clock frozen at `when`, with all of its materials unless told otherwise."""
    clock.freeze(at(when))
    if materials is None:
        materials = [m.name for m in catalog().get(item).materials]
    response = as_user(user).post(
        "/api/instances",
        json={
            "item": item,
            "org": org,
            "applicant": applicant(),
            "materials": materials,
            "details": reimbursement_details(visited_on="2026-09-20"),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def accept_at_township_window(as_user):
    """Item fc-t-10, no materials, accepted at the 曲江镇 window (the `probe` fixture makes it run the probe diagram)."""
    response = as_user("qujiang.township_clerk").post(
        "/api/instances", json={"item": "fc-t-10", "org": TOWNSHIP, "applicant": applicant(), "materials": []}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# Working a task.


def only_task(caller, title):
    """The one task titled `title` that `caller` may claim."""
    page = caller.get("/api/tasks?view=candidate").get_json()
    matching = [t for t in page["items"] if t["title"] == title]
    assert len(matching) == 1, page
    return matching[0]


def work(caller, title, data):
    """Claim and complete the one task titled `title` with `data`; the task as it was listed."""
    task = only_task(caller, title)
    assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    response = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()
    return task


SUPERVISORS = ("fc-centre.supervisor", "qujiang.supervisor")


def work_open_supervision(as_user, case_no):
    """Answer every 催办/通报 that a step worked past its limit left open, so that the case can conclude."""
    for username in SUPERVISORS:
        caller = as_user(username)
        for task in caller.get("/api/tasks?per_page=200").get_json()["items"]:
            if task["case_no"] != case_no:
                continue
            schema = caller.get(f"/api/tasks/{task['id']}").get_json()["form_schema"]
            data = {
                name: schema["properties"][name].get("enum", ["已按时限要求督促办理"])[0]
                for name in schema.get("required", [])
            }
            work(caller, task["title"], data)


# 统一窗口出件: a back office's result returns to the accepting window, which hands it to the applicant.

IN_PERSON = {"method": "现场领取"}


def collect(window, data=IN_PERSON):
    """Claim and complete the 出件 of the accepting `window` (its caller) with `data`; the task as listed."""
    return work(window, "出件", data)


# The settlement split (an external task on topic yibao-settlement), worked as a worker would over /engine-rest.

SETTLEMENT_TOPIC = "yibao-settlement"


def worker_headers(app, scope: str = "360981", name: str | None = None) -> dict[str, str]:
    """HTTP Basic headers of a new worker credential for the cases of `scope` (丰城市 by default)."""
    from engine.org import workers
    from engine.org.permissions import SYSTEM as SYSTEM_ACTOR

    with app.app_context():
        issued = workers.create(db.session, SYSTEM_ACTOR, name or f"worker-{uuid.uuid4().hex[:8]}", scope)
        db.session.remove()
    token = base64.b64encode(f"{issued.credential.name}:{issued.secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def settle(as_user, case=None, split=None, scope="360981"):
    """Fetch the case's settlement task over /engine-rest and complete it with `split` (national field name →
    amount); by default the pooled fund (统筹, hifp_pay) bears the whole approved amount. The variables fetched."""
    client = as_user.test_client
    headers = worker_headers(client.application, scope)
    topic = {"topicName": SETTLEMENT_TOPIC, "lockDuration": 60000}
    if case is not None:
        topic["businessKey"] = case["case_no"]
    fetched = client.post(
        "/engine-rest/external-task/fetchAndLock",
        headers=headers,
        json={"workerId": "scenario", "maxTasks": 1, "topics": [topic]},
    )
    assert fetched.status_code == 200 and len(fetched.get_json()) == 1, fetched.get_json()
    task = fetched.get_json()[0]
    variables = {name: typed["value"] for name, typed in task["variables"].items()}
    approved = variables.get("approved_amount") or "0.00"
    split = split or {"hifp_pay": approved, "hifmi_pay": "0.00", "maf_pay": "0.00", "psn_cash_pay": "0.00"}
    done = client.post(
        f"/engine-rest/external-task/{task['id']}/complete",
        headers=headers,
        json={"workerId": "scenario", "variables": {k: {"value": v, "type": "String"} for k, v in split.items()}},
    )
    assert done.status_code == 204, done.get_json()
    return variables


def settle_over_http(app, base_url: str, case_no: str, funds: dict[str, str]):
    """The 医保结算 of the case, as a worker does it over HTTP to a live server (browser tests): the funds bear
    `funds` (national field name → amount), the applicant nothing."""
    import requests

    headers = worker_headers(app)
    topic = {"topicName": SETTLEMENT_TOPIC, "lockDuration": 60000, "businessKey": case_no}
    fetched = requests.post(
        f"{base_url}/engine-rest/external-task/fetchAndLock",
        headers=headers,
        json={"workerId": "browser-test", "maxTasks": 1, "topics": [topic]},
        timeout=30,
    ).json()
    assert len(fetched) == 1, fetched
    variables = {name: {"value": value, "type": "String"} for name, value in {**funds, "psn_cash_pay": "0.00"}.items()}
    done = requests.post(
        f"{base_url}/engine-rest/external-task/{fetched[0]['id']}/complete",
        headers=headers,
        json={"workerId": "browser-test", "variables": variables},
        timeout=30,
    )
    assert done.status_code == 204, done.text


def open_tasks(as_user, case):
    """The open tasks of `case`, as the administrator sees them."""
    return as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["tasks"]


def concluded_case(as_user):
    """A 门诊费用报销 case run to 办结 on 2026-10-08: paid at the centre, handed out (出件) at the 曲江村 window."""
    clock.freeze(CONCLUDED_AT)
    case = start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    work(township, "乡镇初审", APPROVE)
    work(township, "移交医保中心", {"method": "系统流转"})
    work(as_user("fc-centre.centre_reviewer"), "医保中心复核", APPROVE)
    settle(as_user, case)
    work(as_user("fc-centre.centre_payer"), "拨付", PAYOUT)
    collect(as_user("qujiangcun.village_agent"))
    clock.freeze(RATED_AT)
    return case


# Timers.


def sweep_at(app, instant: str):
    """Freeze the clock at `instant` and run one timer sweep; its result."""
    clock.freeze(at(instant))
    with app.app_context():
        result = sweep.sweep(db.session)
        db.session.remove()
    return result


# Counts kept as steps happen.


def open_counts_of(app) -> tuple[dict, dict]:
    """The open tasks' counts as kept (`open_task_count`) and as the task rows give them."""
    with app.app_context():
        counts = rebuild.stored_open_counts(db.session), rebuild.raw_open_counts(db.session)
        db.session.remove()
    return counts
