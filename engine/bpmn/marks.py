"""A case drawn on its own diagram version: the steps already done and the steps waiting now (a person's task, or a
step waiting for a message such as 公示 or 等待外伤调查结果)."""

from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import ReceiveTask
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow as Workflow
from SpiffWorkflow.task import Task as BpmnTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.cases.acceptance import case_view
from engine.cases.waits import CATCH, RECEIVE, waits_listed
from engine.core.models import User
from engine.workflow import snapshot


@dataclass(frozen=True)
class CaseDiagram:
    bpmn_xml: str
    version: int
    completed: list[str]
    active: list[str]
    taken: list[tuple[str, str]]


# Specs SpiffWorkflow inserts around a task with boundary events; they are not drawn in the diagram.
_INTERNAL_SUFFIXES = (".BoundaryEventSplit", ".BoundaryEventJoin")
# Steps that are work done in a called sub-flow; its events and gateways alone are a pass-through.
_WORK = (UserTask, ManualTask, ScriptEngineTask, ReceiveTask, SubWorkflowTask)


def _drawn_parent(task: BpmnTask) -> str | None:
    """The step a task was reached from, looking through the splits SpiffWorkflow adds for timers."""
    parent = task.parent
    while parent is not None and parent.task_spec.name.endswith(_INTERNAL_SUFFIXES):
        parent = parent.parent
    return parent.task_spec.name if parent is not None else None


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


def _waiting_steps(session: Session, case_id: int) -> set[str]:
    """Steps that are themselves the wait for a message (not a task's boundary event, drawn on that task)."""
    return {wait.element_id for wait in waits_listed(session, case_id) if wait.kind in (RECEIVE, CATCH)}


def case_diagram(session: Session, user: User, case_id: int) -> CaseDiagram:
    """Element ids of the completed steps, of the open tasks, and the (source, target) step pairs
    the case actually went through, so that only flows really taken are marked.

    Visible to whoever may see the case; the diagram is the version the case runs on, not the latest.
    """
    view = case_view(session, user, case_id)
    case = view.case
    spec, subprocess_specs = deployment.specs_of(case.definition)
    workflow = snapshot.load_state(case.state, spec, subprocess_specs)
    completed = {
        task.task_spec.name for task in workflow.get_tasks(state=TaskState.COMPLETED) if _passed(workflow, task)
    }
    reached = workflow.get_tasks(state=TaskState.COMPLETED | TaskState.READY | TaskState.STARTED | TaskState.WAITING)
    taken = {(source, task.task_spec.name) for task in reached if (source := _drawn_parent(task)) is not None}
    return CaseDiagram(
        bpmn_xml=case.definition.bpmn_xml,
        version=case.definition.version,
        completed=sorted(completed),
        active=sorted(
            {task.spec_name for task in view.open_tasks} | _waiting_steps(session, case_id) | _running_calls(workflow)
        ),
        taken=sorted(taken),
    )
