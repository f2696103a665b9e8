"""What a case waits for from outside: the messages its workflow would catch now.

After each step the step writer makes the `message_wait` table hold exactly these (`sync_waits`), so a message
finds the cases waiting for it with one indexed query, the case page and 办件监控 show a waiting message instead
of a silent stall, and a wrong message is refused naming what the case does wait for.
"""

from dataclasses import dataclass
from typing import cast

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, IntermediateCatchEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.orm import Session

from engine.bpmn.validation import form_key_of
from engine.cases import lifecycle
from engine.core.clock import clock
from engine.core.errors import DomainError
from engine.core.models import CaseInstance, MessageWait
from engine.core.typing import SpiffTask, TaskSpec, Workflow
from engine.org.routing import route

RECEIVE = "receive"
CATCH = "catch"
BOUNDARY = "boundary"
BOUNDARY_INTERRUPTING = "boundary_interrupting"
EVENT_SUBPROCESS = "event_subprocess"
START = "start"
KIND_LABELS = {
    RECEIVE: "接收任务",
    CATCH: "消息事件",
    BOUNDARY: "边界消息（不中断当前环节）",
    BOUNDARY_INTERRUPTING: "边界消息（中断当前环节）",
    EVENT_SUBPROCESS: "事件子流程",
    START: "消息开始事件",
}


@dataclass(frozen=True)
class Wait:
    """One message the workflow would catch now, and where (a task, or an event sub-process's start)."""

    name: str
    element_id: str
    title: str
    kind: str
    task: SpiffTask | None
    spec: TaskSpec

    @property
    def definition(self) -> MessageEventDefinition:
        definition = cast(MessageEventDefinition, self.spec.event_definition)
        return definition

    @property
    def form_key(self) -> str | None:
        return form_key_of(self.spec)


def _message_of(spec: TaskSpec) -> str | None:
    definition = getattr(spec, "event_definition", None)
    return definition.name if isinstance(definition, MessageEventDefinition) else None


def _kind(spec: TaskSpec) -> str:
    if isinstance(spec, BoundaryEvent):
        return BOUNDARY_INTERRUPTING if spec.cancel_activity else BOUNDARY
    if isinstance(spec, IntermediateCatchEvent):
        return CATCH
    if isinstance(spec, StartEvent):
        return START
    return RECEIVE


def waits_of(workflow: Workflow, waiting_tasks: list[SpiffTask]) -> list[Wait]:
    """The messages a workflow waits for: among its waiting tasks those catching a message, and the message
    starts of its top-level event sub-processes while it runs (SpiffWorkflow starts those on any catch)."""
    found: list[Wait] = []
    for task in waiting_tasks:
        name = _message_of(task.task_spec)
        if name is not None:
            spec = task.task_spec
            found.append(Wait(name, spec.bpmn_id or spec.name, spec.bpmn_name or name, _kind(spec), task, spec))
    if not workflow.is_completed():
        for spec_name in workflow.spec.start.trigger_specs:
            subprocess_spec = workflow.subprocess_specs.get(spec_name)
            for start in getattr(subprocess_spec, "bpmn_start_events", []):
                name = _message_of(start)
                if name is not None and isinstance(start, StartEvent):
                    found.append(
                        Wait(name, start.bpmn_id or start.name, start.bpmn_name or name, EVENT_SUBPROCESS, None, start)
                    )
    return found


_WAITS_OF_CASE = select(MessageWait).where(MessageWait.instance_id == bindparam("case_id")).order_by(MessageWait.id)
_INSERT_WAITS = cast(Table, MessageWait.__table__).insert()


def sync_waits(session: Session, case: CaseInstance, workflow: Workflow, waiting_tasks: list[SpiffTask]) -> None:
    """Make the table hold exactly what the case waits for now: none once its flow ended.

    Rows are a projection the workflow can always rebuild; a wait that stays keeps its row (and `since`).
    """
    current = {} if case.status in lifecycle.ENDED else {_key(w): w for w in waits_of(workflow, waiting_tasks)}
    stored = session.execute(
        select(MessageWait.id, MessageWait.name, MessageWait.element_id, MessageWait.task_id).where(
            MessageWait.instance_id == case.id
        )
    ).all()
    gone = [row.id for row in stored if (row.name, row.element_id, row.task_id) not in current]
    for row in stored:
        current.pop((row.name, row.element_id, row.task_id), None)
    if gone:
        session.execute(
            delete(MessageWait).where(MessageWait.id.in_(gone)).execution_options(synchronize_session=False)
        )
    if current:
        now = clock.now()
        session.connection().execute(
            _INSERT_WAITS,
            [
                {
                    "instance_id": case.id,
                    "name": wait.name,
                    "element_id": wait.element_id,
                    "title": wait.title,
                    "kind": wait.kind,
                    "task_id": str(wait.task.id) if wait.task is not None else None,
                    "org_id": _unit_of(session, case, wait.spec),
                    "form_key": wait.form_key,
                    "since": now,
                }
                for wait in current.values()
            ],
        )


def clear(session: Session, case: CaseInstance) -> None:
    """A terminated case waits for nothing."""
    session.execute(
        delete(MessageWait).where(MessageWait.instance_id == case.id).execution_options(synchronize_session=False)
    )


def _key(wait: Wait) -> tuple[str, str, str | None]:
    return wait.name, wait.element_id, str(wait.task.id) if wait.task is not None else None


def _unit_of(session: Session, case: CaseInstance, spec: TaskSpec) -> int:
    """The unit holding a waiting step: its lane's unit for this case, else the accepting unit."""
    lane = getattr(spec, "lane", None)
    if not lane:
        return case.org_id
    try:
        return route(session, lane, case.org)[1].id
    except DomainError:
        return case.org_id


def waits_listed(session: Session, case_id: int) -> list[MessageWait]:
    """What a case waits for, as stored by its last step."""
    return list(session.scalars(_WAITS_OF_CASE, {"case_id": case_id}))


def waits_of_cases(session: Session, case_ids: list[int]) -> dict[int, list[MessageWait]]:
    """What each of a page of cases waits for, in one query."""
    found: dict[int, list[MessageWait]] = {}
    if case_ids:
        rows = session.scalars(
            select(MessageWait).where(MessageWait.instance_id.in_(case_ids)).order_by(MessageWait.id)
        )
        for row in rows:
            found.setdefault(row.instance_id, []).append(row)
    return found


def shown(wait: MessageWait) -> str:
    """A wait in words for clerks and administrators: 等待消息“外伤调查结果”（等待外伤调查结果，丰城市曲江镇）."""
    where = f"，{wait.org.name}" if wait.org is not None else ""
    return f"等待消息“{wait.name}”（{wait.title}{where}）"


def waiting_text(names: list[str]) -> str:
    """The messages a case waits for, in words: “外伤调查结果”、“撤回申请”."""
    return "、".join(f"“{name}”" for name in dict.fromkeys(names))
