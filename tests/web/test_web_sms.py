"""SMS on the pages: the 受理 page asks whether the applicant takes messages (ticked by default, as reviewed),
an unticked box means declined, and 办件监控 counts the scope's messages."""

import re

from sqlalchemy import select

from engine.catalogue.flows import catalog
from engine.core.models import SmsMessage
from server.extensions import db
from tests.factories import applicant, reimbursement_details
from tests.web_login import csrf_token, page_login
from web.formdata import flat_values

CLERK = "qujiang.township_clerk"
ITEM = "fc-t-10"


def accept(client, sms: bool):
    page = client.get(f"/cases/new/{ITEM}").get_data(as_text=True)
    person = flat_values({"applicant": applicant()})
    if not sms:
        person.pop("applicant.sms", None)
    data = {
        "csrf_token": csrf_token(page),
        "materials": [m.name for m in catalog().get(ITEM).materials],
        **person,
        **flat_values({"details": reimbursement_details()}),
    }
    if sms:
        data["applicant.sms"] = "on"
    response = client.post(f"/cases/new/{ITEM}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def kinds_of(app, case_id):
    with app.app_context():
        return list(db.session.scalars(select(SmsMessage.kind).where(SmsMessage.instance_id == case_id)))


def test_the_acceptance_page_ticks_sms_and_an_unticked_box_declines(fresh):
    client, _ = page_login(fresh, CLERK)
    page = client.get(f"/cases/new/{ITEM}").get_data(as_text=True)
    assert re.search(r'<input type="checkbox" name="applicant.sms" checked>', page)
    assert "接收短信通知" in page
    texted, declined = accept(client, sms=True), accept(client, sms=False)
    assert kinds_of(fresh, texted) == ["accepted"]
    assert kinds_of(fresh, declined) == []
    assert "<dt>短信通知</dt><dd>接收</dd>" in client.get(f"/cases/{texted}").get_data(as_text=True)
    assert "不发送（未留手机号或申请人拒绝）" in client.get(f"/cases/{declined}").get_data(as_text=True)


def test_case_monitoring_counts_the_messages_of_the_scope(fresh):
    clerk, _ = page_login(fresh, CLERK)
    accept(clerk, sms=True)
    admin, _ = page_login(fresh, "fengcheng.admin")
    assert "短信通知：待发送 1 条 · 已发送 0 条" in admin.get("/admin/instances").get_data(as_text=True)
    other, _ = page_login(fresh, "fuzhou.admin")
    assert "短信通知：待发送 0 条" in other.get("/admin/instances").get_data(as_text=True)
