"""The converter's meaning-preserving rules, each once a bug measured on real diagrams."""

from datetime import datetime
from pathlib import Path

from lxml import etree

from engine.bpmn.vendor import SPIFF_NS, convert
from engine.core.clock import clock
from engine.sandbox.cron import cron_cycle

VENDOR = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "vendor"
ACTIVITI = (VENDOR / "leave_activiti.bpmn").read_bytes()
CAMUNDA = (VENDOR / "leave_camunda.bpmn").read_bytes()
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def condition(root, flow_id):
    return root.find(f".//{BPMN}sequenceFlow[@id='{flow_id}']/{BPMN}conditionExpression").text


def test_true_and_false_inside_strings_stay_strings_unless_the_field_is_boolean():
    root = etree.fromstring(convert(ACTIVITI).data)
    assert condition(root, "flow6") == "hrapprove=='true'"  # an enum whose values are the texts 'true'/'false'
    assert condition(root, "flow3") == "deptleaderapprove == True"  # a boolean form field, as JUEL coerces


def test_method_calls_and_properties_are_not_reported_as_mapped():
    data = ACTIVITI.replace(b"${hrapprove=='true'}", b'${customer.prop("age").numberValue() > 18}')
    result = convert(data)
    assert not [n for n in result.mapped if n.element_id == "flow6"]
    assert any("调用了其他引擎的方法" in n.message for n in result.unmapped if n.element_id == "flow6")


def test_namespaces_used_only_in_attribute_values_are_kept():
    root = etree.fromstring(convert(ACTIVITI).data)
    assert root.nsmap["xsd"] == "http://www.w3.org/2001/XMLSchema"


def test_a_new_lane_set_follows_the_documentation():
    process = etree.fromstring(convert(ACTIVITI).data).find(f"{BPMN}process")
    names = [etree.QName(child).localname for child in process][:2]
    assert names == ["documentation", "laneSet"]


def test_a_form_key_is_reported_once():
    data = CAMUNDA.replace(b'camunda:candidateGroups="management"', b'camunda:formKey="app:forms/unknown.html"')
    result = convert(data)
    notes = [n for n in [*result.mapped, *result.unmapped] if "formKey" in n.message or "unknown.html" in n.message]
    assert len(notes) == 1, notes


def test_quartz_crons_become_cycles_or_are_refused_with_the_reason():
    result = convert(CAMUNDA)
    root = etree.fromstring(result.data)
    texts = [t.text for t in root.iter(f"{BPMN}timeCycle")]
    assert texts == ['"R3/PT1H"', 'cron_cycle("0 0 9 * * ?")']
    assert any("每 1 天 重复一次" in n.message for n in result.mapped if n.element_id == "daily")
    monthly = convert(CAMUNDA.replace(b"0 0 9 * * ?", b"0 0 12 1 * ?"))
    assert any("按日期或月份触发" in n.message for n in monthly.unmapped if n.element_id == "daily")


def test_cron_cycle_starts_at_the_next_occurrence():
    with clock.at(datetime.fromisoformat("2026-12-03T10:00:00+08:00")):
        assert cron_cycle("0 0 9 * * ?") == "R/2026-12-04T09:00:00+08:00/P1D"
        assert cron_cycle("0 0/15 * * * ?") == "R/2026-12-03T10:15:00+08:00/PT900S"


def test_whole_days_become_working_days_only_when_asked():
    calendar = etree.fromstring(convert(ACTIVITI).data)
    assert calendar.find(f".//{BPMN}timeDuration").text == '"P3D"'
    working = convert(ACTIVITI, working_days=True)
    root = etree.fromstring(working.data)
    assert root.find(f".//{BPMN}timeDate").text == "working_days_after(now(), 3)"
    assert working.to_dict()["timers"] == "working_days"


def test_forms_become_described_forms_in_the_diagram():
    root = etree.fromstring(convert(ACTIVITI).data)
    task = root.find(f".//{BPMN}userTask[@id='deptleaderaudit']")
    props = {p.get("name"): p.get("value") for p in task.iter(f"{{{SPIFF_NS}}}property")}
    assert props["formKey"].startswith("vendor_") and "是否同意" in props["formDescription"]
    assert not [c for c in task.iter() if isinstance(c.tag, str) and "formProperty" in c.tag]


def test_notes_and_line_map_point_into_the_uploaded_file():
    result = convert(ACTIVITI)
    lines = ACTIVITI.decode().splitlines()
    for note in [*result.mapped, *result.unmapped]:
        assert note.element_id in lines[note.line - 1], note
    converted = result.data.decode().splitlines()
    for number, text in enumerate(converted, start=1):
        if 'id="hraudit"' in text:
            assert 'id="hraudit"' in lines[result.original_line(number) - 1]


def test_a_task_naming_no_form_gets_the_opinion_form_and_one_naming_an_unknown_form_does_not():
    root = etree.fromstring(ACTIVITI)
    task = root.find(f".//{BPMN}userTask[@id='hraudit']")
    task.remove(task.find(f"{BPMN}extensionElements"))
    result = convert(etree.tostring(root))
    converted = etree.fromstring(result.data).find(f".//{BPMN}userTask[@id='hraudit']")
    props = {p.get("name"): p.get("value") for p in converted.iter(f"{{{SPIFF_NS}}}property")}
    assert props["formKey"].startswith("vendor_") and "办理意见" in props["formDescription"]
    assert any("通用表单“办理意见”" in note.message for note in result.mapped)

    unknown = CAMUNDA.replace(b'camunda:candidateGroups="management"', b'camunda:formKey="app:forms/unknown.html"')
    assert not any("通用表单" in note.message for note in convert(unknown).mapped), "a form elsewhere is not replaced"
