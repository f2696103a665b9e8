"""Names for SpiffWorkflow's objects in annotations.

SpiffWorkflow ships no type information (neither a ``py.typed`` marker nor stubs), so mypy sees
every value it makes as ``Any``. These aliases are still ``Any`` to the checker, but they say in a
signature what a value is, and they are the one place to narrow should SpiffWorkflow ever ship types.
"""

from typing import Any, TypeAlias

Workflow: TypeAlias = Any
"""A running workflow (``SpiffWorkflow.bpmn.workflow.BpmnWorkflow``): the task tree of one case."""

SpiffTask: TypeAlias = Any
"""A node of a workflow's task tree (``SpiffWorkflow.task.Task``), not a row of the task table."""

TaskSpec: TypeAlias = Any
"""What a task of a diagram is (``SpiffWorkflow.specs.base.TaskSpec`` and its BPMN subclasses)."""

ProcessSpec: TypeAlias = Any
"""A parsed process of a deployed diagram (``SpiffWorkflow.bpmn.specs.bpmn_process_spec.BpmnProcessSpec``)."""
