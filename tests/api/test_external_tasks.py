"""External tasks over Camunda 7's REST interface: the settlement split of a real 门诊费用报销 worked by the
unchanged camunda-external-task-client-python3 against a live server, failures and incidents, bpmnError caught by
the diagram's error boundary event, locks (parallel fetches, expiry), scope, and bad bodies."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from camunda.external_task.external_task_worker import ExternalTaskWorker
from werkzeug.serving import make_server

from engine.core.clock import clock
from tests.scenarios import (
    ADMIN,
    APPROVE,
    PAYOUT,
    SETTLEMENT_TOPIC,
    collect,
    only_task,
    start_at_village,
    work,
    worker_headers,
)
from workers import settlement

pytestmark = pytest.mark.usefixtures("fresh")
FETCH = "/engine-rest/external-task/fetchAndLock"


def reviewed_case(as_user, approved="200.50"):
    """A 门诊费用报销 approved at 医保中心复核 for `approved` 元: its settlement task waits."""
    case = start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    work(township, "乡镇初审", APPROVE | {"approved_amount": approved})
    work(township, "移交医保中心", {"method": "系统流转"})
    work(as_user("fc-centre.centre_reviewer"), "医保中心复核", APPROVE | {"approved_amount": approved})
    return case


def fetch(client, headers, worker="w", lock=60000, max_tasks=1):
    response = client.post(
        FETCH,
        headers=headers,
        json={
            "workerId": worker,
            "maxTasks": max_tasks,
            "topics": [{"topicName": SETTLEMENT_TOPIC, "lockDuration": lock}],
        },
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def live(app):
    """The app served over HTTP by werkzeug in a thread, for a real client; its /engine-rest base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/engine-rest"
    server.shutdown()


def _basic(headers):
    import base64

    name, secret = base64.b64decode(headers["Authorization"][6:]).decode().split(":", 1)
    return name, secret


def test_an_unchanged_camunda_client_settles_a_real_claim_and_the_split_shows_on_payout_and_notice(
    app, client, as_user, live
):
    case = reviewed_case(as_user)
    name, secret = _basic(worker_headers(app))
    worker = settlement.make_worker(live, name, secret, asyncResponseTimeout=0)
    assert isinstance(worker, ExternalTaskWorker)
    worker.fetch_and_execute(
        SETTLEMENT_TOPIC, settlement.handler(worker, settlement.load_rules()), variables=settlement.VARIABLES
    )

    expected = settlement.split(Decimal("200.50"), settlement.load_rules())
    assert expected == {"hifp_pay": "100.25", "hifmi_pay": "0.15", "maf_pay": "0.00", "psn_cash_pay": "100.10"}
    history = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()
    titles = [task["title"] for task in history["tasks"]]
    assert "拨付" in titles
    payer = as_user("fc-centre.centre_payer")
    task = only_task(payer, "拨付")
    payer.post(f"/api/tasks/{task['id']}/claim")
    page = client.get(f"/tasks/{task['id']}", headers=payer.headers)
    refused = payer.post(f"/api/tasks/{task['id']}/complete", json={"data": PAYOUT})
    assert refused.status_code == 422 and "100.40" in refused.get_json()["errors"]["amount"][0]
    done = payer.post(f"/api/tasks/{task['id']}/complete", json={"data": PAYOUT | {"amount": "100.40"}})
    assert done.status_code == 200, done.get_json()
    collect(as_user("qujiangcun.village_agent"))  # 统一窗口出件 at the accepting village
    notice = as_user("qujiangcun.village_agent").get(f"/api/instances/{case['id']}/documents/conclusion")
    text = notice.get_data(as_text=True)
    for label, amount in (
        ("统筹基金支付", "100.25"),
        ("大病保险支付", "0.15"),
        ("医疗救助支付", "0.00"),
        ("个人自付", "100.10"),
    ):
        assert label in text and f"{amount} 元" in text
    assert page.status_code in (200, 302)


def test_the_payout_page_shows_the_split(app, client, as_user):
    from tests.scenarios import settle
    from tests.web_login import page_login

    reviewed_case(as_user)
    settle(as_user, split={"hifp_pay": "100.25", "hifmi_pay": "50.00", "maf_pay": "20.00", "psn_cash_pay": "30.25"})
    payer = as_user("fc-centre.centre_payer")
    task = only_task(payer, "拨付")
    web, _ = page_login(app, "fc-centre.centre_payer")
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "医保结算" in page and "100.25 元" in page and "170.25 元" in page and "个人自付" in page


def test_failures_with_retries_end_in_an_incident_for_administrators(app, client, as_user):
    case = reviewed_case(as_user)
    headers = worker_headers(app)
    for retries_left in (2, 1, 0):
        clock.freeze(clock.now() + timedelta(minutes=5))
        [task] = fetch(client, headers)
        response = client.post(
            f"/engine-rest/external-task/{task['id']}/failure",
            headers=headers,
            json={
                "workerId": "w",
                "errorMessage": "医保信息平台超时",
                "errorDetails": "timeout",
                "retries": retries_left,
                "retryTimeout": 1000,
            },
        )
        assert response.status_code == 204, response.get_json()
        assert fetch(client, headers) == []  # not before its retry timeout
    clock.freeze(clock.now() + timedelta(minutes=5))
    assert fetch(client, headers) == []  # no retries left: an incident, never fetched again
    incidents = as_user(ADMIN).get("/api/external-tasks?incidents=true").get_json()
    assert [(i["case_no"], i["error_message"], i["retries"]) for i in incidents] == [
        (case["case_no"], "医保信息平台超时", 0)
    ]
    assert as_user("fuzhou.admin").get("/api/external-tasks?incidents=true").get_json() == []
    events = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["history"]
    assert any(e["action"] == "incident" for e in events)


def test_a_bpmn_error_is_caught_by_the_error_boundary_event_and_goes_back_to_review(app, client, as_user):
    case = reviewed_case(as_user)
    headers = worker_headers(app)
    [task] = fetch(client, headers)
    response = client.post(
        f"/engine-rest/external-task/{task['id']}/bpmnError",
        headers=headers,
        json={"workerId": "w", "errorCode": "settlement_refused", "errorMessage": "参保状态异常", "variables": {}},
    )
    assert response.status_code == 204, response.get_json()
    only_task(as_user("fc-centre.centre_reviewer"), "医保中心复核")
    assert client.get(f"/engine-rest/external-task/{task['id']}", headers=headers).status_code == 404
    # an error code nothing catches: an incident with a clear message
    work(as_user("fc-centre.centre_reviewer"), "医保中心复核", APPROVE)
    [again] = fetch(client, headers)
    response = client.post(
        f"/engine-rest/external-task/{again['id']}/bpmnError",
        headers=headers,
        json={"workerId": "w", "errorCode": "unknown_code"},
    )
    assert response.status_code == 204
    [incident] = as_user(ADMIN).get("/api/external-tasks?incidents=true").get_json()
    assert "unknown_code" in incident["error_message"] and "未被流程捕获" in incident["error_message"]
    assert incident["case_no"] == case["case_no"]


def test_an_expired_lock_is_fetched_again_and_the_old_worker_is_refused(app, client, as_user):
    reviewed_case(as_user)
    headers = worker_headers(app)
    [task] = fetch(client, headers, worker="crashed", lock=1000)
    assert fetch(client, headers, worker="other") == []
    extended = client.post(
        f"/engine-rest/external-task/{task['id']}/extendLock",
        headers=headers,
        json={"workerId": "crashed", "newDuration": 2000},
    )
    assert extended.status_code == 204
    clock.freeze(clock.now() + timedelta(seconds=3))
    [again] = fetch(client, headers, worker="other")
    assert again["id"] == task["id"] and again["workerId"] == "other"
    stale = client.post(
        f"/engine-rest/external-task/{task['id']}/complete", headers=headers, json={"workerId": "crashed"}
    )
    assert stale.status_code == 409 and stale.get_json()["type"] == "RestException"
    late = client.post(
        f"/engine-rest/external-task/{task['id']}/extendLock",
        headers=headers,
        json={"workerId": "crashed", "newDuration": 2000},
    )
    assert late.status_code == 409
    listed = client.get("/engine-rest/external-task?locked=true&workerId=other", headers=headers).get_json()
    assert [t["id"] for t in listed] == [task["id"]]
    assert client.get("/engine-rest/external-task/count?notLocked=true", headers=headers).get_json() == {"count": 0}
    assert client.post(f"/engine-rest/external-task/{task['id']}/unlock", headers=headers).status_code == 204
    assert client.get("/engine-rest/external-task/count?notLocked=true", headers=headers).get_json() == {"count": 1}


def test_parallel_workers_never_get_the_same_task_under_one_lock(app, as_user, live):
    import requests

    reviewed_cases(as_user, 6)
    headers = worker_headers(app)

    def one(worker):
        got = []
        for _ in range(4):
            answer = requests.post(
                f"{live}/external-task/fetchAndLock",
                headers=headers,
                json={
                    "workerId": worker,
                    "maxTasks": 2,
                    "topics": [{"topicName": SETTLEMENT_TOPIC, "lockDuration": 60000}],
                },
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            got += [t["id"] for t in answer.json()]
        return got

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, ["a", "b", "c", "d"]))
    fetched = [task for result in results for task in result]
    assert len(fetched) == 6 and len(set(fetched)) == 6


def reviewed_cases(as_user, count):
    """`count` 门诊费用报销 cases approved at 医保中心复核, each task of a stage worked in turn."""
    for _ in range(count):
        start_at_village(as_user)
    township, reviewer = as_user("qujiang.township_clerk"), as_user("fc-centre.centre_reviewer")
    for caller, title, data in (
        (township, "乡镇初审", APPROVE),
        (township, "移交医保中心", {"method": "系统流转"}),
        (reviewer, "医保中心复核", APPROVE),
    ):
        tasks = [t for t in caller.get("/api/tasks?view=candidate").get_json()["items"] if t["title"] == title]
        assert len(tasks) == count
        for task in tasks:
            assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
            assert caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data}).status_code == 200


def test_a_worker_acts_only_on_its_scope(app, client, as_user):
    reviewed_case(as_user)
    fuzhou = worker_headers(app, scope="350100")
    assert fetch(client, fuzhou) == []
    assert client.get("/engine-rest/external-task/count", headers=fuzhou).get_json() == {"count": 0}
    [task] = fetch(client, worker_headers(app))
    for method, path, body in (
        ("get", "", None),
        ("post", "/complete", {"workerId": "w"}),
        ("post", "/failure", {"workerId": "w", "retries": 0}),
        ("post", "/extendLock", {"workerId": "w", "newDuration": 1000}),
        ("post", "/unlock", None),
    ):
        answer = getattr(client, method)(f"/engine-rest/external-task/{task['id']}{path}", headers=fuzhou, json=body)
        assert answer.status_code == 404, (path, answer.get_json())


def test_credentials_are_required_and_a_users_token_does_not_count(app, client, as_user):
    assert client.get("/engine-rest/external-task").status_code == 401
    answer = client.get("/engine-rest/external-task", headers=as_user(ADMIN).headers)
    assert answer.status_code == 401 and answer.get_json()["type"] == "AuthenticationException"
    name, secret = _basic(worker_headers(app))
    assert client.get("/engine-rest/external-task", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "workerId"),
        ({"workerId": "w", "maxTasks": 1}, "topics"),
        ({"workerId": "w", "maxTasks": -1, "topics": []}, "maxTasks"),
        ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "t"}]}, "topics"),
        ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "t", "lockDuration": 0}]}, "topics"),
    ],
)
def test_bad_fetch_bodies_are_400_with_field_messages(app, client, body, field):
    answer = client.post(FETCH, headers=worker_headers(app), json=body)
    assert answer.status_code == 400 and answer.get_json()["type"] == "InvalidRequestException"
    assert field in answer.get_json()["errors"]


def test_bad_completions_are_400_and_change_nothing(app, client, as_user):
    reviewed_case(as_user)
    headers = worker_headers(app)
    [task] = fetch(client, headers)
    url = f"/engine-rest/external-task/{task['id']}/complete"
    typed = client.post(
        url, headers=headers, json={"workerId": "w", "variables": {"hifp_pay": {"value": "x", "type": "Integer"}}}
    )
    assert typed.status_code == 400 and "variables.hifp_pay" in typed.get_json()["errors"]
    unbalanced = {
        k: {"value": v}
        for k, v in {"hifp_pay": "100.00", "hifmi_pay": "0", "maf_pay": "0", "psn_cash_pay": "1.00"}.items()
    }
    refused = client.post(url, headers=headers, json={"workerId": "w", "variables": unbalanced})
    assert refused.status_code == 400 and "psn_cash_pay" in refused.get_json()["errors"]
    negative = dict(unbalanced, psn_cash_pay={"value": "-1"})
    assert (
        "psn_cash_pay"
        in client.post(url, headers=headers, json={"workerId": "w", "variables": negative}).get_json()["errors"]
    )
    assert client.post(url, headers=headers, json=[1]).status_code == 400
    assert (
        client.post("/engine-rest/external-task/nope/complete", headers=headers, json={"workerId": "w"}).status_code
        == 404
    )
    assert len(fetch(client, headers, worker="w2")) == 0  # still locked by w, not completed
    assert client.get(f"/engine-rest/external-task/{task['id']}", headers=headers).status_code == 200
