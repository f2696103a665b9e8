"""Running SpiffWorkflow: new workflows, their state as JSON, and the user tasks waiting on people.

Specs are shared between workflows of one definition version and are never part of the
stored state, so a step only (de)serialises the task tree.
"""

import json
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.sandbox.functions import script_engine

_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
_converter = BpmnWorkflowConverter(BpmnWorkflow, _registry)


def new_workflow(spec, subprocess_specs: dict, data: dict) -> BpmnWorkflow:
    """A workflow at its start, with `data` given to the start task so every step sees it."""
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    return workflow


def dump_state(workflow: BpmnWorkflow) -> str:
    """The task tree, data and events of a workflow as JSON; its specs are never converted."""
    state = super(BpmnWorkflowConverter, _converter).to_dict(workflow)
    state["subprocesses"] = _converter.mapping_to_dict(workflow.subprocesses)
    state["bpmn_events"] = _registry.convert(workflow.bpmn_events)
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def load_state(text: str, spec, subprocess_specs: dict) -> BpmnWorkflow:
    """Rebuild a workflow from `dump_state` output around the shared, already parsed specs."""
    state = json.loads(text)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine(), deserializing=True)
    workflow.tasks = _converter.mapping_from_dict(state["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(state["root"]))
    _converter.set_default_attributes(workflow, state)
    _converter.subprocesses_from_dict(state["subprocesses"], workflow)
    workflow.bpmn_events = _registry.restore(state.get("bpmn_events", []))
    return workflow


def pending_tasks(workflow: BpmnWorkflow) -> tuple[list, list]:
    """(user tasks ready for a person, tasks waiting on an event such as a timer), in one walk of
    the task tree; SpiffWorkflow's iterator descends into call activities."""
    ready, waiting = [], []
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        if task.state == TaskState.WAITING:
            waiting.append(task)
        elif task.task_spec.manual:
            ready.append(task)
    return ready, waiting
