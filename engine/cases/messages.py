"""Messages to cases: an outside system's result (外伤调查结果 from the 医保信息平台, a 12345 request) or a clerk's
report of one, delivered to the case that waits for it.

A delivery is one unit of work: the case's workflow catches the message (a receive task or a message catch event
completes, a boundary message interrupts its activity or opens a parallel branch, an event sub-process starts),
the engine runs on to the next wait, and the step writer stores the case; a failure leaves the case as it was.
Two deliveries for one wait: the step writer's version check lets one win, the other is a 409. Which cases wait
for a message is the `message_wait` table (`engine.cases.waits`), so finding them is one indexed query.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.bpmn.xmlread import BPMN_NS
from engine.cases import history, lifecycle
from engine.cases.step import write_step
from engine.cases.waits import Wait, waiting_text, waits_listed, waits_of
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, StepFailed
from engine.core.models import CaseInstance, MessageWait, ProcessDefinition, Task, User
from engine.core.typing import Workflow
from engine.core.uow import unit_of_work
from engine.org.permissions import Actor, cases_in_scope, may_see_case, may_send_message
from engine.workflow import snapshot
from forms.registry import FormInvalid, clean

log = logging.getLogger("yibao.steps")

MAX_NAME_LENGTH = 200
RECEIVED = "message_received"


@dataclass(frozen=True)
class Delivered:
    """A message a case caught: which case, at which element."""

    case: CaseInstance
    title: str
    kind: str
    task_id: str | None
    """The SpiffWorkflow task that caught it; None for an event sub-process's start."""


@dataclass(frozen=True)
class Correlation:
    """What a message names (Camunda's correlation): the case by 办件编号 or id, and variables the waiting
    step's data must hold; `all` delivers to every case that matches instead of exactly one."""

    name: str
    business_key: str | None = None
    case_id: int | None = None
    correlation_keys: Mapping[str, Any] | None = None
    local_correlation_keys: Mapping[str, Any] | None = None
    all: bool = False


def send_to_case(session: Session, user: User, case_id: int, name: str, variables: dict[str, Any]) -> Delivered:
    """A staff member reports a message a case waits for (e.g. the 外伤调查结果 arrived on paper).

    Who may: `permissions.may_send_message`; a case the caller may not see is 404, one seen without the right 403.
    """
    name = _checked_name(name, "name")
    case = session.get(CaseInstance, case_id)
    if case is None:
        raise NotFound("办件不存在")
    task_orgs = set(session.scalars(select(Task.org_id).where(Task.instance_id == case.id)))
    wait_orgs = {wait.org_id or case.org_id for wait in waits_listed(session, case.id)}
    if not may_send_message(user, case.org_id, task_orgs, wait_orgs):
        if may_see_case(user, case.org_id, task_orgs):
            raise Forbidden("只有办理该办件当前等待环节的单位或管理员可以登记消息")
        raise NotFound("办件不存在")
    return _deliver_all(session, [case], name, variables, user, None)[0]


def correlate(session: Session, sender: Actor, correlation: Correlation, variables: dict[str, Any]) -> list[Delivered]:
    """Deliver a message from an outside system (`sender`, a worker credential) to the case(s) of its scope
    waiting for it, as Camunda's message correlation does.

    Refusals say why: no case of that 办件编号/id in the scope (404), the case does not wait for this message
    (409, naming what it waits for), several cases wait and neither `all` nor a key picks one (409), a message
    name no deployed process knows (404).
    """
    name = _checked_name(correlation.name, "messageName")
    cases = _waiting_cases(session, sender, correlation, name)
    if not cases:
        _explain_no_match(session, sender, correlation, name)
    if correlation.correlation_keys or correlation.local_correlation_keys:
        cases = [case for case in cases if _matches_keys(case, name, correlation)]
        if not cases:
            raise NotFound(f"没有办件的变量与 correlationKeys 相符且在等待消息“{name}”")
    if len(cases) > 1 and not correlation.all:
        raise Conflict(f"有 {len(cases)} 个办件在等待消息“{name}”：请用 businessKey（办件编号）指明办件，或设置 all")
    return _deliver_all(session, cases, name, variables, None, sender)


def _checked_name(name: str, field: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("消息名称不能为空", {field: ["请填写消息名称"]})
    if len(name) > MAX_NAME_LENGTH:
        raise Invalid("消息名称过长", {field: [f"消息名称不能超过 {MAX_NAME_LENGTH} 个字符"]})
    return name


def _case_key_condition(correlation: Correlation) -> ColumnElement[bool] | None:
    if correlation.business_key is not None and correlation.case_id is not None:
        return (CaseInstance.case_no == correlation.business_key) & (CaseInstance.id == correlation.case_id)
    if correlation.business_key is not None:
        return CaseInstance.case_no == correlation.business_key
    if correlation.case_id is not None:
        return CaseInstance.id == correlation.case_id
    return None


def _waiting_cases(session: Session, sender: Actor, correlation: Correlation, name: str) -> list[CaseInstance]:
    """Running cases of the sender's scope with a wait for `name` (and the named case only, when one is named)."""
    query = (
        select(CaseInstance)
        .where(
            CaseInstance.id.in_(select(MessageWait.instance_id).where(MessageWait.name == name)),
            CaseInstance.status == lifecycle.RUNNING,
            cases_in_scope(sender),
        )
        .order_by(CaseInstance.id)
    )
    condition = _case_key_condition(correlation)
    if condition is not None:
        query = query.where(condition)
    return list(session.scalars(query))


def _explain_no_match(session: Session, sender: Actor, correlation: Correlation, name: str) -> None:
    """Raise the refusal of a message no case of the scope waits for: what is missing, in words."""
    condition = _case_key_condition(correlation)
    if condition is not None:
        case = session.scalars(select(CaseInstance).where(condition, cases_in_scope(sender))).first()
        if case is None:
            raise NotFound(f"办件不存在：{correlation.business_key or correlation.case_id}")
        raise Conflict(not_waiting(session, case, name))
    if name not in known_message_names(session):
        raise NotFound(f"没有已部署的流程使用消息“{name}”，请核对消息名称")
    raise NotFound(f"没有办件在等待消息“{name}”")


def not_waiting(session: Session, case: CaseInstance, name: str) -> str:
    """Why a case does not take message `name`: its status, or what it waits for instead."""
    if case.status != lifecycle.RUNNING:
        return f"该办件{lifecycle.STATUS_LABELS.get(case.status, case.status)}，不接收消息“{name}”"
    names = [wait.name for wait in waits_listed(session, case.id)]
    instead = f"，当前等待：{waiting_text(names)}" if names else "，当前没有等待任何消息"
    return f"该办件当前不在等待消息“{name}”{instead}"


def _matches_keys(case: CaseInstance, name: str, correlation: Correlation) -> bool:
    """True when the waiting step's data holds every correlation key with its value (SpiffWorkflow keeps one
    data scope per task, so Camunda's process and local keys are both read there)."""
    workflow = _workflow_of(case)
    wanted = {**(correlation.correlation_keys or {}), **(correlation.local_correlation_keys or {})}
    for wait in _waits_named(workflow, name):
        data = wait.task.data if wait.task is not None else workflow.task_tree.data
        if all(key in data and data[key] == value for key, value in wanted.items()):
            return True
    return False


def _workflow_of(case: CaseInstance) -> Workflow:
    spec, subprocess_specs = deployment.specs_of(case.definition)
    return snapshot.load_state(case.state, spec, subprocess_specs)


def _waits_named(workflow: Workflow, name: str) -> list[Wait]:
    _, waiting = snapshot.pending_tasks(workflow)
    return [wait for wait in waits_of(workflow, waiting) if wait.name == name]


def _deliver_all(
    session: Session,
    cases: Sequence[CaseInstance],
    name: str,
    variables: dict[str, Any],
    user: User | None,
    sender: Actor | None,
) -> list[Delivered]:
    """Deliver to every case in one unit of work: all of them take the message, or none does."""
    numbers, ids = [case.case_no for case in cases], [case.id for case in cases]
    try:
        with unit_of_work(session):
            return [_deliver(session, case, name, variables, user, sender) for case in cases]
    except (DomainError, FormInvalid):
        raise
    except Exception as exc:
        log.warning("message %s failed: cases %s: %s: %s", name, numbers, type(exc).__name__, exc)
        _record_failure(session, ids, user, exc)
        raise StepFailed(f"流程在收到消息“{name}”之后执行出错，办件停留在当前环节，请联系管理员") from exc


def _record_failure(session: Session, case_ids: list[int], user: User | None, exc: Exception) -> None:
    """Keep the error visible to administrators, in a unit of work of its own (the delivery rolled back)."""
    with unit_of_work(session):
        for case_id in case_ids:
            case = session.get_one(CaseInstance, case_id)
            case.last_error = history.error_text(exc)
            history.record(session, case, history.ERROR, user, detail=history.failure(exc))


def _deliver(
    session: Session, case: CaseInstance, name: str, variables: dict[str, Any], user: User | None, sender: Actor | None
) -> Delivered:
    if not lifecycle.allows(case, "receive_message"):
        raise Conflict(not_waiting(session, case, name))
    workflow = _workflow_of(case)
    waits = _waits_named(workflow, name)
    if not waits:
        raise Conflict(not_waiting(session, case, name))
    wait = waits[0]
    values = clean(wait.form_key, variables, today=clock.now().date()) if wait.form_key else dict(variables)
    workflow.catch(BpmnEvent(wait.definition, values))
    _merge_payload(workflow, name, values)
    workflow.do_engine_steps()
    history.record(
        session,
        case,
        RECEIVED,
        user,
        detail={
            "message": name,
            "element": wait.title,
            "kind": wait.kind,
            "form_key": wait.form_key,
            "variables": values,
            "sender": sender.username if sender is not None else None,
        },
    )
    write_step(session, case, catalog().get(case.item_id), workflow)
    return Delivered(case, wait.title, wait.kind, str(wait.task.id) if wait.task is not None else None)


def _merge_payload(workflow: Workflow, name: str, values: dict[str, Any]) -> None:
    """Give the message's variables to the steps that caught it, as a form's data is given to its task.

    SpiffWorkflow keeps a caught payload in the task's internal data and copies it only into a
    `messageVariable` when the diagram names one; otherwise the variables join the task data here.
    """
    for task in workflow.get_tasks(state=TaskState.READY):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition) and definition.name == name and name in task.internal_data:
            if getattr(definition, "message_var", None) is None:
                task.internal_data.pop(name)
                task.data.update(values)


_MESSAGE_NAMES = etree.XPath("/bpmn:definitions/bpmn:message/@name", namespaces={"bpmn": BPMN_NS})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_names_by_version: dict[str, frozenset[str]] = {}


def known_message_names(session: Session) -> frozenset[str]:
    """The message names of every deployed version (a running case may be on an old one); each version's XML
    is read once per process."""
    names: set[str] = set()
    for content_hash in session.scalars(select(ProcessDefinition.content_hash)):
        if content_hash not in _names_by_version:
            xml = session.scalar(
                select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.content_hash == content_hash)
            )
            root = etree.fromstring((xml or "").encode("utf-8"), _PARSER)
            _names_by_version[content_hash] = frozenset(str(name) for name in _MESSAGE_NAMES(root))
        names |= _names_by_version[content_hash]
    return frozenset(names)
