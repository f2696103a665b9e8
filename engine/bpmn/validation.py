"""Deploy-time validation of an uploaded BPMN diagram.

A diagram becomes a version only if `validate_diagram` finds nothing wrong; otherwise the
designer gets every problem at once, each naming the element (and line) at fault. When it
is accepted, the report carries the parsed specs so the diagram is parsed only once.

A call activity may name a process deployed from another file (`deployed_processes`); such
calls are listed per process in `ProcessSpecs.calls` for the deployer to bind to a version.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn import error_texts
from engine.bpmn.checks import (
    Problem,
    Rules,
    executable_processes,
    expression_problems,
    lane_problems,
    markup_problems,
    named,
    no_executable_process,
    reference_problems,
    reserved_id_problems,
    run_anyway_notes,
    schema_problems,
    script_problems,
    timer_problems,
    unsupported_elements,
    user_task_problems,
)
from engine.bpmn.external import ProductBpmnParser
from engine.bpmn.xmlread import Element, XmlRefused, parse_diagram_xml
from engine.sandbox.restricted import make_script_engine

__all__ = ['Problem', 'ProcessSpecs', 'Report', 'form_key_of', 'notes_of', 'validate_diagram']


class ProcessSpecs(NamedTuple):
    """What `BpmnWorkflow(spec, subprocess_specs, script_engine=...)` needs for one process.

    `subprocess_specs` holds the processes of the same file it uses; `calls` names the processes
    of other files it calls, directly or through those, which the deployer adds.
    """

    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    calls: frozenset[str] = frozenset()


@dataclass
class Report:
    """What validation found: problems refusing the diagram, or its specs with notes for the designer."""

    errors: list[Problem] = field(default_factory=list)
    process_ids: list[str] = field(default_factory=list)
    specs: dict[str, ProcessSpecs] = field(default_factory=dict)
    notes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def form_key_of(task_spec: object) -> str | None:
    """The form a user task shows: the spiff extension property `formKey`."""
    form_key: str | None = getattr(task_spec, 'extensions', {}).get('properties', {}).get('formKey')
    return form_key


def validate_diagram(
    data: bytes,
    *,
    known_lanes: set[str],
    known_forms: set[str],
    functions: Mapping[str, Callable[..., object]],
    max_bytes: int = 2_000_000,
    sample_data: Mapping[str, object] | None = None,
    deployed_processes: frozenset[str] = frozenset(),
) -> Report:
    """Check an upload and, if it is deployable, parse it.

    `functions` are the helpers scripts may call (timers are test-evaluated with them);
    `sample_data` stands for task data when a timer expression reads variables;
    `deployed_processes` are the process ids of other files that call activities may call.
    """
    try:
        root = parse_diagram_xml(data, max_bytes=max_bytes)
    except XmlRefused as refused:
        return Report(errors=[Problem(None, refused.line, refused.message)])
    rules = Rules(
        known_lanes=frozenset(known_lanes),
        known_forms=frozenset(known_forms),
        environment=make_script_engine(functions).environment,
        sample_data=dict(sample_data or {}),
    )
    executable = executable_processes(root)
    problems = [
        *markup_problems(root),
        *schema_problems(root),
        *no_executable_process(root, executable),
        *unsupported_elements(root, executable),
        *reference_problems(root, executable, deployed_processes),
        *reserved_id_problems(executable),
        *lane_problems(executable, rules),
        *user_task_problems(root, executable, rules),
        *expression_problems(executable),
        *script_problems(executable),
        *timer_problems(executable, rules),
    ]
    notes = run_anyway_notes(executable)
    process_ids, specs, parse_problem = _parse(root, executable)
    if parse_problem is not None and _adds_information(parse_problem, problems):
        problems.append(parse_problem)
    if problems:
        return Report(errors=sorted(problems, key=lambda p: (p.line or 0, p.element_id or '')))
    return Report(process_ids=process_ids, specs=specs, notes=notes)


def notes_of(data: bytes, *, max_bytes: int = 2_000_000) -> list[Problem]:
    """What a deployed diagram's upload answer tells the designer besides the version: processes run although
    marked isExecutable="false". `data` is a version's stored text, which validation has accepted."""
    try:
        root = parse_diagram_xml(data, max_bytes=max_bytes)
    except XmlRefused:
        return []
    return run_anyway_notes(executable_processes(root))


def _parse(root: Element, executable: list[Element]) -> tuple[list[str], dict[str, ProcessSpecs], Problem | None]:
    """Run SpiffWorkflow's own parser on the processes the product runs (it skips those not marked executable);
    its first complaint becomes a Problem instead of a crash."""
    for process in executable:
        process.set('isExecutable', 'true')
    parser = ProductBpmnParser()
    try:
        parser.add_bpmn_xml(root)
        process_ids = parser.get_process_ids()
        specs = {process_id: _process_specs(parser, process_id) for process_id in process_ids}
    except ValidationException as refused:
        return [], {}, _problem_from(root, refused.id or None, error_texts.of_exception(refused))
    except Exception as crash:
        return [], {}, _problem_from(root, None, error_texts.of_exception(crash))
    return process_ids, specs, None


def _process_specs(parser: SpiffBpmnParser, process_id: str) -> ProcessSpecs:
    """The process, the processes of this file it calls (transitively), and the ids it calls elsewhere."""
    used: dict[str, BpmnProcessSpec] = {}
    elsewhere: set[str] = set()
    pending = [process_id]
    while pending:
        for task_spec in parser.get_spec(pending.pop()).task_specs.values():
            called = task_spec.spec if isinstance(task_spec, SubWorkflowTask) else None
            if called is None or called in used or called in elsewhere:
                continue
            spec = parser.get_spec(called, required=False)
            if spec is None:
                elsewhere.add(called)
            else:
                used[called] = spec
                pending.append(called)
    return ProcessSpecs(parser.get_spec(process_id), used, frozenset(elsewhere))


def _problem_from(root: Element, element_id: str | None, detail: str) -> Problem:
    """SpiffWorkflow's refusal, naming the element it blames (kind, name, id and line) when it names one."""
    found = root.xpath('//*[@id=$id]', id=element_id) if element_id else []
    if not found:
        return Problem(element_id, None, f'流程引擎无法解析此处：{detail}')
    element = found[0]
    where = f'{named(element, with_id=False)}（id {element_id}，第 {element.sourceline} 行）'
    return Problem(element_id, element.sourceline, f'流程引擎无法解析此处，{where}：{detail}')


def _adds_information(parse_problem: Problem, problems: list[Problem]) -> bool:
    """The parser stops at its first error, usually one our checks already named."""
    if not problems:
        return True
    return parse_problem.element_id is not None and all(p.element_id != parse_problem.element_id for p in problems)
