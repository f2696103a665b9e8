"""The designers' upload page offers a vendor diagram's unmapped groups, says who keeps the region's table, and
re-runs the upload with the roles chosen; a task of a converted diagram shows its vendor form."""

import html
import io
import re
from pathlib import Path

import pytest

from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")
VENDOR = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "vendor"
CAMUNDA = (VENDOR / "leave_camunda.bpmn").read_bytes().replace(b'"management"', b'"legal"')


def test_unmapped_groups_are_mapped_on_the_page_and_the_upload_runs_again(app):
    client, _ = page_login(app, "fengcheng.designer")
    token = csrf_token(client.get("/design/processes").get_data(as_text=True))
    first = client.post(
        "/design/upload",
        data={"csrf_token": token, "file": (io.BytesIO(CAMUNDA), "leave.bpmn")},
        content_type="multipart/form-data",
    )
    page = first.get_data(as_text=True)
    assert first.status_code == 422
    assert 'name="group:legal"' in page and "丰城市的候选组对照由丰城市（或全系统）的系统管理员" in page
    assert 'href="/admin/group-roles?region=%E4%B8%B0%E5%9F%8E%E5%B8%82" class="group-table-link">' in page
    carried = re.search(r'name="carried" value="([^"]+)"', page).group(1)
    forms = html.unescape(re.search(r'name="carried_forms" value="([^"]*)"', page).group(1))
    done = client.post(
        "/design/upload",
        data={
            "csrf_token": csrf_token(page),
            "carried": carried,
            "carried_forms": forms,
            "name": "leave.bpmn",
            "group:legal": "centre_reviewer",
        },
    )
    text = done.get_data(as_text=True)
    assert done.status_code == 200, text
    assert "已部署为新版本" in text and "leave_camunda" in text
