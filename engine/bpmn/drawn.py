"""What a case's diagram marks, read from its workflow: the steps gone through, the flows taken between them and
the call activities under way. `engine.bpmn.marks` draws them; an ended case keeps only these
(`engine.workflow.snapshot.dump_ended`), since nothing else reads its workflow once it is over."""

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import ReceiveTask
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow as Workflow
from SpiffWorkflow.task import Task as BpmnTask
from SpiffWorkflow.util.task import TaskState

# Specs SpiffWorkflow inserts around a task with boundary events; they are not drawn in the diagram.
_INTERNAL_SUFFIXES = (".BoundaryEventSplit", ".BoundaryEventJoin")
# Steps that are work done in a called sub-flow; its events and gateways alone are a pass-through.
_WORK = (UserTask, ManualTask, ScriptEngineTask, ReceiveTask, SubWorkflowTask)


@dataclass(frozen=True)
class Drawn:
    completed: list[str]
    taken: list[tuple[str, str]]
    running_calls: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"completed": self.completed, "taken": [list(pair) for pair in self.taken], "calls": self.running_calls}

    @classmethod
    def from_dict(cls, kept: dict[str, Any]) -> "Drawn":
        return cls(list(kept["completed"]), [(source, target) for source, target in kept["taken"]], list(kept["calls"]))


def drawn(workflow: Workflow) -> Drawn:
    """The element ids of the completed steps, the (source, target) step pairs the case really went through and the
    call activities running, each sorted."""
    completed = {
        task.task_spec.name
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if _on_the_diagram(task) and _passed(workflow, task)
    }
    reached = workflow.get_tasks(state=TaskState.COMPLETED | TaskState.READY | TaskState.STARTED | TaskState.WAITING)
    taken = {
        (source, task.task_spec.name)
        for task in reached
        if _on_the_diagram(task) and (source := _drawn_parent(task)) is not None
    }
    return Drawn(sorted(completed), sorted(taken), sorted(_running_calls(workflow)))


def _on_the_diagram(task: BpmnTask) -> bool:
    """Whether the task is an element of the diagram, not one SpiffWorkflow adds (its start and end, the splits and
    joins around a task with boundary events, a sub-flow's end join)."""
    return getattr(task.task_spec, "bpmn_id", None) is not None


def _drawn_parent(task: BpmnTask) -> str | None:
    """The step a task was reached from, looking through the splits SpiffWorkflow adds for timers; None from
    SpiffWorkflow's own start."""
    parent = task.parent
    while parent is not None and parent.task_spec.name.endswith(_INTERNAL_SUFFIXES):
        parent = parent.parent
    return parent.task_spec.name if parent is not None and _on_the_diagram(parent) else None


def _passed(workflow: Workflow, task: BpmnTask) -> bool:
    """Whether a completed step was really gone through: a called sub-flow only if it did some work, so that
    一次性告知/补正 is not drawn as done for a case whose materials were all present (its sub-flow only checked)."""
    called = workflow.get_subprocess(task) if isinstance(task.task_spec, SubWorkflowTask) else None
    if called is None:
        return True
    return any(
        isinstance(step.task_spec, _WORK) and _passed(workflow, step)
        for step in called.get_tasks(state=TaskState.COMPLETED)
    )


def _running_calls(workflow: Workflow) -> set[str]:
    """Call activities whose sub-flow is under way (its task or wait is the case's current step)."""
    started = workflow.get_tasks(state=TaskState.STARTED | TaskState.WAITING)
    return {task.task_spec.name for task in started if isinstance(task.task_spec, SubWorkflowTask)}
