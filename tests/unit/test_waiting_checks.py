"""Everything a case would wait on is checked at upload, at any depth, naming the element and its line;
processes marked isExecutable="false" are checked and run with a note; the engine's own refusals read in Chinese."""

import random
import re
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.error_texts import chinese, cleaned
from engine.bpmn.validation import Report, validate_diagram
from engine.sandbox.restricted import make_script_engine
from tests.diagram_damage import damaged

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures' / 'bpmn'
MIWG = Path('/work/shared/bpmn-conformance/miwg-reference')
LANES = {'乡镇(街道)医保专窗经办员', '医保中心审核员'}
FORMS = {'review', 'payout'}
VALID = (FIXTURES / 'valid_review.bpmn').read_text('utf-8')
CJK = re.compile(r'[\u4e00-\u9fff]')
ADDRESS = re.compile(r'0x[0-9a-fA-F]{6,}')

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="http://x">\n'
)
FORM = (
    '<bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="formKey" value="review" /></spiffworkflow:properties></bpmn:extensionElements>'
)


def _validate(data: bytes | str) -> Report:
    raw = data.encode('utf-8') if isinstance(data, str) else data
    return validate_diagram(raw, known_lanes=LANES, known_forms=FORMS, functions={})


def _diagram(body: str, lane_refs: tuple[str, ...] = (), before: str = '', executable: str = 'true') -> str:
    """A process whose start event flows into `body`'s first node `First`, which flows to the end."""
    refs = ''.join(f'<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>' for ref in ('Start_1', 'First', *lane_refs))
    return (
        HEAD
        + before
        + f'<bpmn:process id="P" name="测试流程" isExecutable="{executable}">\n'
        + '<bpmn:laneSet id="LS"><bpmn:lane id="L" name="乡镇(街道)医保专窗经办员">'
        + refs
        + '</bpmn:lane></bpmn:laneSet>\n'
        + '<bpmn:startEvent id="Start_1" />\n'
        + body
        + '\n<bpmn:endEvent id="End_1" />\n'
        + '<bpmn:sequenceFlow id="F1" sourceRef="Start_1" targetRef="First" />\n'
        + '<bpmn:sequenceFlow id="F2" sourceRef="First" targetRef="End_1" />\n'
        + '</bpmn:process>\n</bpmn:definitions>\n'
    )


def _line_of(text: str, marker: str) -> int:
    return text[: text.index(marker)].count('\n') + 1


def _refusals(text: str) -> dict[str, list[tuple[int | None, str]]]:
    found: dict[str, list[tuple[int | None, str]]] = {}
    for problem in _validate(text).errors:
        found.setdefault(problem.element_id, []).append((problem.line, problem.message))
    return found


def _first_person(report: Report, process_id: str) -> str:
    specs = report.specs[process_id]
    workflow = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=make_script_engine({}))
    workflow.do_engine_steps()
    [task] = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]
    return str(task.task_spec.bpmn_id)


# --- isExecutable="false" ------------------------------------------------------------------------------------


def test_a_process_marked_not_executable_is_run_with_a_note():
    report = _validate(VALID.replace('isExecutable="true"', 'isExecutable="false"'))
    assert report.ok, report.errors
    assert report.process_ids == ['reimbursement_review']
    [note] = report.notes
    assert note.element_id == 'reimbursement_review' and note.line == 5
    assert 'isExecutable="false"' in note.message and '照常' in note.message
    assert _first_person(report, 'reimbursement_review') == 'Task_review'


def test_an_executable_process_gets_no_note():
    assert _validate(VALID).notes == []


def test_a_process_marked_not_executable_is_checked_like_any_other():
    found = _refusals(_diagram('<bpmn:task id="First" name="登记" />', executable='false'))
    assert [message for _line, message in found['First']] == [
        '任务“登记”（它会等待经办人办理）没有表单：请在“办理表单”中选择经办人办理时填写的表单'
    ]


def test_a_partner_pool_left_non_executable_beside_an_executable_one_is_not_run():
    partner = (
        '<bpmn:process id="Partner" isExecutable="false">'
        '<bpmn:startEvent id="PS" /><bpmn:task id="PT" name="申请人自行办理" />'
        '<bpmn:sequenceFlow id="PF" sourceRef="PS" targetRef="PT" /></bpmn:process>\n'
    )
    report = _validate(_diagram(f'<bpmn:userTask id="First">{FORM}</bpmn:userTask>', before=partner))
    assert report.ok, report.errors
    assert report.process_ids == ['P'] and report.notes == []


def test_a_non_executable_process_called_by_an_executable_one_is_run_and_checked():
    called = (
        '<bpmn:process id="Sub" name="子流程" isExecutable="false">'
        '<bpmn:startEvent id="SS" /><bpmn:task id="ST" name="核对" /><bpmn:endEvent id="SE" />'
        '<bpmn:sequenceFlow id="SF1" sourceRef="SS" targetRef="ST" />'
        '<bpmn:sequenceFlow id="SF2" sourceRef="ST" targetRef="SE" /></bpmn:process>\n'
    )
    found = _refusals(_diagram('<bpmn:callActivity id="First" calledElement="Sub" />', before=called))
    assert set(found) == {'ST'}
    assert all('泳道' in m or '表单' in m for _line, m in found['ST'])


def test_miwg_descriptive_diagram_is_now_checked_inside_its_pools():
    report = _validate((MIWG / 'A.4.0.bpmn').read_bytes())
    assert not report.ok
    assert not any('isExecutable' in p.message for p in report.errors)
    assert any('任务“Task 1”' in p.message and '泳道' in p.message for p in report.errors)
    assert all(p.line and p.element_id for p in report.errors)


# --- tasks that wait for a person -------------------------------------------------------------------------


@pytest.mark.parametrize(
    'element, kind',
    [('task', '任务'), ('manualTask', '人工任务'), ('userTask', '用户任务')],
)
def test_a_task_waiting_for_a_person_outside_a_lane_is_refused(element, kind):
    text = _diagram(
        f'<bpmn:{element} id="Outside" name="现场核验">{FORM}</bpmn:{element}>\n<bpmn:task id="First">{FORM}</bpmn:task>'
    )
    text = text.replace(
        '<bpmn:sequenceFlow id="F1" sourceRef="Start_1" targetRef="First" />',
        (
            '<bpmn:sequenceFlow id="F1" sourceRef="Start_1" targetRef="Outside" />'
            '<bpmn:sequenceFlow id="F0" sourceRef="Outside" targetRef="First" />'
        ),
    )
    [(line, message)] = _refusals(text)['Outside']
    assert line == _line_of(text, 'id="Outside"')
    assert message.startswith(f'{kind}“现场核验”') and '不在任何泳道中' in message


def test_a_manual_task_in_a_lane_with_a_form_is_accepted_and_waits_for_a_person():
    report = _validate(_diagram(f'<bpmn:manualTask id="First" name="现场核验">{FORM}</bpmn:manualTask>'))
    assert report.ok, report.errors
    assert _first_person(report, 'P') == 'First'


def test_a_plain_task_without_a_form_is_refused_at_upload():
    text = _diagram('<bpmn:task id="First" name="登记" />')
    [(line, message)] = _refusals(text)['First']
    assert line == _line_of(text, 'id="First"') and '没有表单' in message


# --- inside sub-processes, at any depth ---------------------------------------------------------------------

NESTED = f"""<bpmn:subProcess id="First" name="外层子流程">
  <bpmn:startEvent id="S1" />
  <bpmn:transaction id="Tx" name="事务">
    <bpmn:startEvent id="S2" />
    <bpmn:adHocSubProcess id="AdHoc" name="自由处理">
      <bpmn:complexGateway id="Complex" name="复杂汇合" />
    </bpmn:adHocSubProcess>
    <bpmn:endEvent id="E2" />
    <bpmn:sequenceFlow id="T1" sourceRef="S2" targetRef="AdHoc" />
    <bpmn:sequenceFlow id="T2" sourceRef="AdHoc" targetRef="E2" />
  </bpmn:transaction>
  <bpmn:subProcess id="EventSub" triggeredByEvent="true">
    <bpmn:startEvent id="S3"><bpmn:messageEventDefinition id="MD" messageRef="Nowhere" /></bpmn:startEvent>
    <bpmn:userTask id="Deep" name="深层任务">{FORM}</bpmn:userTask>
    <bpmn:implicitThrowEvent id="Implicit" />
    <bpmn:sequenceFlow id="T3" sourceRef="S3" targetRef="Deep" />
  </bpmn:subProcess>
  <bpmn:endEvent id="E1" />
  <bpmn:sequenceFlow id="T4" sourceRef="S1" targetRef="Tx" />
  <bpmn:sequenceFlow id="T5" sourceRef="Tx" targetRef="E1" />
</bpmn:subProcess>"""


def test_what_lies_inside_sub_processes_is_checked_at_every_depth():
    text = _diagram(NESTED).replace('<bpmn:flowNodeRef>First</bpmn:flowNodeRef>', '')
    found = _refusals(text)
    expected = {'Complex': '复杂网关', 'Implicit': '隐式抛出事件', 'S3': '引用了未定义的消息“Nowhere”'}
    for element_id, says in expected.items():
        assert any(says in message for _line, message in found[element_id]), (element_id, found.get(element_id))
        assert all(line == _line_of(text, f'id="{element_id}"') for line, _m in found[element_id])
    assert found['Deep'] == [
        (_line_of(text, 'id="Deep"'), '用户任务“深层任务”不在任何泳道中：请把它放进经办角色的泳道')
    ]


def test_the_lane_of_the_outermost_sub_process_counts_for_the_tasks_inside():
    inner = f'<bpmn:subProcess id="First"><bpmn:startEvent id="S1" /><bpmn:userTask id="In">{FORM}</bpmn:userTask>'
    inner += '<bpmn:endEvent id="E1" /><bpmn:sequenceFlow id="T1" sourceRef="S1" targetRef="In" />'
    inner += '<bpmn:sequenceFlow id="T2" sourceRef="In" targetRef="E1" /></bpmn:subProcess>'
    report = _validate(_diagram(inner))
    assert report.ok, report.errors


# --- messages, calls, errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'before, node, element_id, says',
    [
        ('', '<bpmn:receiveTask id="First" name="等待回执" />', 'First', '没有指定要等待的消息'),
        ('', '<bpmn:receiveTask id="First" messageRef="Gone" />', 'First', '未定义的消息“Gone”'),
        (
            '<bpmn:message id="M" />',
            '<bpmn:receiveTask id="First" messageRef="M" />',
            'M',
            '消息没有名称',
        ),
        (
            '',
            '<bpmn:intermediateCatchEvent id="First" name="等回复"><bpmn:messageEventDefinition id="MD" />'
            '</bpmn:intermediateCatchEvent>',
            'First',
            '没有指定要等待的消息',
        ),
        ('', '<bpmn:callActivity id="First" calledElement="elsewhere" />', 'First', '“elsewhere”不在本文件中'),
        (
            '',
            '<bpmn:intermediateCatchEvent id="First"><bpmn:conditionalEventDefinition id="CD" />'
            '</bpmn:intermediateCatchEvent>',
            'First',
            '条件事件没有条件',
        ),
    ],
    ids=['receive-nothing', 'receive-undefined', 'nameless-message', 'catch-nothing', 'call-unknown', 'no-condition'],
)
def test_what_nothing_can_send_or_resolve_is_refused_naming_element_and_line(before, node, element_id, says):
    text = _diagram(node, before=before)
    found = _refusals(text)
    assert element_id in found, found
    [(line, message)] = [(line, m) for line, m in found[element_id] if says in m]
    assert line == _line_of(text, f'id="{element_id}"')


def test_an_error_boundary_event_with_an_undefined_error_is_refused():
    text = _diagram(
        f'<bpmn:userTask id="First">{FORM}</bpmn:userTask>'
        '<bpmn:boundaryEvent id="Caught" attachedToRef="First"><bpmn:errorEventDefinition id="ED" errorRef="Nope" />'
        '</bpmn:boundaryEvent>'
    )
    [(line, message)] = _refusals(text)['Caught']
    assert line == _line_of(text, 'id="ED"') and '未定义的错误“Nope”' in message


def test_a_named_message_is_one_the_system_can_send():
    text = _diagram(
        '<bpmn:receiveTask id="First" messageRef="M" />',
        before='<bpmn:message id="M" name="材料已补齐" />',
    )
    report = _validate(text)
    assert report.ok, report.errors


# --- the engine's own refusals, in Chinese -----------------------------------------------------------------------


def test_a_parser_refusal_names_the_element_by_kind_name_id_and_line():
    text = VALID.replace(' default="Flow_small"', '')
    [problem] = _validate(text).errors
    assert problem.element_id == 'Flow_small' and problem.line == _line_of(text, 'id="Flow_small"')
    assert problem.message == (
        f'流程引擎无法解析此处，顺序流（id Flow_small，第 {problem.line} 行）：网关的这条分支没有条件，也不是默认分支'
    )


def test_a_data_association_to_nothing_shows_no_memory_address():
    text = _diagram(
        f'<bpmn:userTask id="First" name="录入">{FORM}<bpmn:dataInputAssociation id="DIA">'
        '<bpmn:sourceRef>Missing_object</bpmn:sourceRef><bpmn:targetRef>First</bpmn:targetRef>'
        '</bpmn:dataInputAssociation></bpmn:userTask>'
    )
    problems = _validate(text).errors
    assert problems and all(CJK.search(p.message) and not ADDRESS.search(p.message) for p in problems), problems


@pytest.mark.parametrize(
    'library_text, expected',
    [
        ('No start event found', '没有开始事件'),
        (
            'Exactly one start event is required in a SubWorkflow Task; found 0.',
            '子流程必须恰好有一个开始事件，实际有 0 个',
        ),
        (
            "Element '{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask', attribute 'bogus': "
            "The attribute 'bogus' is not allowed.",
            '元素 bpmn:userTask 不允许有属性 bogus',
        ),
        (
            'Opening and ending tag mismatch: proces line 3 and process',
            '开始标签 <proces>（第 3 行）与结束标签 </process> 不匹配',
        ),
        ('mismatched tag: line 4, column 4', '标签写法错误（开始与结束标签不匹配或缺少“>”）'),
        ("TypeError('sequence item 0: expected str instance, NoneType found')", '缺少流程引擎需要的名称或引用'),
        ("KeyError('name')", '缺少流程引擎需要的设置或引用：name'),
    ],
)
def test_known_library_texts_read_in_chinese(library_text, expected):
    assert chinese(library_text).startswith(expected)


def test_an_unknown_library_text_is_shown_whole_and_cleaned():
    text = (
        'Something odd near <Element {http://www.omg.org/spec/BPMN/20100524/MODEL}task at 0x7f3a2b1c0d80> and '
        "<SpiffWorkflow.x.Y object at 0x7f3a2b1c0d81>, payload b'<bpmn:task id=\"x\"/>' Bytes: 0xE9 0x20 " + 'z' * 400
    )
    shown = chinese(text)
    assert shown.startswith('流程引擎的原始提示：Something odd near bpmn:task and SpiffWorkflow.x.Y, payload …')
    assert shown.endswith('z' * 400)
    assert 'at 0x' not in shown and "b'" not in shown and '0xE9' not in shown
    assert cleaned('  a \n  b ') == 'a b'


def test_xml_syntax_errors_read_in_chinese_with_their_line():
    broken = HEAD + '  <bpmn:process id="p">\n  </bpmn:proces>\n</bpmn:definitions>\n'
    [problem] = _validate(broken).errors
    assert problem.line == 4
    assert problem.message.startswith('XML 格式错误（第 4 行）：') and CJK.search(problem.message[12:])


def test_schema_errors_read_in_chinese():
    report = _validate(VALID.replace('<bpmn:userTask id="Task_payout"', '<bpmn:userTask id="Task_payout" bogus="1"'))
    [problem] = report.errors
    assert problem.message == '不符合 BPMN 2.0 规范：元素 bpmn:userTask 不允许有属性 bogus'


DAMAGE = ['PT48H', '${x}', '1/0', '', 'Start', '<', 'Task_review']


def test_every_refusal_of_a_damaged_diagram_is_chinese_without_addresses_or_byte_dumps():
    rng = random.Random(20260514)
    sources = [
        etree.fromstring(p.read_bytes()) for p in [*sorted(MIWG.glob('*.bpmn')), *sorted(FIXTURES.glob('*.bpmn'))]
    ]
    for _ in range(300):
        for problem in _validate(damaged(rng.choice(sources), rng, DAMAGE)).errors:
            assert CJK.search(problem.message), problem
            assert not ADDRESS.search(problem.message) and "b'<" not in problem.message, problem
