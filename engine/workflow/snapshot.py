"""Running SpiffWorkflow: new workflows, their state as JSON, and the user tasks waiting on people.

Specs are shared between workflows of one definition version and are never part of the
stored state, so a step only (de)serialises the task tree.

The stored state carries the version of SpiffWorkflow's serialization format it was written in
(`serializer_version`, as SpiffWorkflow's own `serialize_json` stamps it), so a later SpiffWorkflow
can migrate it on load. Task data may hold the `Decimal`, `date`, `datetime`, `timedelta` and
`UUID` values scripts produce; each is stored as a typed dict and read back as the same type and
value.

Importing this module binds SpiffWorkflow's timers to the engine's clock (`timer_clock`), so every
workflow built or loaded here fires its timers on that clock.

Every workflow built or loaded here is bounded (`BoundedWorkflow`): one `do_engine_steps()` runs
at most MAX_ENGINE_TASKS automatic tasks within STEP_BUDGET_SECONDS, and what its scripts return
counts against MAX_STEP_DATA_BYTES, so a diagram that loops through gateways and scripts fails its
step instead of holding the server; `dump_state` refuses a state longer than MAX_STATE_CHARS.
"""

import json
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.core.typing import ProcessSpec, SpiffTask, Workflow
from engine.sandbox import pool
from engine.sandbox.functions import script_engine
from engine.sandbox.limits import (
    MAX_ENGINE_TASKS,
    MAX_STATE_CHARS,
    STEP_BUDGET_SECONDS,
    ScriptTooExpensive,
)
from engine.workflow import stored, timer_clock

timer_clock.bind()

VERSION_KEY = BpmnWorkflowSerializer.VERSION_KEY
# States written before the stamp existed come from the previous release, on SpiffWorkflow 3.2.0,
# whose serializer writes this version. Fixed on purpose: it must not follow a library upgrade.
UNSTAMPED_VERSION = "1.5"
# The key of an ended case's summary (`dump_ended`), in place of a workflow's task tree.
ENDED_KEY = "ended_case"
# SpiffWorkflow's migrations from these versions each move a serialization up one minor version
# and change only task states besides the task specs they read. The older ones (1.0 to 1.2)
# rewrite serialized specs and chain into each other; a state that old was never written here.
_TASK_TREE_MIGRATIONS = ("1.3", "1.4")
_OLDEST_MIGRATABLE = _TASK_TREE_MIGRATIONS[0]


class StateVersionError(ValueError):
    """A stored state in a serialization format this SpiffWorkflow cannot load."""


_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
# SpiffWorkflow's DefaultRegistry already converts datetime, timedelta and UUID.
_registry.register(Decimal, lambda value: {"value": str(value)}, lambda dct: Decimal(dct["value"]))
_registry.register(date, lambda value: {"value": value.isoformat()}, lambda dct: date.fromisoformat(dct["value"]))
_converter = BpmnWorkflowConverter(BpmnWorkflow, _registry)
# SpiffWorkflow stores task data as deltas against the parent task without converting the values,
# and leaves them to its JSON encoder; the encoder's hook runs only for values JSON cannot hold.
_encode = create_encoder(_registry)(ensure_ascii=False, separators=(",", ":")).encode


# SpiffWorkflow ships no types, so its workflow class is Any to mypy.
class BoundedWorkflow(BpmnWorkflow):  # type: ignore[misc]
    """A BpmnWorkflow whose engine steps end: a bounded number of automatic tasks, in bounded time."""

    def do_engine_steps(
        self,
        will_complete_task: Callable[[SpiffTask], None] | None = None,
        did_complete_task: Callable[[SpiffTask], None] | None = None,
    ) -> None:
        started = time.monotonic()
        done = 0

        def counted(task: SpiffTask) -> None:
            nonlocal done
            done += 1
            if did_complete_task is not None:
                did_complete_task(task)
            if done > MAX_ENGINE_TASKS:
                raise ScriptTooExpensive(
                    f"流程自动执行的环节超过 {MAX_ENGINE_TASKS} 个，流程图可能有死循环",
                    f"more than {MAX_ENGINE_TASKS} automatic tasks in one step",
                )
            if time.monotonic() - started > STEP_BUDGET_SECONDS:
                raise ScriptTooExpensive(
                    f"流程自动执行超时（超过 {STEP_BUDGET_SECONDS:g} 秒）",
                    f"automatic tasks ran past {STEP_BUDGET_SECONDS:g}s",
                )

        with pool.step_budget():
            super().do_engine_steps(will_complete_task, counted)


def new_workflow(spec: ProcessSpec, subprocess_specs: dict[str, ProcessSpec], data: dict[str, Any]) -> Workflow:
    """A workflow at its start, with `data` given to the start task so every step sees it."""
    workflow = BoundedWorkflow(spec, subprocess_specs, script_engine=script_engine())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    return workflow


def dump_state(workflow: Workflow) -> str:
    """The task tree, data and events of a workflow as JSON, stamped with the serializer version;
    its specs are never converted.

    Its size is checked after the text is written: what could make it huge (the task data scripts
    leave) was measured, capped and refused in the sandbox before it reached the workflow.
    """
    state = super(BpmnWorkflowConverter, _converter).to_dict(workflow)
    state["subprocesses"] = _converter.mapping_to_dict(workflow.subprocesses)
    state["bpmn_events"] = _registry.convert(workflow.bpmn_events)
    state[VERSION_KEY] = SERIALIZER_VERSION
    text: str = _encode(state)
    if len(text) > MAX_STATE_CHARS:
        raise ScriptTooExpensive(
            f"流程状态超过 {MAX_STATE_CHARS // 1024 // 1024} MB，无法保存", "workflow state too large to store"
        )
    return text


def dump_ended(summary: dict[str, Any]) -> str:
    """The state an ended case keeps instead of its workflow: what its diagram draws (`engine.bpmn.drawn`).

    Nothing else reads an ended case's workflow: its file, notices, progress and figures come from the history
    and the task rows, which keep every decision; so its task tree, data and events go (a concluded 门诊费用报销
    case: about 500 bytes stored instead of 2.6 KB for its tree without data).
    """
    text: str = _encode({ENDED_KEY: summary})
    return text


def read_state(stored_state: str | bytes) -> dict[str, Any]:
    """The stored state (`engine.workflow.stored`) as JSON: a workflow's, or an ended case's summary."""
    parsed: dict[str, Any] = json.loads(
        stored.decode(stored_state) if isinstance(stored_state, bytes) else stored_state
    )
    return parsed


def ended_summary(state: str | bytes | dict[str, Any]) -> dict[str, Any] | None:
    """An ended case's summary (`dump_ended`), or None for a workflow's state (a running case's, or the task tree an
    earlier release kept for an ended case)."""
    parsed = state if isinstance(state, dict) else read_state(state)
    summary: dict[str, Any] | None = parsed.get(ENDED_KEY)
    return summary


def load_state(
    text: str | bytes | dict[str, Any], spec: ProcessSpec, subprocess_specs: dict[str, ProcessSpec]
) -> Workflow:
    """Rebuild a workflow from `dump_state` output, as text or as stored (`engine.workflow.stored`: a
    zstandard frame, or an earlier release's plain JSON), around the shared, already parsed specs.

    A state without a version stamp was written by the previous release (SpiffWorkflow 3.2.0) and
    is taken as serializer version 1.5. An older stamp goes through SpiffWorkflow's migrations
    first (`migrate_state`); a stamp newer than this SpiffWorkflow knows raises `StateVersionError`.
    """
    state = dict(text) if isinstance(text, dict) else read_state(text)
    if ENDED_KEY in state:
        raise stored.StoredStateError("an ended case keeps no workflow, only what its diagram draws")
    version = state.pop(VERSION_KEY, UNSTAMPED_VERSION)
    if version != SERIALIZER_VERSION:
        migrate_state(state, version, spec, subprocess_specs)
    workflow = BoundedWorkflow(spec, subprocess_specs, script_engine=script_engine(), deserializing=True)
    workflow.tasks = _converter.mapping_from_dict(state["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(state["root"]))
    _converter.set_default_attributes(workflow, state)
    _converter.subprocesses_from_dict(state["subprocesses"], workflow)
    workflow.bpmn_events = _registry.restore(state.get("bpmn_events", []))
    return workflow


def migrate_state(
    state: dict[str, Any], version: str, spec: ProcessSpec, subprocess_specs: dict[str, ProcessSpec]
) -> None:
    """Bring a state stamped `version` up to this SpiffWorkflow's serializer version, in place.

    SpiffWorkflow's migrations expect a full serialization, with `spec` and `subprocess_specs`, and
    read task specs from them (to find multi-instance tasks and event-based gateways). Our state has
    neither, so each migration runs once per (sub)process on a view holding that process's tasks and
    its spec converted from the parsed one. What a migration changes in the spec view is dropped:
    the parsed specs already come from the current SpiffWorkflow. Running per process also keeps
    clear of the library's loop over subprocesses, which names an undefined variable.

    States older than serializer version 1.3 are refused: their migrations rewrite the serialized
    specs themselves, which were never stored here, and no release of this product wrote them.
    """
    found = _version_tuple(version)
    if found > _version_tuple(SERIALIZER_VERSION):
        raise StateVersionError(
            f"workflow state has serializer version {version}, newer than the {SERIALIZER_VERSION} "
            "this SpiffWorkflow reads; upgrade SpiffWorkflow before loading it"
        )
    if found < _version_tuple(_OLDEST_MIGRATABLE):
        raise StateVersionError(
            f"workflow state has serializer version {version}; states older than "
            f"{_OLDEST_MIGRATABLE} hold their specs and cannot be migrated without them"
        )
    processes = [(state["tasks"], spec)]
    for subprocess in state.get("subprocesses", {}).values():
        processes.append((subprocess["tasks"], subprocess_specs[subprocess["spec"]]))
    views = [
        {"tasks": tasks, "spec": _registry.convert(process_spec), "subprocesses": {}}
        for tasks, process_spec in processes
    ]
    for step in _TASK_TREE_MIGRATIONS:
        if _version_tuple(step) >= found:
            for view in views:
                MIGRATIONS[step](view)


def _version_tuple(version: object) -> tuple[int, ...]:
    try:
        if not isinstance(version, str):
            raise ValueError(version)
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise StateVersionError(f"workflow state has an unreadable serializer version: {version!r}") from None


def pending_tasks(workflow: Workflow) -> tuple[list[SpiffTask], list[SpiffTask]]:
    """(user tasks ready for a person, tasks waiting on an event such as a timer), in one walk of
    the task tree; SpiffWorkflow's iterator descends into call activities."""
    ready, waiting = [], []
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        if task.state == TaskState.WAITING:
            waiting.append(task)
        elif task.task_spec.manual:
            ready.append(task)
    return ready, waiting
