"""Scans on a phone (390 px): the 受理 page with a scan input per material, and the upload form taking a dropped
file; nothing wider than the phone."""

import io

import pytest
from flask import render_template_string
from PIL import Image

from engine.attachments import service, store
from engine.core.models import CaseInstance, User
from server.extensions import db
from tests.browser.signin import sign_in
from tests.scenarios import ALL_MATERIALS, start_at_village

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
AGENT = "qujiangcun.village_agent"
PAGE = """{% extends "base.html" %}{% from "_attachments.html" import attachment_list, upload_form %}
{% block content %}<section class="card">{{ attachment_list(attachments) }}{{ upload_form(case, materials) }}</section>
{% endblock %}"""


@pytest.fixture
def scans_dir(tmp_path):
    previous = store.use(store.LocalStore(tmp_path / "attachments"))
    yield tmp_path / "attachments"
    store.use(previous)


@pytest.fixture
def phone(chromium, live_server, fresh):
    context = chromium.new_context(
        base_url=live_server, locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    yield sign_in(context.new_page(), AGENT)
    context.close()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 40, 40)).save(out, "PNG")
    return out.getvalue()


def test_the_acceptance_page_fits_a_phone_and_a_chosen_scan_ticks_its_material(phone, scans_dir, screenshot):
    phone.goto("/cases/new/fc-v-08")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    scan = phone.locator('input[name="scan:1"]')
    assert scan.get_attribute("capture") == "environment"
    assert not phone.is_checked("#material-1")
    scan.set_input_files({"name": "发票.png", "mimeType": "image/png", "buffer": png()})
    assert phone.is_checked("#material-1")
    screenshot(phone, "accept_scans_phone")


def test_the_upload_form_takes_a_dropped_file_on_a_phone(app, phone, as_user, scans_dir, screenshot):
    case = start_at_village(as_user)
    with app.test_request_context(f"/cases/{case['id']}"):
        user = db.session.query(User).filter_by(username=AGENT).one()
        service.attach(db.session, user, case["id"], ALL_MATERIALS[0], "身份证.png", png())
        html = render_template_string(
            PAGE,
            case=db.session.get(CaseInstance, case["id"]),
            materials=service.attachable_materials(db.session, user, case["id"]),
            attachments=service.attachments_of(db.session, user, case["id"]),
        )
    phone.goto("/inbox")  # the site's origin: the form's relative URLs and the session cookie apply
    token = phone.input_value("input[name=csrf_token]")
    phone.set_content(html)
    phone.evaluate("t => document.querySelectorAll('input[name=csrf_token]').forEach(i => { i.value = t; })", token)
    phone.wait_for_selector(".attachment img")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 10)).save(small, "PNG")
    phone.evaluate(
        """bytes => {
            const form = document.querySelector("form[data-drop-zone]");
            const dropped = new DataTransfer();
            dropped.items.add(new File([new Uint8Array(bytes)], "清单.png", {type: "image/png"}));
            form.dispatchEvent(new DragEvent("drop", {dataTransfer: dropped, bubbles: true, cancelable: true}));
        }""",
        list(small.getvalue()),
    )
    assert "清单.png" in phone.locator(".upload-chosen").inner_text()
    screenshot(phone, "attachments_phone")
    phone.select_option("select[name=material]", ALL_MATERIALS[2])
    phone.click(".upload-form button[type=submit]")
    phone.wait_for_load_state()
    assert f"已上传 1 个附件（{ALL_MATERIALS[2]}）" in phone.locator(".flash-success").inner_text()
    assert phone.url.endswith(f"/cases/{case['id']}")
    with app.app_context():
        user = db.session.query(User).filter_by(username=AGENT).one()
        names = [scan.file_name for scan in service.attachments_of(db.session, user, case["id"])]
    assert names == ["身份证.png", "清单.png"]
