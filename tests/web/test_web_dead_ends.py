"""No raw JSON, no dead ends, fewer clicks (issue 15): print links only for the notices a case's state allows, every
error a page meets shown as a page with a way back, task links only for those who may open them, administrators'
actions only as the lifecycle allows, the next step claimed for the same clerk, and every field error of 受理 at once.
"""

import re

import pytest

from engine.core.models import CaseInstance
from server.extensions import db
from tests.factories import applicant, reimbursement_details
from tests.scenarios import ADMIN, ALL_MATERIALS, APPROVE, concluded_case, only_task, start_at_village
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PRINT_LINK = re.compile(r'href="/api/instances/\d+/documents/([a-z_]+)"')
TASK_LINK = re.compile(r'href="/tasks/([^"/]+)"')


def printed_kinds(page: str) -> set[str]:
    return set(PRINT_LINK.findall(page))


def test_a_running_case_links_only_its_receipt_and_the_notices_it_cannot_give_answer_a_page(app, as_user):
    case = start_at_village(as_user)
    client, _ = page_login(app, "qujiangcun.village_agent")
    page = client.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert printed_kinds(page) == {"receipt"}
    assert client.get(f"/api/instances/{case['id']}/documents/receipt", headers=BROWSER).status_code == 200

    refused = client.get(f"/api/instances/{case['id']}/documents/conclusion", headers=BROWSER)
    assert refused.status_code == 409 and refused.mimetype == "text/html"
    text = refused.get_data(as_text=True)
    assert "该办件尚未办结" in text and "返回首页" in text and "\\u" not in text and '"code"' not in text
    assert as_user("qujiangcun.village_agent").get(f"/api/instances/{case['id']}/documents/conclusion").is_json


def test_an_incomplete_case_links_the_notice_of_what_is_missing_and_no_receipt(app, as_user):
    case = start_at_village(as_user, materials=ALL_MATERIALS[:2])
    client, _ = page_login(app, "qujiangcun.village_agent")
    page = client.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert printed_kinds(page) == {"missing_materials"}


def test_a_concluded_case_links_its_receipt_and_conclusion_and_offers_the_administrator_no_action(app, as_user):
    case = concluded_case(as_user)
    client, _ = page_login(app, "qujiangcun.village_agent")
    page = client.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert printed_kinds(page) == {"receipt", "conclusion"}
    for kind in printed_kinds(page):
        assert client.get(f"/api/instances/{case['id']}/documents/{kind}", headers=BROWSER).status_code == 200

    admin, _ = page_login(app, ADMIN)
    shown = admin.get(f"/admin/instances/{case['id']}").get_data(as_text=True)
    assert "管理操作" not in shown
    for action in ("suspend", "resume", "retry", "terminate"):
        assert f"/admin/instances/{case['id']}/{action}" not in shown


def test_the_administrator_is_offered_what_the_status_allows(app, as_user):
    case = start_at_village(as_user)
    admin, _ = page_login(app, ADMIN)
    url = f"/admin/instances/{case['id']}"
    running = admin.get(url).get_data(as_text=True)
    assert f"{url}/suspend" in running and f"{url}/terminate" in running
    assert f"{url}/resume" not in running and f"{url}/retry" not in running

    admin.post(f"{url}/suspend", data={"csrf_token": csrf_token(running)})
    suspended = admin.get(url).get_data(as_text=True)
    assert f"{url}/resume" in suspended and f"{url}/terminate" in suspended
    assert f"{url}/suspend" not in suspended and f"{url}/retry" not in suspended

    with app.app_context():
        db.session.get(CaseInstance, case["id"]).last_error = "脚本出错"
        db.session.commit()
        db.session.remove()
    admin.post(f"{url}/resume", data={"csrf_token": csrf_token(suspended)})
    failed = admin.get(url).get_data(as_text=True)
    assert f"{url}/retry" in failed


def test_a_case_page_links_a_task_only_for_those_who_may_open_it(app, as_user):
    case = start_at_village(as_user)
    review = only_task(as_user("qujiang.township_clerk"), "乡镇初审")
    agent, _ = page_login(app, "qujiangcun.village_agent")
    page = agent.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "乡镇初审" in page and review["id"] not in TASK_LINK.findall(page)

    township, _ = page_login(app, "qujiang.township_clerk")
    page = township.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert review["id"] in TASK_LINK.findall(page)
    assert township.get(f"/tasks/{review['id']}").status_code == 200


def test_a_refused_task_form_is_shown_at_the_task_address_and_other_methods_answer_a_page(app, as_user):
    start_at_village(as_user)
    review = only_task(as_user("qujiang.township_clerk"), "乡镇初审")
    client, _ = page_login(app, "qujiang.township_clerk")
    task_url = f"/tasks/{review['id']}"
    page = client.get(task_url).get_data(as_text=True)
    client.post(f"{task_url}/claim", data={"csrf_token": csrf_token(page)})
    page = client.get(task_url).get_data(as_text=True)
    assert f'action="{task_url}"' in page

    refused = client.post(task_url, data={"csrf_token": csrf_token(page), "decision": "reject"})
    assert refused.status_code == 422 and refused.request.path == task_url
    assert "审核不通过时必须填写理由" in refused.get_data(as_text=True)

    for url in (f"{task_url}/claim", f"{task_url}/complete", "/no-such-page"):
        answer = client.get(url, headers={**BROWSER, "Referer": f"http://localhost{task_url}"})
        assert answer.status_code in (404, 405) and answer.mimetype == "text/html", url
        text = answer.get_data(as_text=True)
        assert f'href="{task_url}"' in text and "返回上一页" in text and '"code"' not in text
    assert as_user("qujiang.township_clerk").get("/api/no-such-thing").is_json


def test_the_next_step_of_the_same_clerk_is_claimed_and_offered(app, as_user):
    case = start_at_village(as_user)
    review = only_task(as_user("qujiang.township_clerk"), "乡镇初审")
    client, _ = page_login(app, "qujiang.township_clerk")
    task_url = f"/tasks/{review['id']}"
    client.post(f"{task_url}/claim", data={"csrf_token": csrf_token(client.get(task_url).get_data(as_text=True))})
    token = csrf_token(client.get(task_url).get_data(as_text=True))
    done = client.post(task_url, data={"csrf_token": token, **APPROVE}, follow_redirects=True)
    assert done.request.path == f"/cases/{case['id']}"
    page = done.get_data(as_text=True)
    found = re.search(r'<a class="button primary" href="/tasks/([^"]+)">继续办理下一环节：移交医保中心</a>', page)
    assert found, page
    handover = client.get(f"/tasks/{found.group(1)}").get_data(as_text=True)
    assert 'class="task-form"' in handover and "认领</button>" not in handover
    mine = as_user("qujiang.township_clerk").get("/api/tasks?view=mine").get_json()["items"]
    assert [task["title"] for task in mine] == ["移交医保中心"]


def accept_form(token: str, details: dict, materials=ALL_MATERIALS, **person) -> dict:
    """The 受理 page's fields for 门诊费用报销 (fc-v-08) as the browser posts them."""
    form = {"csrf_token": token, "materials": materials}
    form |= {f"applicant.{key}": value for key, value in {**applicant(), **person}.items()}
    for key in ("medical_institution", "visit_date", "total_amount"):
        form[f"details.{key}"] = details[key]
    for index, invoice in enumerate(details["invoices"]):
        form |= {f"details.invoices.{index}.{key}": value for key, value in invoice.items()}
    form |= {f"details.payee.{key}": value for key, value in details["payee"].items()}
    return form


def test_the_agent_lands_on_their_own_claimed_notice_of_missing_materials(app):
    client, _ = page_login(app, "qujiangcun.village_agent")
    token = csrf_token(client.get("/cases/new/fc-v-08").get_data(as_text=True))
    answer = client.post(
        "/cases/new/fc-v-08", data=accept_form(token, reimbursement_details(), ALL_MATERIALS[:2]), follow_redirects=True
    )
    page = answer.get_data(as_text=True)
    assert answer.request.path.startswith("/tasks/") and "一次性告知" in page
    assert 'class="task-form"' in page and "认领</button>" not in page


def test_every_field_error_of_the_acceptance_is_told_at_once(app):
    client, _ = page_login(app, "qujiangcun.village_agent")
    token = csrf_token(client.get("/cases/new/fc-v-08").get_data(as_text=True))
    details = reimbursement_details()
    details["invoices"][1]["date"] = "2099-01-01"
    details["total_amount"] = "999.00"
    answer = client.post("/cases/new/fc-v-08", data=accept_form(token, details, id_number="123"))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    told = set(re.findall(r'class="field-error" data-field="([^"]+)"', page))
    assert {"applicant.id_number", "details.invoices.1.date", "details.total_amount"} <= told, told
    assert "合计金额 999.00 元与发票金额之和 200.50 元不一致" in page
    with app.app_context():
        assert db.session.query(CaseInstance).count() == 0, "a refused acceptance leaves no case"
        db.session.remove()
