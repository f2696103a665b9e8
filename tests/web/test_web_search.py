"""The search box of the clerk's inbox and of 办件监控, 我受理的办件, and the macro listing an applicant's other cases."""

import re

import pytest
from flask import render_template_string
from sqlalchemy import select

from engine.cases import lifecycle, queries
from engine.core.clock import clock
from engine.core.models import User
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import ALL_MATERIALS, APPROVE, at, start_at_village, start_reimbursement_at
from tests.web_login import page_login

pytestmark = pytest.mark.usefixtures("fresh")

ID_NUMBER = applicant()["id_number"]


def accept_wangwu(as_user, slug, org):
    """王五, another applicant (own ID number and mobile), accepted at the village `slug`; the case number."""
    response = as_user(f"{slug}.village_agent").post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": org,
            "applicant": applicant("王五", "36098119851111002") | {"mobile": "13907950002"},
            "materials": ALL_MATERIALS,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_no"]


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def listed_case_numbers(html):
    return re.findall(r'<td class="mono"><a href="/cases/\d+">([0-9-]+)</a></td>', html)


def test_the_inbox_search_lists_matching_cases_not_tasks(fresh, as_user):
    clock.freeze(at("2026-10-08T10:00:00"))
    case = start_at_village(as_user)
    clock.freeze(at("2026-10-09T10:00:00"))
    other = accept_wangwu(as_user, "xinzhuang", "360981104202")
    client, _ = page_login(fresh, "qujiang.township_clerk")
    inbox = page(client, "/inbox")
    assert 'name="q"' in inbox and "办件编号、申请人姓名、身份证号或手机号" in inbox
    for q in ("张三", ID_NUMBER, "13907951234", case["case_no"], case["case_no"][:15]):
        found = page(client, f"/inbox?q={q}")
        assert listed_case_numbers(found) == [case["case_no"]], q
    found = page(client, "/inbox?q=张三")
    assert "查找办件" in found and "共 1 件" in found
    assert f'href="/cases/{case["id"]}"' in found
    assert "门诊费用报销" in found and "3609**********" in found and ID_NUMBER not in found
    assert "办理中" in found  # status
    assert "乡镇初审" in found and "（曲江镇，待认领）" in found  # current stage and who holds it
    assert "/tasks/" not in found  # cases, not tasks
    assert listed_case_numbers(page(client, "/inbox?q=王五")) == [other]
    assert listed_case_numbers(page(client, "/inbox?q=360981-")) == [other, case["case_no"]]


def test_the_inbox_search_keeps_to_the_clerks_cases(fresh, as_user):
    case = start_at_village(as_user)
    client, _ = page_login(fresh, "xiaogang.township_clerk")
    for q in ("张三", ID_NUMBER, case["case_no"]):
        found = page(client, f"/inbox?q={q}")
        assert listed_case_numbers(found) == [] and "没有找到您可查看的办件" in found


def test_an_empty_search_is_the_inbox_and_a_too_long_one_is_named(fresh, as_user):
    client, _ = page_login(fresh, "qujiang.township_clerk")
    assert "待认领" in page(client, "/inbox?q=+")
    found = page(client, "/inbox?q=" + "张" * 61, status=400)
    assert "查找内容不能超过60个字" in found and 'aria-invalid=true' in found


def test_the_monitoring_search_box_filters_the_listing(fresh, as_user):
    clock.freeze(at("2026-10-08T10:00:00"))
    case = start_at_village(as_user)
    accept_wangwu(as_user, "xiaogangcun", "360981106201")
    client, _ = page_login(fresh, "fengcheng.admin")
    listing = page(client, "/admin/instances")
    assert 'type="search" name="q"' in listing
    assert listing.count('<td class="mono">') == 2
    found = page(client, f"/admin/instances?q={ID_NUMBER}")
    assert found.count('<td class="mono">') == 1 and case["case_no"] in found
    # the search combines with the other filters and an empty box searches nothing
    assert page(client, "/admin/instances?q=张三&org=360981106").count('<td class="mono">') == 0
    assert page(client, "/admin/instances?q=&status=running").count('<td class="mono">') == 2
    bad = page(client, "/admin/instances?q=" + "张" * 61, status=400)
    assert "查找内容不能超过60个字" in bad


def test_the_monitoring_search_of_a_supervisor_keeps_to_their_cases(fresh, as_user):
    start_at_village(as_user)
    client, _ = page_login(fresh, "xiaogang.supervisor")
    found = page(client, "/admin/instances?q=张三")
    assert found.count('<td class="mono">') == 0 and "没有符合条件的办件" in found
    assert "短信通知" not in found  # the outbox names applicants' mobiles: administrators only


def test_the_village_agent_finds_the_case_just_accepted_under_my_accepted_cases(fresh, as_user):
    case = start_at_village(as_user)
    client, _ = page_login(fresh, "qujiangcun.village_agent")
    assert '<a href="/cases/accepted"' in page(client, "/inbox")  # in the navigation
    accepted = page(client, "/cases/accepted")
    assert "<h1>我受理的办件" in accepted and "曲江村受理的办件" in accepted
    assert listed_case_numbers(accepted) == [case["case_no"]]
    assert "共 1 件" in accepted
    assert "乡镇初审" in accepted and "（曲江镇，待认领）" in accepted
    # once the township claims it, the page names who holds it; after 初审 it moves on
    township = as_user("qujiang.township_clerk")
    task = township.get("/api/tasks?view=candidate").get_json()["items"][0]
    assert township.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    holder = task_holder_name(fresh, "qujiang.township_clerk")
    assert f"（曲江镇，{holder}）" in page(client, "/cases/accepted")
    assert township.post(f"/api/tasks/{task['id']}/complete", json={"data": APPROVE}).status_code == 200
    assert "移交医保中心" in page(client, "/cases/accepted")


def task_holder_name(app, username):
    with app.app_context():
        return db.session.scalars(select(User.display_name).where(User.username == username)).one()


def test_every_window_has_my_accepted_cases_and_other_staff_do_not(fresh):
    for username in ("qujiangcun.village_agent", "qujiang.township_clerk", "fc-centre.centre_clerk"):
        client, _ = page_login(fresh, username)
        assert "我受理的办件" in page(client, "/inbox"), username
        assert "本单位尚未受理办件" in page(client, "/cases/accepted")
    client, _ = page_login(fresh, "fengcheng.admin")
    assert "我受理的办件" not in page(client, "/admin/instances")


def test_the_accepted_list_pages(fresh, as_user):
    clock.freeze(at("2026-10-08T10:00:00"))
    numbers = [start_reimbursement_at(as_user, "qujiangcun", "360981104201", f"申请人{n}") for n in range(21)]
    client, _ = page_login(fresh, "qujiangcun.village_agent")
    first = page(client, "/cases/accepted")
    assert listed_case_numbers(first) == numbers[::-1][:20] and "第 1 / 2 页" in first
    assert listed_case_numbers(page(client, "/cases/accepted?page=2")) == [numbers[0]]


def test_the_applicant_cases_macro_lists_the_other_cases_the_caller_may_see(fresh, as_user):
    clock.freeze(at("2026-10-08T10:00:00"))
    first = start_at_village(as_user)
    clock.freeze(at("2026-10-09T10:00:00"))
    second = start_at_village(as_user)
    template = '{% from "_applicant_cases.html" import applicant_cases %}{{ applicant_cases(found, labels) }}'
    with fresh.test_request_context():
        user = db.session.scalars(select(User).where(User.username == "qujiangcun.village_agent")).one()
        found = queries.cases_of_applicant(db.session, user, ID_NUMBER, first["id"])
        html = render_template_string(template, found=found, labels=lifecycle.STATUS_LABELS)
        assert "该申请人的其他办件" in html and "共 1 件" in html
        assert listed_case_numbers(html) == [second["case_no"]]
        assert "（曲江镇，待认领）" in html
        stranger = db.session.scalars(select(User).where(User.username == "xiaogangcun.village_agent")).one()
        found = queries.cases_of_applicant(db.session, stranger, ID_NUMBER, None)
        html = render_template_string(template, found=found, labels=lifecycle.STATUS_LABELS)
        assert "共 0 件" in html and "没有您可查看的该申请人的其他办件" in html
