"""The 属地管理部 picks the responsible 管理部 of a 福州 手工报销 from a select of its region's 管理部 by name; the page
posts the unit's code, and an approval without one is refused beside the field in Chinese."""

import re

import pytest

from tests.api.test_manual_reimbursement import CITY_CENTRE, CLERK, LOCAL_CENTRE, POINT_REVIEW, accepted_claim
from tests.scenarios import only_task, work
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")

REVIEWER = "gl-centre.centre_reviewer"
SELECT = re.compile(r'<select name="responsible_centre"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')


def routing_task_page(app, as_user):
    case = accepted_claim(as_user)
    work(as_user(CLERK), "服务点审核上传", POINT_REVIEW)
    task = only_task(as_user(REVIEWER), "属地管理部审核")
    client, _ = page_login(app, REVIEWER)
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert client.post(f"/tasks/{task['id']}/claim", data={"csrf_token": csrf_token(page)}).status_code == 302
    return client, task, case


def test_the_responsible_centre_is_chosen_by_name_among_the_regions_centres(app, as_user):
    client, task, _ = routing_task_page(app, as_user)
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    (select,) = SELECT.findall(page)
    options = dict(OPTION.findall(select))
    assert options.pop("") == "请选择"
    assert options == {CITY_CENTRE: "福州市医疗保障基金中心", LOCAL_CENTRE: "鼓楼区医保管理部"}, "福州市's 管理部 only"
    assert "单位代码" not in page

    approve = {"decision": "approve", "approved_amount": "200.50", "csrf_token": csrf_token(page)}
    refused = client.post(f"/tasks/{task['id']}", data=approve)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert '<span class="field-error" data-field="responsible_centre">审核通过时须指定流转的管理部</span>' in html
    assert SELECT.search(html), "the select is offered again"

    done = client.post(f"/tasks/{task['id']}", data={**approve, "responsible_centre": CITY_CENTRE})
    assert done.status_code == 302
    assert only_task(as_user("fz-centre.centre_reviewer"), "相应管理部审核")["org"]["code"] == CITY_CENTRE


def test_a_forged_unit_is_refused_by_the_field(app, as_user):
    client, task, case = routing_task_page(app, as_user)
    token = csrf_token(client.get(f"/tasks/{task['id']}").get_data(as_text=True))
    data = {"decision": "approve", "approved_amount": "200.50", "responsible_centre": "431100-YB", "csrf_token": token}
    refused = client.post(f"/tasks/{task['id']}", data=data)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert '<span class="field-error" data-field="responsible_centre">请选择福州市的医保中心/管理部</span>' in html
    (still,) = as_user("fuzhou.admin").get(f"/api/instances/{case['id']}").get_json()["tasks"]
    assert still["title"] == "属地管理部审核", "the case stays where it was"
