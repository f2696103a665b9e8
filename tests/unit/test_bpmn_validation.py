"""Deploy-time validation: every refusal names the element (or line) a designer must fix."""

import random
import time
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.validation import Report, form_key_of, validate_diagram
from engine.sandbox.restricted import make_script_engine
from tests.diagram_damage import damaged

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures' / 'bpmn'
MIWG = Path('/work/shared/bpmn-conformance/miwg-reference')
LANES = {'乡镇(街道)医保专窗经办员', '医保中心审核员'}
FORMS = {'review', 'payout'}


def _validate(data: bytes, **overrides) -> Report:
    options = {'known_lanes': LANES, 'known_forms': FORMS, 'functions': {}}
    options.update(overrides)
    return validate_diagram(data, **options)


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _review_with(old: str, new: str) -> bytes:
    text = _fixture('valid_review.bpmn').decode('utf-8')
    assert old in text
    return text.replace(old, new).encode('utf-8')


def _problems_by_element(report: Report) -> dict:
    found = {}
    for problem in report.errors:
        found.setdefault(problem.element_id, []).append(problem.message)
    return found


def test_valid_diagram_is_accepted_with_runnable_specs():
    report = _validate(_fixture('valid_review.bpmn'))
    assert report.ok, report.errors
    assert report.process_ids == ['reimbursement_review']
    specs = report.specs['reimbursement_review']
    assert specs.subprocess_specs == {}
    assert form_key_of(specs.spec.task_specs['Task_review']) == 'review'
    assert form_key_of(specs.spec.task_specs['Task_payout']) == 'payout'
    assert form_key_of(specs.spec.task_specs['Script_total']) is None

    workflow = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=make_script_engine({}))
    workflow.do_engine_steps()
    task = workflow.get_next_task(state=TaskState.READY, manual=True)
    assert task.task_spec.lane == '乡镇(街道)医保专窗经办员'


EXPECTED_PROBLEMS = {
    'Task_outside': '泳道',
    'Lane_village': '村卫生室医生',
    'Task_no_form': '没有表单',
    'Task_unknown_form': 'no_such_form',
    'Script_evil': '__import__',
    'Timer_bare': '"PT48H"',
    'Flow_juel': 'JUEL',
}


def test_every_kind_of_problem_is_reported_at_once_naming_its_element():
    report = _validate(_fixture('every_problem.bpmn'))
    assert not report.ok
    assert report.specs == {} and report.process_ids == []
    found = _problems_by_element(report)
    assert set(found) == set(EXPECTED_PROBLEMS)
    for element_id, hint in EXPECTED_PROBLEMS.items():
        assert any(hint in message for message in found[element_id]), (element_id, found[element_id])
    assert all(problem.line for problem in report.errors)


def test_problem_serialises_for_the_http_layer():
    problem = _validate(_fixture('every_problem.bpmn')).errors[0]
    assert problem.to_dict() == {'element_id': problem.element_id, 'line': problem.line, 'message': problem.message}


def test_dangling_references_are_reported_instead_of_crashing_the_parser():
    found = _problems_by_element(_validate(_fixture('dangling_references.bpmn')))
    assert set(found) == {'Message_nameless', 'End_error'}
    assert 'Error_undefined' in found['End_error'][0]


def test_malformed_xml_reports_the_line():
    broken = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">\n'
        b'  <bpmn:process id="p">\n'
        b'  </bpmn:proces>\n'
        b'</bpmn:definitions>\n'
    )
    [problem] = _validate(broken).errors
    assert problem.line == 4
    assert 'XML' in problem.message


BILLION_LAUGHS = b'''<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" name="&lol9;" isExecutable="true" />
</bpmn:definitions>'''

EXTERNAL_ENTITY = b'''<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" name="&secret;" isExecutable="true" />
</bpmn:definitions>'''


@pytest.mark.parametrize('upload', [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=['billion-laughs', 'external-entity'])
def test_entity_tricks_are_refused_quickly(upload):
    started = time.monotonic()
    [problem] = _validate(upload).errors
    assert time.monotonic() - started < 0.5
    assert 'DOCTYPE' in problem.message
    assert problem.line == 2


def test_oversized_upload_is_refused_before_parsing():
    data = _fixture('valid_review.bpmn')
    assert _validate(data, max_bytes=len(data)).ok
    [problem] = _validate(data, max_bytes=len(data) - 1).errors
    assert str(len(data)) in problem.message


def test_other_xml_is_not_taken_for_bpmn():
    [problem] = _validate(b'<html><body/></html>').errors
    assert 'bpmn:definitions' in problem.message


def test_schema_violation_names_the_element():
    report = _validate(_review_with('<bpmn:userTask id="Task_payout"', '<bpmn:userTask id="Task_payout" bogus="1"'))
    assert [p.element_id for p in report.errors] == ['Task_payout']
    assert 'bogus' in report.errors[0].message


def test_reserved_spiffworkflow_id_is_refused():
    found = _problems_by_element(
        _validate(_review_with('"Event_start"', '"Start"').replace(b'>Event_start<', b'>Start<'))
    )
    assert list(found) == ['Start']


def test_parser_error_without_a_precheck_is_translated():
    data = _review_with(
        '<bpmn:exclusiveGateway id="Gateway_amount" name="金额是否超过 1000 元" default="Flow_small">',
        '<bpmn:exclusiveGateway id="Gateway_amount" name="金额是否超过 1000 元">',
    )
    [problem] = _validate(data).errors
    assert problem.element_id == 'Flow_small'
    assert problem.message.startswith('流程引擎无法解析此处')


def test_diagram_whose_processes_have_nothing_to_run_is_refused_naming_them():
    report = _validate(
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="x">\n'
        b'  <bpmn:process id="Empty" isExecutable="false" />\n</bpmn:definitions>'
    )
    [problem] = report.errors
    assert problem.element_id == 'Empty' and problem.line == 2 and '没有任何环节' in problem.message


@pytest.mark.parametrize(
    'timer, functions, sample, accepted',
    [
        ('overdue_after(48)', {'overdue_after': lambda hours: f'PT{hours}H'}, {}, True),
        ('f"PT{limit_hours}H"', {}, {'limit_hours': 24}, True),
        ('f"PT{limit_hours}H"', {}, {}, False),
        ('overdue_after(48)', {'overdue_after': lambda hours: hours * 3600}, {}, False),
        ('"48 小时"', {}, {}, False),
        ('"2025-06-30T09:00:00"', {}, {}, False),
        ('', {}, {}, False),
    ],
)
def test_timer_is_evaluated_with_injected_functions_and_sample_data(timer, functions, sample, accepted):
    data = _review_with(
        '<bpmn:timeDuration>"PT48H"</bpmn:timeDuration>', f'<bpmn:timeDuration>{timer}</bpmn:timeDuration>'
    )
    report = _validate(data, functions=functions, sample_data=sample)
    assert report.ok is accepted
    assert all(problem.element_id == 'Timer_overdue' for problem in report.errors)


def test_condition_that_does_not_compile_names_the_flow():
    data = _review_with('total &gt; Decimal("1000") and item_count &gt;= 1', 'total &gt;')
    found = _problems_by_element(_validate(data))
    assert list(found) == ['Flow_large']


def test_non_python_script_language_is_refused():
    data = _review_with('scriptFormat="python"', 'scriptFormat="javascript"')
    found = _problems_by_element(_validate(data))
    assert list(found) == ['Script_total'] and 'javascript' in found['Script_total'][0]


def test_vendor_form_key_gets_a_hint():
    data = _review_with(
        '<bpmn:userTask id="Task_payout" name="复核并支付">',
        '<bpmn:userTask id="Task_payout" name="复核并支付" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
        ' camunda:formKey="payout">',
    ).replace(b'<spiffworkflow:property name="formKey" value="payout" />', b'')
    found = _problems_by_element(_validate(data))
    assert list(found) == ['Task_payout'] and 'formKey="payout"' in found['Task_payout'][0]


def _ids_in(data: bytes) -> set:
    root = etree.fromstring(data)
    return {element.get('id') for element in root.iter() if isinstance(element.tag, str) and element.get('id')}


@pytest.mark.parametrize('path', sorted(MIWG.glob('*.bpmn')), ids=lambda path: path.name)
def test_miwg_reference_diagram_is_accepted_or_refused_naming_elements(path):
    data = path.read_bytes()
    report = _validate(data)
    assert isinstance(report, Report)
    if report.ok:
        assert report.process_ids and set(report.specs) == set(report.process_ids)
        return
    known_ids = _ids_in(data)
    for problem in report.errors:
        assert problem.message
        assert problem.element_id in known_ids, problem


_MUTATIONS = ['PT48H', '${approved}', '1/0', 'while', '"P1D"', '', 'Start']


def test_damaged_diagrams_are_answered_with_problems_never_an_exception():
    rng = random.Random(20250630)
    sources = [
        etree.fromstring(path.read_bytes()) for path in [*sorted(MIWG.glob('*.bpmn')), *sorted(FIXTURES.glob('*.bpmn'))]
    ]
    for _ in range(300):
        report = _validate(damaged(rng.choice(sources), rng, _MUTATIONS, executable=True))
        assert report.ok or all(problem.message for problem in report.errors)
