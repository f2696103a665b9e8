"""The 21 OMG MIWG reference models (credit: OMG BPMN Model Interchange Working Group, CC BY 3.0) through
POST /api/definitions, plainly and with ?convert=vendor: none answers 5xx; each refusal is in Chinese and names an
element and a line; what deploys starts and reaches a person, or the reason it cannot was caught at deploy."""

import io
import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.bpmn import trial
from engine.core.models import ProcessDefinition
from server.extensions import db

pytestmark = pytest.mark.usefixtures("fresh")
MIWG = Path("/work/shared/bpmn-conformance/miwg-reference")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"
MODELS = sorted(MIWG.glob("*.bpmn"))
CJK = re.compile(r"[\u4e00-\u9fff]")
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def upload(caller, data: bytes, name: str, convert: bool):
    query = "?convert=vendor" if convert else ""
    return caller.post(
        f"/api/definitions{query}", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def ids_in(data: bytes) -> set[str]:
    return {e.get("id") for e in etree.fromstring(data).iter() if isinstance(e.tag, str) and e.get("id")}


def starts_on(app, definition_id: int) -> trial.Trial:
    with app.app_context():
        definition = db.session.get(ProcessDefinition, definition_id)
        return trial.first_person(db.session, definition, trial.accepting_unit(db.session, definition.region))


def test_all_21_reference_models_are_here():
    assert len(MODELS) == 21


@pytest.mark.parametrize("convert", [False, True], ids=["plain", "vendor"])
@pytest.mark.parametrize("path", MODELS, ids=lambda path: path.name)
def test_a_reference_model_deploys_and_starts_or_is_refused_naming_element_and_line(app, as_user, path, convert):
    data = path.read_bytes()
    response = upload(as_user("fengcheng.designer"), data, path.name, convert)
    body = response.get_json()
    assert response.status_code in (200, 201, 422), body
    if response.status_code == 422:
        problems = body["problems"]
        assert problems and body["errors"]["bpmn"] == [p["message"] for p in problems]
        known = ids_in(data)
        for problem in problems:
            assert CJK.search(problem["message"]) and not ADDRESS.search(problem["message"]), problem
            assert isinstance(problem["line"], int) and problem["line"] >= 1, problem
            assert problem["element_id"] in known, problem
        return
    started = starts_on(app, body["id"])
    assert started.outcome != trial.FAILED, started.message


@pytest.mark.parametrize("convert", [False, True], ids=["plain", "vendor"])
def test_a_diagram_left_non_executable_deploys_with_a_note_and_reaches_its_first_person(app, as_user, convert):
    data = (FIXTURES / "valid_review.bpmn").read_bytes().replace(b'isExecutable="true"', b'isExecutable="false"')
    response = upload(as_user("fengcheng.designer"), data, "modeler-default.bpmn", convert)
    body = response.get_json()
    assert response.status_code == 201, body
    [note] = body["notes"]
    assert note["element_id"] == "reimbursement_review" and note["line"] == 5
    assert 'isExecutable="false"' in note["message"]
    started = starts_on(app, body["id"])
    assert started.outcome == trial.PERSON and "初审材料" in started.message


def test_an_executable_diagram_deploys_without_notes(as_user):
    response = upload(as_user("fengcheng.designer"), (FIXTURES / "valid_review.bpmn").read_bytes(), "x.bpmn", False)
    assert response.status_code == 201 and response.get_json()["notes"] == []


def test_what_would_fail_at_case_start_is_refused_at_upload_instead(app, as_user):
    """A plain task outside any lane used to deploy and then stop every case (泳道“None”不是已知角色)."""
    text = (FIXTURES / "valid_review.bpmn").read_text("utf-8")
    text = text.replace(
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="Script_total" />',
        '<bpmn:task id="Task_plain" name="电话回访" />'
        '<bpmn:sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="Task_plain" />'
        '<bpmn:sequenceFlow id="Flow_2b" sourceRef="Task_plain" targetRef="Script_total" />',
    )
    before = _versions(app)
    response = upload(as_user("fengcheng.designer"), text.encode("utf-8"), "plain-task.bpmn", False)
    assert response.status_code == 422
    refused = [p for p in response.get_json()["problems"] if p["element_id"] == "Task_plain"]
    assert refused and all(p["line"] == text[: text.index('id="Task_plain"')].count("\n") + 1 for p in refused)
    assert any("不在任何泳道中" in p["message"] for p in refused)
    assert _versions(app) == before


def _versions(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(ProcessDefinition.id)).all())
