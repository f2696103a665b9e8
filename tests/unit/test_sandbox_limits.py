"""The sandbox's limits hold for real: time, memory and data, in scripts, gateway conditions and timers.

Each payload of issue 12 runs as a script task, as a gateway condition and as a timer expression of
`tests/fixtures/bpmn/sandbox_probe.bpmn`, in a workflow built as the engine builds one, and is stopped
within its limit with the limit named in Chinese; timers are also test-evaluated as an upload is.
"""

import os
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn.validation import validate_diagram
from engine.sandbox import pool, wire
from engine.sandbox.functions import expression_functions, sample_task_data, script_engine, working_days_after
from engine.sandbox.limits import (
    MAX_TASK_DATA_BYTES,
    MAX_WORKING_DAYS,
    MEMORY_LIMIT_MB,
    TIME_BUDGET_SECONDS,
    WALL_TIMEOUT_SECONDS,
    ScriptNotAllowed,
    ScriptTooExpensive,
)
from engine.sandbox.vetted import is_vetted
from engine.workflow import snapshot

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "tests" / "fixtures" / "bpmn" / "sandbox_probe.bpmn").read_text(encoding="utf-8")
HARMLESS = {
    "SCRIPT": "checked = True",
    "CONDITION": "checked == True",
    "TIMER": 'stage_due(limits.get("township_review"), case_due)',
}
START_DATA = {"limits": {"township_review": 5}, "case_due": None, "warn_days": 2}

TIMEOUT = f"脚本运行超时（超过 {TIME_BUDGET_SECONDS:g} 秒）"
MEMORY = f"内存超过 {MEMORY_LIMIT_MB} MB"
DATA = f"超过 {MAX_TASK_DATA_BYTES // 1024} KB"
CALENDAR = f"工作日天数须在 0 到 {MAX_WORKING_DAYS} 之间"
SLOW = WALL_TIMEOUT_SECONDS + 0.5  # a timeout answers within the wall-clock limit
QUICK = 1.0  # a limit that holds before any time limit is reached

LOOP = "sum(1 for i in range(100000) for j in range(100000))"
POW = "pow(7, 3**10000, 3**10000)"
CALENDAR_CALL = "working_days_after(now(), 10**6)"
ALIASED = "[[0]*999999]*999999"
REPLACED = "('a'*10**6).replace('a', 'a'*3000)"

# (payload name, as a script, as a condition, as a timer expression, expected message, time allowed)
PAYLOADS = [
    ("loop", "while True: pass", f"{LOOP} > 0", f"str({LOOP})", TIMEOUT, SLOW),
    ("pow", f"x = {POW}", f"{POW} > 0", f"str({POW})", TIMEOUT, SLOW),
    ("calendar", f"x = {CALENDAR_CALL}", f"{CALENDAR_CALL} > ''", CALENDAR_CALL, CALENDAR, QUICK),
    ("aliased", f"x = {ALIASED}", ALIASED, ALIASED, DATA, QUICK),
    ("replace", "x = 'a'*10**6\ny = x.replace('a', 'a'*3000)", f"len({REPLACED}) > 0", REPLACED, MEMORY, QUICK + 1),
]
PLACES = {"script": "SCRIPT", "condition": "CONDITION", "timer": "TIMER"}


def diagram(**payloads: str) -> bytes:
    text = TEMPLATE
    for placeholder, harmless in HARMLESS.items():
        text = text.replace(placeholder, escape(payloads.get(placeholder, harmless)))
    return text.encode("utf-8")


def workflow_of(data: bytes):
    """The probe as the engine runs a case: bounded workflow, the product's script engine and functions."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(data)
    return snapshot.new_workflow(
        parser.get_spec("sandbox_probe"), parser.get_subprocess_specs("sandbox_probe"), dict(START_DATA)
    )


def payload_cases():
    for name, script, condition, timer, message, allowed in PAYLOADS:
        for place, text in (("script", script), ("condition", condition), ("timer", timer)):
            yield pytest.param(PLACES[place], text, message, allowed, id=f"{name}-as-{place}")


def test_the_probe_runs_when_nothing_breaks_a_limit():
    workflow = workflow_of(diagram())
    workflow.do_engine_steps()
    ready, waiting = snapshot.pending_tasks(workflow)
    assert [t.task_spec.name for t in ready] == ["township_review"]
    assert ready[0].data["checked"] is True
    assert len(waiting) == 1


@pytest.mark.parametrize(("place", "payload", "message", "allowed"), list(payload_cases()))
def test_each_payload_is_stopped_within_its_limit(place, payload, message, allowed):
    workflow = workflow_of(diagram(**{place: payload}))
    started = time.monotonic()
    with pytest.raises(ScriptTooExpensive) as raised:
        workflow.do_engine_steps()
    assert time.monotonic() - started < allowed
    assert message in raised.value.message
    # the worker that was killed or crashed has been replaced: the next script runs at once
    fine = workflow_of(diagram())
    started = time.monotonic()
    fine.do_engine_steps()
    assert time.monotonic() - started < QUICK


def timer_problems_of(timer: str) -> list[str]:
    report = validate_diagram(
        diagram(TIMER=timer),
        known_lanes={"乡镇(街道)医保专窗经办员"},
        known_forms={"review"},
        functions=expression_functions(),
        sample_data=sample_task_data(),
    )
    return [problem.message for problem in report.errors]


@pytest.mark.parametrize(
    ("timer", "message", "allowed"),
    [pytest.param(timer, message, allowed, id=name) for name, _, _, timer, message, allowed in PAYLOADS],
)
def test_a_timer_breaking_a_limit_is_refused_at_upload_within_its_limit(timer, message, allowed):
    started = time.monotonic()
    problems = timer_problems_of(timer)
    assert time.monotonic() - started < allowed
    assert len(problems) == 1 and message in problems[0], problems
    assert "计时器" in problems[0]


def test_the_shipped_timers_still_validate():
    assert timer_problems_of(HARMLESS["TIMER"]) == []


# Where each expression runs: vetted ones here, the rest in the worker.


def shipped_expressions() -> set[str]:
    from lxml import etree

    found = set()
    for path in (ROOT / "processes" / "bpmn").rglob("*.bpmn"):
        tree = etree.parse(str(path))
        for tag in ("conditionExpression", "timeDate", "timeDuration", "timeCycle"):
            found.update(e.text.strip() for e in tree.iter(f"{{*}}{tag}") if e.text and e.text.strip())
    return found


def test_every_expression_of_the_shipped_diagrams_is_vetted():
    """They run on every step: a trip to the worker for each would make a step several times dearer."""
    names = expression_functions()
    expressions = shipped_expressions()
    assert len(expressions) >= 5
    assert [text for text in expressions if not is_vetted(text, names)] == []


@pytest.mark.parametrize(
    "text",
    [
        LOOP,
        POW,
        CALENDAR_CALL,
        ALIASED,
        REPLACED,
        "a * 2",
        "a + b",
        "[x for x in items]",
        "(lambda: 1)()",
        "int(amount) > 3",
        "f'{amount:f}'",
        "text.join(items)",
        "text.replace('a', 'b')",
        "stage_due(*args)",
        "open('x')",
        " or ".join(["a"] * 60),
    ],
)
def test_anything_that_could_repeat_or_multiply_is_sent_to_the_worker(text):
    assert not is_vetted(text, expression_functions())


def test_a_vetted_expression_over_large_data_stays_cheap():
    """O(nodes x data): a condition reading a megabyte of task data runs here in milliseconds."""
    environment = script_engine().environment
    text = "x" * (MAX_TASK_DATA_BYTES - 100)
    data = {"text": text, "items": list(range(50_000)), "applicant": {"name": "张三"}}
    expression = "str(items) != text and text.lower().startswith('x') and max(items) > 3 and len(text) > 0"
    assert is_vetted(expression, environment.function_names)
    started = time.monotonic()
    assert environment.evaluate(expression, data) is True
    assert time.monotonic() - started < 0.2


# The worker itself.


def test_the_worker_holds_none_of_the_servers_environment_and_limits_its_memory(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://secret@db/prod")
    pool._pool().shutdown()
    pool._pool_state = None  # a fresh pool: its worker starts with the environment set above
    environment = script_engine().environment
    environment.execute("x = 1", {})
    (child,) = pool._pool().idle
    pid = child.process.pid
    assert b"secret" not in Path(f"/proc/{pid}/environ").read_bytes()
    limits = Path(f"/proc/{pid}/limits").read_text()
    address_space = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert "unlimited" not in address_space.split()[3]
    assert os.getpid() != pid


def test_a_function_the_diagram_calls_runs_in_the_server_with_its_clock():
    from engine.core.clock import SHANGHAI, clock

    environment = script_engine().environment
    instant = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    with clock.at(instant):
        data = {"n": 3}
        environment.execute("due = working_days_after(now(), n)\nsame = due == working_days_after(now(), 3)", data)
    assert data == {"n": 3, "due": working_days_after(instant, 3), "same": True}
    assert data["due"] == "2026-10-11T00:00:00+08:00"  # 国庆 off, 10-10 a 调休 working day


def test_a_failing_function_call_fails_the_script_with_the_functions_own_error():
    environment = script_engine().environment
    with pytest.raises(ScriptTooExpensive, match=CALENDAR):
        environment.execute("x = 1\ny = working_days_after(now(), 400)", {})
    with pytest.raises(TypeError, match="整数"):
        environment.execute("y = working_days_after(now(), '3')", {})


def test_script_errors_come_back_as_the_same_exception_at_the_same_line():
    from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

    workflow = workflow_of(diagram(SCRIPT="a = 1\nb = {}['missing']"))
    with pytest.raises(WorkflowTaskException) as raised:
        workflow.do_engine_steps()
    assert raised.value.error_type == "KeyError"
    assert raised.value.line_number == 2
    assert raised.value.error_line == "b = {}['missing']"


def test_what_a_script_stores_comes_back_with_its_types():
    environment = script_engine().environment
    data = {"_internal": "kept", "amount": Decimal("1.10")}
    environment.execute(
        "total = amount * 2\non = date(2026, 10, 8)\nat = datetime(2026, 10, 8, 9, 30)\n"
        "span = timedelta(days=2)\npair = (1, 'a')\nby_number = {1: 'one'}\nnested = {'list': [None, True, 1.5]}",
        data,
    )
    assert data == {
        "_internal": "kept",
        "amount": Decimal("1.10"),
        "total": Decimal("2.20"),
        "on": date(2026, 10, 8),
        "at": datetime(2026, 10, 8, 9, 30),
        "span": timedelta(days=2),
        "pair": (1, "a"),
        "by_number": {1: "one"},
        "nested": {"list": [None, True, 1.5]},
    }


def test_a_value_task_data_cannot_hold_is_refused_with_its_name():
    with pytest.raises(ScriptNotAllowed, match="变量 seen 的值是集合"):
        script_engine().environment.execute("seen = set([1, 2])", {})


def test_wire_round_trip_and_early_refusal():
    value = {"d": Decimal("2.5"), "u": UUID(int=7), "t": (1, [2, {"\x00t": "x"}])}
    assert wire.from_json(wire.to_json(value, 10_000)) == value
    huge = [[0] * 999_999] * 999_999
    started = time.monotonic()
    with pytest.raises(ScriptTooExpensive, match=DATA):
        wire.to_json(huge, MAX_TASK_DATA_BYTES)
    assert time.monotonic() - started < 0.5


def test_calendar_functions_refuse_counts_outside_their_bounds():
    started = time.monotonic()
    with pytest.raises(ScriptTooExpensive, match=CALENDAR):
        working_days_after("2026-10-08", 10**6)
    with pytest.raises(ScriptTooExpensive, match="过大"):
        working_days_after("2026-10-08", 10**100)
    with pytest.raises(ScriptTooExpensive):
        working_days_after("2026-10-08", -1)
    assert time.monotonic() - started < 0.1
    assert working_days_after("2026-10-08", MAX_WORKING_DAYS) > "2027"


# Bounds of a whole step.

LOOPING = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="http://yibao-flow/bpmn">
  <bpmn:process id="sandbox_probe" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="g" default="f3"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g" />
    <bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="g"><bpmn:conditionExpression>True</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_diagram_that_loops_forever_fails_its_step():
    workflow = workflow_of(LOOPING)
    started = time.monotonic()
    with pytest.raises(ScriptTooExpensive, match="死循环"):
        workflow.do_engine_steps()
    assert time.monotonic() - started < 5


def test_the_scripts_of_one_step_share_a_data_budget(monkeypatch):
    monkeypatch.setattr(pool, "MAX_STEP_DATA_BYTES", 1000)
    with pool.step_budget(1000):
        environment = script_engine().environment
        environment.execute("x = 'a' * 400", {})
        environment.execute("x = 'a' * 400", {})
        with pytest.raises(ScriptTooExpensive, match="本次办理中脚本产生的环节数据超过"):
            environment.execute("x = 'a' * 400", {})


def test_a_state_too_large_to_store_is_refused(monkeypatch):
    workflow = workflow_of(diagram())
    workflow.do_engine_steps()
    assert snapshot.dump_state(workflow)
    monkeypatch.setattr(snapshot, "MAX_STATE_CHARS", 100)
    with pytest.raises(ScriptTooExpensive, match="流程状态超过"):
        snapshot.dump_state(workflow)
