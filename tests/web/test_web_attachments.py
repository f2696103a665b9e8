"""Scans on the pages: the upload form and scan list macros, uploading from a page (one refusal flashed, the
others kept), opening and withdrawing a scan, and taking scans on the 受理 page — where a list that
requires scans counts a mandatory material only with its scan."""

import dataclasses
import io
import re

import pytest
from flask import render_template_string
from PIL import Image
from pypdf import PdfWriter

from engine.attachments import service, store
from engine.attachments.checks import UPLOAD_TOO_LARGE
from engine.cases.mandates import authorisation_material
from engine.catalogue.flows import catalog
from engine.core.models import CaseInstance, User
from server.extensions import db
from tests.factories import applicant, mandate, reimbursement_details
from tests.scenarios import ALL_MATERIALS, start_at_village
from tests.web_login import csrf_token, page_login
from web.formdata import flat_values

ID_CARD, INVOICE = ALL_MATERIALS[0], ALL_MATERIALS[1]
AGENT = "qujiangcun.village_agent"
MACROS = """{% from "_attachments.html" import attachment_list, upload_form %}
{{ upload_form(case, materials) }}{{ attachment_list(attachments) }}"""


def png(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(out, "PNG")
    return out.getvalue()


def pdf(pages=2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def scans_dir(tmp_path):
    folder = tmp_path / "attachments"
    previous = store.use(store.LocalStore(folder))
    yield folder
    store.use(previous)


def logged_in(app, username=AGENT):
    client, response = page_login(app, username)
    assert response.status_code == 302
    return client, csrf_token(client.get("/inbox").get_data(as_text=True))


def user_named(username) -> User:
    return db.session.query(User).filter_by(username=username).one()


def rendered(app, username, case_id) -> str:
    """The two macros as a page of that user would lay them out, fed by the engine functions."""
    with app.test_request_context(f"/cases/{case_id}"):
        user = user_named(username)
        return render_template_string(
            MACROS,
            case=db.session.get(CaseInstance, case_id),
            materials=service.attachable_materials(db.session, user, case_id),
            attachments=service.attachments_of(db.session, user, case_id),
        )


def scans_of(app, username, case_id):
    with app.app_context():
        return service.attachments_of(db.session, user_named(username), case_id)


def materials_for(app, username, case_id):
    with app.app_context():
        return service.attachable_materials(db.session, user_named(username), case_id)


def page_upload(client, token, case_id, material, files, next_page=None):
    return client.post(
        f"/cases/{case_id}/attachments",
        data={
            "csrf_token": token,
            "material": material,
            "next": next_page or f"/cases/{case_id}",
            "file": [(io.BytesIO(data), name) for name, data in files],
        },
        content_type="multipart/form-data",
    )


def flashes(client) -> str:
    with client.session_transaction() as session:
        return " ".join(message for _, message in session.get("_flashes", []))


def test_the_upload_form_lets_a_phone_use_its_camera_and_lists_the_item_s_materials(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    html = rendered(fresh, AGENT, case["id"])
    form = re.search(r'<form method="post" enctype="multipart/form-data"[^>]*>', html).group(0)
    assert f'action="/cases/{case["id"]}/attachments"' in form and "data-drop-zone" in form
    camera = re.search(r'<input type="file"[^>]*capture="environment"[^>]*>', html).group(0)
    assert 'accept="application/pdf,image/jpeg,image/png"' in camera and "multiple" in camera
    assert re.findall(r'<option value="([^"]+)">', html) == [*ALL_MATERIALS, authorisation_material()], "a proxy case"
    assert "attachments.js" in html and "<script>" not in html  # no inline script
    assert "尚无附件" in html
    # someone who may see the case but may not attach gets no form
    assert "<form" not in rendered(fresh, "qujiang.supervisor", case["id"]).split("attachments")[0]
    assert materials_for(fresh, "qujiang.supervisor", case["id"]) == []


def test_a_page_upload_keeps_the_good_files_flashes_the_refused_one_and_lists_them(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    client, token = logged_in(fresh)
    response = page_upload(
        client,
        token,
        case["id"],
        INVOICE,
        [("发票.png", png()), ("病毒.pdf", b"MZ\x90\x00" + b"\0" * 64), ("发票.pdf", pdf(pages=2))],
        next_page="/tasks/some-task",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks/some-task")
    said = flashes(client)
    assert "病毒.pdf：只能上传 JPG、PNG 或 PDF 文件（按文件内容判断）" in said
    assert f"已上传 2 个附件（{INVOICE}）" in said

    html = rendered(fresh, AGENT, case["id"])
    assert html.count('class="attachment"') == 2
    assert "PDF · 2 页" in html
    assert re.search(r'<img src="/attachments/\d+/thumbnail"', html)
    assert html.count(">删除</button>") == 2
    assert "受理 · " in html and "KB" in html
    # the township reads the list but withdraws nothing of the village's
    assert ">删除</button>" not in rendered(fresh, "qujiang.township_clerk", case["id"])


def test_a_page_opens_a_scan_records_who_looked_and_withdraws_it(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    client, token = logged_in(fresh)
    page_upload(client, token, case["id"], ID_CARD, [("身份证.png", png())])
    scan = scans_of(fresh, AGENT, case["id"])[0]

    clerk, _ = logged_in(fresh, "qujiang.township_clerk")
    opened = clerk.get(f"/attachments/{scan.id}")
    assert opened.status_code == 200 and opened.mimetype == "image/png"
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    assert opened.headers["Content-Disposition"].startswith("inline;")
    assert clerk.get(f"/attachments/{scan.id}/thumbnail").mimetype == "image/jpeg"
    history = as_user("fengcheng.admin").get(f"/api/instances/{case['id']}").get_json()["history"]
    assert [e["user"]["username"] for e in history if e["action"] == "attachment_viewed"] == ["qujiang.township_clerk"]
    stranger, _ = logged_in(fresh, "xiaogang.township_clerk")
    assert stranger.get(f"/attachments/{scan.id}").status_code == 404

    gone = client.post(f"/attachments/{scan.id}/delete", data={"csrf_token": token, "next": f"/cases/{case['id']}"})
    assert gone.status_code == 302 and "附件已删除" in flashes(client)
    assert scans_of(fresh, AGENT, case["id"]) == []


def test_a_page_upload_over_the_request_limit_is_told_not_a_server_error(fresh, as_user, scans_dir):
    case = start_at_village(as_user)
    client, token = logged_in(fresh)
    response = client.post(
        f"/cases/{case['id']}/attachments",
        data={"csrf_token": token, "material": INVOICE, "file": (io.BytesIO(b"\0" * (53 * 2**20)), "大.pdf")},
        content_type="multipart/form-data",
        headers={"Referer": f"http://localhost/cases/{case['id']}"},
    )
    assert response.status_code == 302
    assert UPLOAD_TOO_LARGE in flashes(client)


# --- 受理 with scans ----------------------------------------------------------------------------------


def accept_form(token, materials, scans):
    data = {"csrf_token": token, "materials": materials, "proxy": "on"}
    data |= flat_values({"applicant": applicant(), "mandate": mandate()})
    data |= flat_values({"details": reimbursement_details()})
    for index, name, content in scans:
        data[f"scan:{index}"] = (io.BytesIO(content), name)
    return data


def test_the_acceptance_page_takes_a_scan_per_material(fresh, as_user, scans_dir):
    client, token = logged_in(fresh)
    page = client.get("/cases/new/fc-v-08").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert len(re.findall(r'<input type="file" class="scan-input" name="scan:\d"[^>]*capture="environment"', page)) == 4

    response = client.post(
        "/cases/new/fc-v-08",
        data=accept_form(token, ALL_MATERIALS, [(1, "发票.pdf", pdf(pages=3)), (0, "身份证.png", png())]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    scans = scans_of(fresh, AGENT, case_id)
    assert sorted((s.material, s.stage, s.pages) for s in scans) == [(ID_CARD, "受理", None), (INVOICE, "受理", 3)]


def test_a_refused_scan_refuses_the_acceptance_and_says_which(fresh, as_user, scans_dir):
    client, token = logged_in(fresh)
    response = client.post(
        "/cases/new/fc-v-08",
        data=accept_form(token, ALL_MATERIALS, [(1, "发票.pdf", b"MZ" + b"\0" * 64)]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"{INVOICE}（发票.pdf）：只能上传 JPG、PNG 或 PDF 文件（按文件内容判断）" in page
    admin = as_user("fengcheng.admin").get("/api/instances").get_json()
    assert admin["total"] == 0
    assert list(scans_dir.rglob("*.*")) == [] and not any(p.is_file() for p in scans_dir.rglob("*"))


def test_where_the_list_requires_scans_a_ticked_material_without_one_is_missing(fresh, as_user, scans_dir, monkeypatch):
    item = catalog().get("fc-v-08")
    monkeypatch.setitem(catalog()._by_id, "fc-v-08", dataclasses.replace(item, scans_required=True))
    client, token = logged_in(fresh)
    response = client.post(
        "/cases/new/fc-v-08",
        data=accept_form(token, ALL_MATERIALS, [(0, "身份证.png", png()), (1, "发票.png", png((1, 2, 3)))]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert "/tasks/" in response.headers["Location"]  # to the 一次性告知
    case = as_user("fengcheng.admin").get("/api/instances").get_json()["items"][0]
    detail = as_user("fengcheng.admin").get(f"/api/instances/{case['id']}").get_json()
    accepted = next(e for e in detail["history"] if e["action"] == "accepted")
    required = [m.name for m in item.materials if m.required]
    assert accepted["detail"]["missing"] == [name for name in required if name not in (ID_CARD, INVOICE)]
    assert accepted["detail"]["missing"]  # the ticked but unscanned mandatory ones
