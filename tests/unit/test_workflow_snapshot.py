"""The stored workflow state: stamped with SpiffWorkflow's serializer version, migrated or refused on
load by that stamp, and holding the typed values scripts produce exactly."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as LIBRARY_VERSION
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.external import ProductBpmnParser
from engine.core.clock import SHANGHAI, clock
from engine.timers import table
from engine.workflow import snapshot, timer_clock

ROOT = Path(__file__).resolve().parents[2]
# Written by the previous release (c205f66, engine/runtime.py, SpiffWorkflow 3.2.0): a
# township_review_pay case accepted on 2026-03-02, waiting at 乡镇初审 with its three timers armed
# (warning 03-06, overdue 03-10, escalation 03-17) and the materials call activity done.
PREVIOUS_RELEASE_STATE = ROOT / 'tests' / 'fixtures' / 'states' / 'township_review_pay_at_township_review.json'
# The diagrams that release deployed: a stored case runs on its own deployed version, never on today's files.
PREVIOUS_RELEASE_BPMN = ROOT / 'tests' / 'fixtures' / 'states' / 'previous_release_diagrams'

TYPED_VALUES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_typed" targetNamespace="http://yibao-flow.example/bpmn">
  <bpmn:process id="typed_values" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="compute"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>amount = Decimal('480.00')
accepted = date(2026, 3, 2)
decided = datetime(2026, 3, 2, 9, 30, 15, 123456)
allowed = timedelta(days=3)
items = [Decimal('0.10'), date(2026, 1, 1)]</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="review"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:scriptTask id="use_them"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>doubled = amount * 2
due = accepted + allowed</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="review" />
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="use_them" />
    <bpmn:sequenceFlow id="f4" sourceRef="use_them" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def frozen_clock():
    yield clock.freeze
    clock.thaw()


def _township_review_pay():
    parser = ProductBpmnParser()  # its 医保结算 is an external service task
    shared = sorted((PREVIOUS_RELEASE_BPMN / 'shared').glob('*.bpmn'))
    for path in shared + [PREVIOUS_RELEASE_BPMN / 'township_review_pay.bpmn']:
        parser.add_bpmn_file(str(path))
    return parser.get_spec('township_review_pay'), parser.get_subprocess_specs('township_review_pay')


def _typed_values():
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(TYPED_VALUES.encode('utf-8'))
    return parser.get_spec('typed_values'), parser.get_subprocess_specs('typed_values')


def _ready(workflow, name):
    ready, _ = snapshot.pending_tasks(workflow)
    matching = [task for task in ready if task.task_spec.name == name]
    assert matching, f'{name} is not ready; ready: {[task.task_spec.name for task in ready]}'
    return matching[0]


def test_state_of_the_previous_release_loads_and_the_case_runs_on(frozen_clock):
    text = PREVIOUS_RELEASE_STATE.read_text(encoding='utf-8')
    assert snapshot.VERSION_KEY not in json.loads(text)
    spec, subprocess_specs = _township_review_pay()
    frozen_clock(datetime(2026, 3, 7, 9, 0, tzinfo=SHANGHAI))

    workflow = snapshot.load_state(text, spec, subprocess_specs)
    workflow.refresh_timers()
    workflow.do_engine_steps()
    _, waiting = snapshot.pending_tasks(workflow)
    # The engine clock (03-07) is past the warning (03-06) only.
    armed = sorted(
        task.task_spec.name
        for task in waiting
        if task.task_spec.name.startswith('township_review_') and '.' not in task.task_spec.name
    )
    assert armed == ['township_review_escalation', 'township_review_overdue']
    assert workflow.get_next_task(spec_name='township_review_warned').state == TaskState.COMPLETED

    review = _ready(workflow, 'township_review')
    assert review.data['case_no'] == '610102-20260302-000001'
    review.data.update({'decision': 'approve', 'opinion': '材料齐全'})
    review.run()
    workflow.do_engine_steps()
    ready, _ = snapshot.pending_tasks(workflow)
    assert ready and 'township_review' not in [task.task_spec.name for task in ready]

    again = snapshot.load_state(snapshot.dump_state(workflow), spec, subprocess_specs)
    assert [task.task_spec.name for task in snapshot.pending_tasks(again)[0]] == [task.task_spec.name for task in ready]


def test_dumped_state_carries_the_serializer_version_of_spiffworkflow():
    spec, subprocess_specs = _typed_values()
    workflow = snapshot.new_workflow(spec, subprocess_specs, {})
    state = json.loads(snapshot.dump_state(workflow))
    assert state['serializer_version'] == LIBRARY_VERSION == '1.5'


def test_decimal_and_date_from_a_script_read_back_exactly_after_dump_and_load():
    spec, subprocess_specs = _typed_values()
    workflow = snapshot.new_workflow(spec, subprocess_specs, {})
    workflow.do_engine_steps()
    assert _ready(workflow, 'review').data['amount'] == Decimal('480.00')

    text = snapshot.dump_state(workflow)
    assert '{"value":"480.00","typename":"Decimal"}' in text
    assert '{"value":"2026-03-02","typename":"date"}' in text
    workflow = snapshot.load_state(text, spec, subprocess_specs)

    data = _ready(workflow, 'review').data
    expected = {
        'amount': Decimal('480.00'),
        'accepted': date(2026, 3, 2),
        'decided': datetime(2026, 3, 2, 9, 30, 15, 123456),
        'allowed': timedelta(days=3),
        'items': [Decimal('0.10'), date(2026, 1, 1)],
    }
    for name, value in expected.items():
        assert data[name] == value
        assert type(data[name]) is type(value), name
    assert str(data['amount']) == '480.00'
    assert [type(item) for item in data['items']] == [Decimal, date]

    _ready(workflow, 'review').run()
    workflow.do_engine_steps()
    assert workflow.completed
    workflow = snapshot.load_state(snapshot.dump_state(workflow), spec, subprocess_specs)
    end = workflow.get_next_task(spec_name='end')
    assert (end.data['doubled'], end.data['due']) == (Decimal('960.00'), date(2026, 3, 5))
    assert type(end.data['due']) is date


@pytest.mark.parametrize('version', ['1.6', '2.0', '10.1'])
def test_state_stamped_newer_than_spiffworkflow_knows_is_refused(version):
    spec, subprocess_specs = _township_review_pay()
    state = json.loads(PREVIOUS_RELEASE_STATE.read_text(encoding='utf-8'))
    state['serializer_version'] = version
    with pytest.raises(snapshot.StateVersionError, match=f'serializer version {version}, newer than the 1.5'):
        snapshot.load_state(json.dumps(state), spec, subprocess_specs)


@pytest.mark.parametrize('version', ['1.2', '1.0', 'one.five', None])
def test_state_too_old_or_unreadable_to_migrate_is_refused(version):
    spec, subprocess_specs = _township_review_pay()
    state = json.loads(PREVIOUS_RELEASE_STATE.read_text(encoding='utf-8'))
    state['serializer_version'] = version
    with pytest.raises(snapshot.StateVersionError, match='serializer version'):
        snapshot.load_state(json.dumps(state), spec, subprocess_specs)


def test_older_stamp_goes_through_spiffworkflow_migrations_per_process(monkeypatch):
    spec, subprocess_specs = _township_review_pay()
    state = json.loads(PREVIOUS_RELEASE_STATE.read_text(encoding='utf-8'))
    state['serializer_version'] = '1.3'
    ran = []
    for step in ('1.3', '1.4'):
        library_migration = MIGRATIONS[step]

        def spy(dct, step=step, library_migration=library_migration):
            ran.append((step, len(dct['tasks']), len(dct['spec']['task_specs'])))
            library_migration(dct)

        monkeypatch.setitem(MIGRATIONS, step, spy)

    workflow = snapshot.load_state(json.dumps(state), spec, subprocess_specs)

    # The top process and its one subprocess (the materials call activity), each with its own spec.
    (materials,) = state['subprocesses'].values()
    processes = [
        (len(state['tasks']), len(spec.task_specs)),
        (len(materials['tasks']), len(subprocess_specs[materials['spec']].task_specs)),
    ]
    assert ran == [(step, *process) for step in ('1.3', '1.4') for process in processes]
    assert _ready(workflow, 'township_review').state == TaskState.READY


def test_timers_read_the_engine_clock_once_snapshot_is_imported(frozen_clock):
    assert spiff_timer.datetime is timer_clock.ClockDatetime
    assert not hasattr(table, '_ClockDatetime')
    frozen_clock(datetime(2026, 3, 7, 9, 0, tzinfo=SHANGHAI))
    assert spiff_timer.datetime.now(SHANGHAI) == datetime(2026, 3, 7, 9, 0, tzinfo=SHANGHAI)
