"""Changing what a running workflow holds, outside a step of its own: the case deadline in its data
and the instants of its armed timers (suspend/resume, recomputation after a holiday notice)."""

from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

NOT_DONE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def set_case_due(workflow: BpmnWorkflow, case_due: str | None) -> None:
    """Give every task not yet done the new `case_due`, so the stages that follow are capped by it."""
    for task in workflow.get_tasks(state=NOT_DONE):
        if "case_due" in task.data:
            task.data["case_due"] = case_due


def set_timer_instant(workflow: BpmnWorkflow, task_id: str, instant: str) -> None:
    """Re-arm a waiting timer at `instant` (ISO 8601), as SpiffWorkflow stores an evaluated timer."""
    task = workflow.get_task_from_id(UUID(task_id))
    if task is not None:
        task.internal_data["event_value"] = instant
