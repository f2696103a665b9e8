"""The designers' pages: the base beside the region's versions, the diff, renaming a clashing process id on the
upload page, and diagram sources served so that nothing in them runs."""

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.bpmn import deployment
from engine.bpmn.process_ids import renamed
from engine.core.clock import clock
from engine.core.models import ProcessDefinition
from server.extensions import db
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")
BPMN = Path(__file__).resolve().parents[2] / "processes" / "bpmn"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"
FLOW = BPMN / "township_review_pay.bpmn"
EDITED = FLOW.read_bytes().replace('name="乡镇初审"'.encode(), 'name="乡镇初审（丰城）"'.encode())


def designer(app, username="fengcheng.designer"):
    client, _ = page_login(app, username)
    return client


def upload(client, data: bytes, name="flow.bpmn"):
    token = csrf_token(client.get("/design/processes").get_data(as_text=True))
    return client.post(
        "/design/upload",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def own_version(app, key="township_review_pay", region="丰城市") -> ProcessDefinition:
    with app.app_context():
        return db.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.process_key == key, ProcessDefinition.region == region)
        ).one()


def test_the_list_shows_the_base_beside_the_regions_own_and_never_another_regions(app):
    fengcheng = designer(app)
    assert upload(fengcheng, EDITED, "township_review_pay.bpmn").status_code == 200
    own = own_version(app)
    page = fengcheng.get("/design/processes").get_data(as_text=True)
    assert "您为<b>丰城市</b>设计流程" in page
    section = page[page.index('id="process-township_review_pay"') :]
    section = section[: section.index("</section>")]
    assert "国家基础版本" in section and "丰城市版本" in section
    assert f'data-definition-id="{own.id}"' in section
    assert "尚无丰城市版本" in page  # the processes 丰城 has not changed: its items run the base

    yongzhou = designer(app, "yongzhou.designer")
    page = yongzhou.get("/design/processes").get_data(as_text=True)
    assert "丰城市" not in page and f'data-definition-id="{own.id}"' not in page
    for url in (
        f"/design/versions/{own.id}/diff",
        f"/design/versions/{own.id}/edit",
        f"/design/versions/{own.id}/source",
        f"/design/versions/{own.id}.bpmn",
    ):
        assert yongzhou.get(url).status_code == 404, url
        assert fengcheng.get(url).status_code == 200, url

    platform = designer(app, "platform.designer").get("/design/processes").get_data(as_text=True)
    assert "国家基础版本" in platform and "丰城市版本" in platform and f'data-definition-id="{own.id}"' in platform


def test_the_diff_page_and_the_modeler_show_what_the_region_changed(app):
    fengcheng = designer(app)
    upload(fengcheng, EDITED, "township_review_pay.bpmn")
    own = own_version(app)
    page = fengcheng.get(f"/design/versions/{own.id}/diff").get_data(as_text=True)
    assert "对比 国家基础版本 v1" in page
    row = re.search(r'<tr class="diff-changed" data-element-id="township_review">(.*?)</tr>', page, re.S).group(1)
    assert "修改" in row and "名称" in row and "<del>乡镇初审</del>" in row and "<ins>乡镇初审（丰城）</ins>" in row

    modeler = fengcheng.get(f"/design/versions/{own.id}/edit").get_data(as_text=True)
    marks = re.search(r'<script type="application/json" id="diff-marks">(.*?)</script>', modeler, re.S).group(1)
    assert '"changed": ["township_review"]' in marks and '"added": []' in marks
    assert "部署后成为丰城市版本的新版本" in modeler


def test_an_unrelated_diagram_under_a_base_id_is_offered_a_new_id_on_the_page(app):
    fengcheng = designer(app)
    unrelated = renamed((FIXTURES / "valid_review.bpmn").read_bytes(), "reimbursement_review", "township_review_pay")
    response = upload(fengcheng, unrelated, "vendor.bpmn")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "“township_review_pay”是国家基础版本的流程" in page
    assert 'name="rename_to"' in page and 'value="township_review_pay_2"' in page
    carried = re.search(r'name="carried" value="([^"]+)"', page).group(1)

    taken = fengcheng.post(
        "/design/upload",
        data={"csrf_token": csrf_token(page), "carried": carried, "name": "vendor.bpmn", "rename_to": "instant"},
    )
    assert taken.status_code == 422 and "已被使用" in taken.get_data(as_text=True)
    done = fengcheng.post(
        "/design/upload",
        data={"csrf_token": csrf_token(page), "carried": carried, "name": "vendor.bpmn", "rename_to": "fc_review"},
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "已部署为新版本" in done.get_data(as_text=True) and "fc_review" in done.get_data(as_text=True)
    assert own_version(app, "fc_review").source_name == "vendor.bpmn"
    with app.app_context():
        assert deployment.latest_definition(db.session, "township_review_pay", "丰城市").region is None


# A diagram kept from before uploads were screened for markup: an XHTML script among its extension elements.
STORED_XSS = FLOW.read_text("utf-8").replace(
    "<bpmn:extensionElements>",
    '<bpmn:extensionElements><h:script xmlns:h="http://www.w3.org/1999/xhtml">window.pwned = 1</h:script>',
    1,
)


def stored_with_script(app) -> int:
    with app.app_context():
        definition = ProcessDefinition(
            process_key="xss_probe",
            name="xss",
            version=1,
            content_hash="x" * 64,
            region=None,
            calls={},
            bpmn_xml=STORED_XSS,
            source_name="xss.bpmn",
            deployed_by="system",
            deployed_at=clock.now(),
        )
        db.session.add(definition)
        db.session.commit()
        return definition.id


def test_a_diagram_source_is_plain_text_that_the_browser_may_not_sniff_or_run(app):
    definition_id = stored_with_script(app)
    fengcheng = designer(app)
    source = fengcheng.get(f"/design/versions/{definition_id}/source")
    assert source.status_code == 200
    assert source.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert source.headers["X-Content-Type-Options"] == "nosniff"
    assert "<h:script" in source.get_data(as_text=True)  # the text as stored, for the modeler to import
    download = fengcheng.get(f"/design/versions/{definition_id}.bpmn")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "xml" not in download.headers["Content-Type"] and download.headers["X-Content-Type-Options"] == "nosniff"


def modeler_post(client, url: str, data: bytes, definition_id: int):
    """A POST as the modeler's script sends it: the diagram as the body, the page's CSRF token in a header."""
    token = re.search(
        r'data-csrf="([^"]+)"', client.get(f"/design/versions/{definition_id}/edit").get_data(as_text=True)
    )
    return client.post(url, data=data, content_type="application/xml", headers={"X-CSRFToken": token.group(1)})


def test_the_modeler_shows_what_a_deploy_changes_before_deploying_and_then_opens_the_version_deployed(app):
    fengcheng = designer(app)
    with app.app_context():
        base = deployment.latest_definition(db.session, "township_review_pay")
        base_id = base.id
    review = modeler_post(fengcheng, f"/design/versions/{base_id}/review", EDITED, base_id)
    assert review.status_code == 200, review.get_data(as_text=True)
    confirm = review.get_json()["html"]
    assert "部署后成为<b>丰城市版本 v2</b>" in confirm and "（现在使用国家基础版本 v1）" in confirm
    assert 'data-element-id="township_review"' in confirm and "<ins>乡镇初审（丰城）</ins>" in confirm
    with app.app_context():  # nothing is stored by the review
        assert (
            db.session.scalar(
                select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.region.is_not(None))
            )
            == 0
        )

    unchanged = modeler_post(fengcheng, f"/design/versions/{base_id}/review", FLOW.read_bytes(), base_id)
    assert unchanged.get_json()["same_text"] is True and "部署不会新建版本" in unchanged.get_json()["html"]

    deployed = modeler_post(fengcheng, "/design/deploy?name=township_review_pay.bpmn", EDITED, base_id)
    assert deployed.status_code == 200 and deployed.get_json()["created"] is True
    own = own_version(app)
    assert deployed.get_json()["edit_url"] == f"/design/versions/{own.id}/edit"
    page = fengcheng.get(deployed.get_json()["edit_url"]).get_data(as_text=True)
    assert "已部署为新版本 v2（丰城市版本）" in page and "基于<b>丰城市版本 v2</b>编辑" in page


def test_a_refused_edit_names_the_element_and_the_field_in_chinese(app):
    fengcheng = designer(app)
    with app.app_context():
        base_id = deployment.latest_definition(db.session, "township_review_pay").id
    formless = FLOW.read_bytes().replace(
        '<bpmn:userTask id="township_review" name="乡镇初审"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formKey" value="review" />'.encode(),
        '<bpmn:userTask id="township_review" name="乡镇初审"><bpmn:extensionElements><spiffworkflow:properties>'.encode(),
    )
    for url in (f"/design/versions/{base_id}/review", "/design/deploy"):
        refused = modeler_post(fengcheng, url, formless, base_id)
        assert refused.status_code == 422, url
        messages = [p["message"] for p in refused.get_json()["problems"] if p["element_id"] == "township_review"]
        assert messages == ["用户任务“乡镇初审”没有表单：请在“办理表单”中选择经办人办理时填写的表单"], url


def test_another_regions_version_cannot_be_reviewed(app):
    upload(designer(app), EDITED, "township_review_pay.bpmn")
    own = own_version(app)
    yongzhou = designer(app, "yongzhou.designer")
    with app.app_context():
        base_id = deployment.latest_definition(db.session, "township_review_pay").id
    assert modeler_post(yongzhou, f"/design/versions/{own.id}/review", EDITED, base_id).status_code == 404


def test_the_version_list_names_who_deployed_each_version(app):
    fengcheng = designer(app)
    upload(fengcheng, EDITED, "township_review_pay.bpmn")
    own = own_version(app)
    page = fengcheng.get("/design/processes").get_data(as_text=True)
    item = re.search(rf'<li class="[^"]*" data-definition-id="{own.id}">(.*?)</li>', page, re.S).group(1)
    assert '部署人 <span class="deployer">流程设计员（丰城市）</span>' in item
    with app.app_context():
        base_id = deployment.latest_definition(db.session, "township_review_pay").id
    shipped = re.search(rf'<li class="[^"]*" data-definition-id="{base_id}">(.*?)</li>', page, re.S).group(1)
    assert '部署人 <span class="deployer">系统（随程序发布）</span>' in shipped
    assert "system" not in shipped
