"""Diagrams from Camunda, Flowable and Activiti: mapped to lanes, forms and timers, the rest reported precisely."""

from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree

from engine.bpmn.vendor import SPIFF_NS, convert

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"
MIWG = Path("/work/shared/bpmn-conformance/miwg-reference")
CAMUNDA = (FIXTURES / "camunda_review.bpmn").read_bytes()
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"

pytestmark = pytest.mark.usefixtures("fresh")


def upload(caller, data: bytes, name: str, convert_option: str | None = "vendor"):
    query = f"?convert={convert_option}" if convert_option else ""
    return caller.post(
        f"/api/definitions{query}", data={"file": (BytesIO(data), name)}, content_type="multipart/form-data"
    )


def notes_for(notes, element_id):
    return [n.message for n in notes if n.element_id == element_id]


def test_camunda_people_forms_timers_and_conditions_are_mapped():
    result = convert(CAMUNDA)
    assert result.vendors == ["camunda"]
    root = etree.fromstring(result.data)
    lanes = {lane.get("id"): lane.get("name") for lane in root.iter(f"{BPMN}lane")}
    assert lanes == {"Lane_township": "乡镇(街道)医保专窗经办员", "Lane_centre": "医保中心审核员"}
    forms = {
        p.getparent().getparent().getparent().get("id"): p.get("value")
        for p in root.iter(f"{{{SPIFF_NS}}}property")
        if p.get("name") == "formKey"
    }
    assert forms == {"first_review": "review", "second_review": "review"}
    assert root.find(f".//{BPMN}timeDuration").text == '"PT48H"'
    assert root.find(f".//{BPMN}conditionExpression").text == "decision == 'approve' and not withdrawn"
    task = root.find(f".//{BPMN}userTask[@id='first_review']")
    assert not [name for name in task.attrib if "candidateGroups" in name or "formKey" in name]


def test_what_cannot_be_mapped_is_named_with_element_and_line():
    result = convert(CAMUNDA)
    lines = CAMUNDA.decode().splitlines()
    second = notes_for(result.unmapped, "second_review")
    assert any("assignee“${initiator}”（流程发起人）未采用：任务已按候选组分派" in m for m in second)
    assert any("taskListener" in m for m in second)
    assert any("asyncBefore" in m for m in notes_for(result.unmapped, "first_review"))
    assert any("initiator“initiator”→ 受理办件的窗口" in m for m in notes_for(result.mapped, "start"))
    for note in result.unmapped:
        assert note.line and note.element_id, note
        assert f'id="{note.element_id}"' in lines[note.line - 1] or note.element_id in "\n".join(
            lines[note.line - 3 : note.line]
        )


def test_a_converted_camunda_diagram_deploys_with_its_report(as_user):
    response = upload(as_user("fengcheng.designer"), CAMUNDA, "camunda_review.bpmn")
    body = response.get_json()
    assert response.status_code == 201, body
    assert body["process_key"] == "camunda_review" and body["conversion"]["vendors"] == ["camunda"]
    assert any("PT48H" in n["message"] for n in body["conversion"]["mapped"])
    assert any(n["element_id"] == "second_review" for n in body["conversion"]["unmapped"])


def test_without_the_option_the_vendor_attributes_are_refused_as_before(as_user):
    response = upload(as_user("fengcheng.designer"), CAMUNDA, "camunda_review.bpmn", None)
    assert response.status_code == 422
    assert "conversion" not in response.get_json()
    assert any("formKey" in p["message"] for p in response.get_json()["problems"])
    bad = upload(as_user("fengcheng.designer"), CAMUNDA, "camunda_review.bpmn", "zeebe")
    assert bad.status_code == 422 and "convert" in bad.get_json()["errors"]


def test_an_unknown_group_leaves_the_lane_to_the_validation_list(as_user):
    data = CAMUNDA.replace(b'camunda:candidateGroups="township_clerk"', b'camunda:candidateGroups="legal"')
    response = upload(as_user("fengcheng.designer"), data, "camunda_review.bpmn")
    body = response.get_json()
    assert response.status_code == 422
    assert any(p["element_id"] == "Lane_township" for p in body["problems"])
    assert any(
        "候选组“legal”在丰城市的候选组对照中没有对应角色" in n["message"] for n in body["conversion"]["unmapped"]
    )
    assert body["conversion"]["unmapped_groups"] == ["legal"]


@pytest.mark.parametrize("path", sorted(MIWG.glob("C.*.bpmn")), ids=lambda p: p.name)
def test_miwg_diagrams_deploy_or_get_a_clear_list(as_user, path):
    response = upload(as_user("fengcheng.designer"), path.read_bytes(), path.name)
    body = response.get_json()
    assert response.status_code in (200, 201, 422), body
    if response.status_code == 422:
        assert body["problems"] and all(p["message"] for p in body["problems"])
        assert set(body["conversion"]) == {"vendors", "mapped", "unmapped", "unmapped_groups", "region", "timers"}
