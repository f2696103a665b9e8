"""Where a human step sits in a flow: the top process and the path of call activities to it.

A task of a called process (移交 in `handover`, called from `review_archive` as `hand_over`) is the same
spec in every pattern that calls it, but its limit may differ by pattern, so a step is named by its path
from the case's own process (`hand_over/hand_over`), both from a running task and from the deployed specs.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow

from engine.core.typing import ProcessSpec, SpiffTask, TaskSpec

PATH_SEPARATOR = "/"


@dataclass(frozen=True)
class HumanStep:
    """A task that waits for a person, as the deployed specs describe it."""

    path: str
    process_key: str  # the process whose diagram holds the task (a shared sub-flow's own id)
    task_id: str
    title: str
    spec: TaskSpec


def spec_id(task_spec: TaskSpec) -> str:
    return str(task_spec.bpmn_id or task_spec.name)


def step_path(spiff_task: SpiffTask) -> tuple[str, str]:
    """(the case's own process id, the step's path from it) of a running task."""
    parts = [spec_id(spiff_task.task_spec)]
    workflow = spiff_task.workflow
    while isinstance(workflow, BpmnSubWorkflow):
        caller = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        parts.insert(0, spec_id(caller.task_spec))
        workflow = caller.workflow
    return str(workflow.spec.name), PATH_SEPARATOR.join(parts)


def human_steps(spec: ProcessSpec, subprocess_specs: Mapping[str, ProcessSpec]) -> Iterator[HumanStep]:
    """Every task of the flow that waits for a person, called processes included, in the diagram's order."""
    yield from _walk(spec, subprocess_specs, (), frozenset({spec.name}))


def _walk(
    spec: ProcessSpec, subprocess_specs: Mapping[str, ProcessSpec], prefix: tuple[str, ...], seen: frozenset[str]
) -> Iterator[HumanStep]:
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, SubWorkflowTask):
            called = subprocess_specs.get(task_spec.spec)
            if called is not None and called.name not in seen:
                yield from _walk(called, subprocess_specs, (*prefix, spec_id(task_spec)), seen | {called.name})
        elif getattr(task_spec, "manual", False) and not getattr(task_spec, "topic", None):
            path = PATH_SEPARATOR.join((*prefix, spec_id(task_spec)))
            title = task_spec.bpmn_name or spec_id(task_spec)
            yield HumanStep(path, str(spec.name), spec_id(task_spec), title, task_spec)
