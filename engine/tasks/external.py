"""External tasks (Camunda 7's): fetched and locked by workers, completed, failed, or ended by a BPMN error.

A row of `external_task` (written by the step writer, `tasks.projection.project_external_tasks`) is locked by
one worker until its lock expires: fetching picks open, unlocked or expired rows of running cases in the
worker's scope (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent fetches pass each other by) and takes each
with a conditional UPDATE that only an unlocked or expired row passes, so on any store a task goes to one
worker per lock. Completing writes the worker's variables into the task data and advances the case through the
step writer in one unit of work; the row's own conditional UPDATE and the case's version make a lost race a 409.
A failure with no retries left, or a BPMN error nothing catches, is an incident for administrators.

Every function takes a `WorkerActor`; a task of a case outside its scope is as unknown as a missing one.
Lock instants are on the engine's clock (`core.clock`), like every deadline.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, undefer

from engine.bpmn import deployment
from engine.cases import history, lifecycle, money
from engine.cases.lifecycle import TASK_CANCELLED, TASK_COMPLETED, TASK_OPEN
from engine.cases.step import write_step
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.errors import Conflict, DomainError, Invalid, NotFound, StepFailed
from engine.core.models import CaseInstance, ExternalTask
from engine.core.typing import SpiffTask, Workflow
from engine.core.uow import unit_of_work
from engine.org.permissions import Actor, WorkerActor, cases_in_scope, ensure_admin
from engine.tasks.projection import jsonable
from engine.workflow import snapshot

log = logging.getLogger("yibao.external")

MAX_TASKS = 100
MAX_LOCK_MS = 7 * 24 * 3600 * 1000  # a week: a longer lock is a worker's mistake
MAX_RETRIES = 1000
INCIDENT = "incident"
NOT_FOUND = "外部任务不存在"


@dataclass(frozen=True)
class TopicRequest:
    """One topic of a fetch: its lock duration and Camunda's filters."""

    name: str
    lock_ms: int
    variables: list[str] | None = None
    business_key: str | None = None
    process_definition_keys: list[str] | None = None
    process_variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    """Camunda's external-task list query, as far as the product keeps what it filters on."""

    ids: list[str] | None = None
    topic: str | None = None
    worker_id: str | None = None
    locked: bool = False
    not_locked: bool = False
    with_retries_left: bool = False
    no_retries_left: bool = False
    business_key: str | None = None
    process_instance_id: int | None = None
    activity_id: str | None = None
    priority_at_least: int | None = None
    priority_at_most: int | None = None
    first: int = 0
    max_results: int = MAX_TASKS


# --- fetching ----------------------------------------------------------------------------------


def _in_scope(actor: Actor) -> ColumnElement[bool]:
    """External tasks of the cases of the actor's scope."""
    return ExternalTask.instance_id.in_(select(CaseInstance.id).where(cases_in_scope(actor)))


def _fetchable(now: Any) -> ColumnElement[bool]:
    return and_(
        ExternalTask.state == TASK_OPEN,
        or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at <= now),
        or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0),
        or_(ExternalTask.retry_at.is_(None), ExternalTask.retry_at <= now),
        ExternalTask.instance_id.in_(select(CaseInstance.id).where(CaseInstance.status == lifecycle.RUNNING)),
    )


def fetch_and_lock(
    session: Session,
    worker: WorkerActor,
    worker_id: str,
    max_tasks: int,
    topics: list[TopicRequest],
    use_priority: bool = False,
) -> list[ExternalTask]:
    """Lock up to `max_tasks` tasks of the topics for `worker_id`; each task goes to one fetch per lock."""
    now = clock.now()
    locked: list[ExternalTask] = []
    with unit_of_work(session):
        for topic in topics:
            wanted = max_tasks - len(locked)
            if wanted <= 0:
                break
            for row in session.scalars(_candidates(session, worker, topic, now, use_priority, wanted)):
                if not _matches(row, topic):
                    continue
                expires = now + timedelta(milliseconds=topic.lock_ms)
                taken = session.execute(
                    ExternalTask.__table__.update()  # type: ignore[attr-defined]
                    .where(ExternalTask.id == row.id, _fetchable(now))
                    .values(worker_id=worker_id, lock_expires_at=expires)
                )
                if cast(Any, taken).rowcount == 1:
                    session.refresh(row)
                    locked.append(row)
                    if len(locked) >= max_tasks:
                        break
    return locked


def _candidates(
    session: Session, worker: WorkerActor, topic: TopicRequest, now: Any, use_priority: bool, limit: int
) -> Select[ExternalTask]:
    query = select(ExternalTask).where(ExternalTask.topic == topic.name, _fetchable(now), _in_scope(worker))
    if topic.business_key is not None:
        query = query.where(ExternalTask.business_key == topic.business_key)
    if topic.process_definition_keys:
        query = query.where(ExternalTask.process_key.in_(topic.process_definition_keys))
    order = (ExternalTask.priority.desc(), ExternalTask.created_at) if use_priority else (ExternalTask.created_at,)
    query = query.order_by(*order, ExternalTask.id).limit(limit * 4 if topic.process_variables else limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ExternalTask)
    return query


def _matches(row: ExternalTask, topic: TopicRequest) -> bool:
    """Camunda's `processVariables` filter: each named variable equals the given value."""
    return all(row.variables.get(name) == value for name, value in topic.process_variables.items())


def variables_of(row: ExternalTask, names: list[str] | None = None) -> dict[str, Any]:
    """The task's variables as a worker receives them: all, or only `names` (Camunda's `variables`)."""
    if names is None:
        return dict(row.variables)
    return {name: row.variables[name] for name in names if name in row.variables}


# --- acting on one task ---------------------------------------------------------------------------


def task_for(session: Session, actor: Actor, task_id: str) -> ExternalTask:
    """A pending external task of a case in the actor's scope; anything else is unknown (404)."""
    row = session.scalars(
        select(ExternalTask).where(
            ExternalTask.id == task_id, ExternalTask.state.in_(lifecycle.TASK_PENDING), _in_scope(actor)
        )
    ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def _ensure_locked_by(row: ExternalTask, worker_id: str) -> None:
    """Only the worker that most recently locked a task acts on it (Camunda's rule; 409 here, not 500)."""
    if row.worker_id is None:
        raise Conflict(f"外部任务 {row.id} 未被锁定，请先获取（fetchAndLock）")
    if row.worker_id != worker_id:
        raise Conflict(f"外部任务 {row.id} 已被 worker “{row.worker_id}” 锁定，“{worker_id}” 不能操作")


_RELEASE = ExternalTask.__table__.update()  # type: ignore[attr-defined]


def _take_row(session: Session, row: ExternalTask, worker_id: str, state: str) -> None:
    """End the row (completed or cancelled) if it is still open and held by `worker_id`; else the race is lost.

    Its variables go: they were the case's data when the task began to wait, which the workflow state keeps, and
    the history keeps what the worker answered; nothing reads an ended task's."""
    done = session.execute(
        _RELEASE.where(
            ExternalTask.id == row.id, ExternalTask.state == TASK_OPEN, ExternalTask.worker_id == worker_id
        ).values(state=state, completed_at=clock.now(), lock_expires_at=None, variables={})
    )
    if cast(Any, done).rowcount != 1:
        raise Conflict(f"外部任务 {row.id} 已被其他 worker 办结或锁定")


def complete(session: Session, worker: WorkerActor, task_id: str, worker_id: str, variables: Mapping[str, Any]) -> None:
    """Write the worker's variables into the task data, complete the task and advance the case."""
    row = task_for(session, worker, task_id)
    _ensure_locked_by(row, worker_id)
    case = _case_of(session, row)
    lifecycle.ensure_allowed(case, "complete")
    values = dict(variables)
    settled = row.topic == money.SETTLEMENT_TOPIC or any(key in values for key in money.SETTLEMENT_PARTS)
    if settled:
        values |= {key: f"{part:.2f}" for key, part in money.check_settlement(values, _approved(row)).items()}

    def step(workflow: Workflow, spiff_task: SpiffTask) -> bool:
        spiff_task.data.update(values)
        spiff_task.run()
        workflow.do_engine_steps()
        _take_row(session, row, worker_id, TASK_COMPLETED)
        history.record(session, case, "external_completed", detail=_event(row, worker, jsonable(values)))
        return True

    _advance(session, case, row, step)


def _approved(row: ExternalTask) -> Any:
    """The amount a settlement splits: the last approved amount the task data holds, else the claimed total."""
    approved = money.amount(row.variables.get("approved_amount"))
    return approved if approved is not None else money.claimed_total(row.variables.get("details") or {})


def bpmn_error(
    session: Session,
    worker: WorkerActor,
    task_id: str,
    worker_id: str,
    error_code: str,
    error_message: str | None,
    variables: Mapping[str, Any],
) -> None:
    """A business error: an error boundary event on the task that catches `error_code` takes the flow on (the
    task is cancelled); with none, the task becomes an incident naming the uncaught code."""
    row = task_for(session, worker, task_id)
    _ensure_locked_by(row, worker_id)
    case = _case_of(session, row)
    lifecycle.ensure_allowed(case, "complete")
    caught: list[bool] = []

    def step(workflow: Workflow, spiff_task: SpiffTask) -> bool:
        boundary = _catching_boundary(spiff_task, error_code)
        caught.append(boundary is not None)
        if boundary is None:
            return False
        event = BpmnEvent(boundary.task_spec.event_definition, payload=dict(variables))
        boundary.task_spec.catch(boundary, event)
        boundary.task_spec._update(boundary)
        workflow.do_engine_steps()
        _take_row(session, row, worker_id, TASK_CANCELLED)
        detail = _event(row, worker, jsonable(dict(variables)))
        history.record(session, case, "external_bpmn_error", detail=detail | {"code": error_code})
        return True

    _advance(session, case, row, step)
    if not caught[0]:
        message = f"业务错误 {error_code} 未被流程捕获（任务“{row.activity_name}”上没有捕获该错误码的错误边界事件）"
        _fail(session, worker, row, worker_id, f"{message}：{error_message or ''}".rstrip("："), None, 0, 0)


def _catching_boundary(spiff_task: SpiffTask, code: str) -> SpiffTask | None:
    """The waiting error boundary event attached to the task that catches `code` (or every code)."""
    parent = spiff_task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    for sibling in parent.children:
        definition = getattr(sibling.task_spec, "event_definition", None)
        if (
            sibling is not spiff_task
            and isinstance(definition, ErrorEventDefinition)
            and sibling.state == TaskState.WAITING
            and definition.code in (None, "", code)
        ):
            return cast(SpiffTask, sibling)
    return None


def failure(
    session: Session,
    worker: WorkerActor,
    task_id: str,
    worker_id: str,
    error_message: str | None,
    error_details: str | None,
    retries: int,
    retry_timeout_ms: int,
) -> None:
    """The worker could not do the task: the task is unlocked, fetched again after `retry_timeout_ms` while
    `retries` are left; at 0 it is an incident for administrators."""
    row = task_for(session, worker, task_id)
    _ensure_locked_by(row, worker_id)
    _fail(session, worker, row, worker_id, error_message, error_details, retries, retry_timeout_ms)


def _fail(
    session: Session,
    worker: WorkerActor,
    row: ExternalTask,
    worker_id: str,
    error_message: str | None,
    error_details: str | None,
    retries: int,
    retry_timeout_ms: int,
) -> None:
    if not 0 <= retries <= MAX_RETRIES:
        raise Invalid("重试次数有误", {"retries": [f"应为 0 至 {MAX_RETRIES} 的整数"]})
    now = clock.now()
    with unit_of_work(session):
        done = session.execute(
            _RELEASE.where(
                ExternalTask.id == row.id, ExternalTask.state == TASK_OPEN, ExternalTask.worker_id == worker_id
            ).values(
                retries=retries,
                error_message=error_message,
                error_details=error_details,
                retry_at=now + timedelta(milliseconds=retry_timeout_ms),
                lock_expires_at=None,
            )
        )
        if cast(Any, done).rowcount != 1:
            raise Conflict(f"外部任务 {row.id} 已被其他 worker 办结或锁定")
        if retries == 0:
            case = session.get_one(CaseInstance, row.instance_id)
            detail = _event(row, worker, {}) | {"message": error_message or "", "details": error_details or ""}
            history.record(session, case, INCIDENT, detail=detail)
    if retries == 0:
        log.warning("external task incident: case %s task %s: %s", row.business_key, row.id, error_message)


def extend_lock(session: Session, worker: WorkerActor, task_id: str, worker_id: str, new_duration_ms: int) -> None:
    """Lock the task for `new_duration_ms` from now; only its worker, and only while the lock holds."""
    row = task_for(session, worker, task_id)
    _ensure_locked_by(row, worker_id)
    now = clock.now()
    with unit_of_work(session):
        done = session.execute(
            _RELEASE.where(
                ExternalTask.id == row.id,
                ExternalTask.state == TASK_OPEN,
                ExternalTask.worker_id == worker_id,
                ExternalTask.lock_expires_at > now,
            ).values(lock_expires_at=now + timedelta(milliseconds=new_duration_ms))
        )
        if cast(Any, done).rowcount != 1:
            raise Conflict(f"外部任务 {row.id} 的锁已过期或已被他人获取，不能延长")


def unlock(session: Session, worker: WorkerActor, task_id: str) -> None:
    """Clear the task's lock and worker: the next fetch may take it."""
    row = task_for(session, worker, task_id)
    with unit_of_work(session):
        session.execute(
            _RELEASE.where(ExternalTask.id == row.id, ExternalTask.state == TASK_OPEN).values(
                worker_id=None, lock_expires_at=None
            )
        )


def _case_of(session: Session, row: ExternalTask) -> CaseInstance:
    return session.get_one(CaseInstance, row.instance_id, options=[undefer(CaseInstance.state)], populate_existing=True)


def _event(row: ExternalTask, worker: WorkerActor, variables: Any) -> dict[str, Any]:
    return {"topic": row.topic, "activity": row.activity_name, "worker": worker.username, "variables": variables}


def _advance(
    session: Session, case: CaseInstance, row: ExternalTask, step: Callable[[Workflow, SpiffTask], bool]
) -> None:
    """Run `step(workflow, spiff_task)` on the case's workflow and write the step when it says it moved the
    flow, in one unit of work;
    a failure inside the flow rolls back whole and is kept for administrators, as a clerk's failed step is."""
    item = catalog().get(case.item_id)
    case_id, case_no = case.id, case.case_no
    try:
        with unit_of_work(session):
            spec, subprocess_specs = deployment.specs_of(case.definition)
            workflow = snapshot.load_state(case.state, spec, subprocess_specs)
            spiff_task = workflow.get_task_from_id(UUID(row.id))
            if spiff_task is None or spiff_task.state != TaskState.READY:
                raise Conflict("该外部任务已不在等待状态")
            if step(workflow, spiff_task):
                write_step(session, case, item, workflow)
    except DomainError:
        raise
    except Exception as exc:
        log.warning("step failed: case %s after external task %s: %s: %s", case_no, row.id, type(exc).__name__, exc)
        with unit_of_work(session):
            failed = session.get_one(CaseInstance, case_id)
            failed.last_error = history.error_text(exc)
            history.record(session, failed, history.ERROR, detail=history.failure(exc))
        raise StepFailed(f"流程在“{row.activity_name}”之后执行出错，办件停留在当前环节，已通知管理员") from exc


# --- listing ------------------------------------------------------------------------------------


def _listing(actor: Actor, filters: Filters) -> Select[ExternalTask]:
    query = select(ExternalTask).where(ExternalTask.state.in_(lifecycle.TASK_PENDING), _in_scope(actor))
    now = clock.now()
    conditions = {
        "ids": ExternalTask.id.in_(filters.ids or []),
        "topic": ExternalTask.topic == filters.topic,
        "worker_id": ExternalTask.worker_id == filters.worker_id,
        "locked": ExternalTask.lock_expires_at > now,
        "not_locked": or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at <= now),
        "with_retries_left": or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0),
        "no_retries_left": ExternalTask.retries == 0,
        "business_key": ExternalTask.business_key == filters.business_key,
        "process_instance_id": ExternalTask.instance_id == filters.process_instance_id,
        "activity_id": ExternalTask.activity_id == filters.activity_id,
        "priority_at_least": ExternalTask.priority >= (filters.priority_at_least or 0),
        "priority_at_most": ExternalTask.priority <= (filters.priority_at_most or 0),
    }
    for name, condition in conditions.items():
        value = getattr(filters, name)
        if value is not None and value is not False:
            query = query.where(condition)
    return query


def listing(session: Session, actor: Actor, filters: Filters) -> list[ExternalTask]:
    query = _listing(actor, filters).order_by(ExternalTask.created_at, ExternalTask.id)
    return list(session.scalars(query.offset(filters.first).limit(filters.max_results)))


def count(session: Session, actor: Actor, filters: Filters) -> int:
    return session.scalar(select(func.count()).select_from(_listing(actor, filters).subquery())) or 0


def admin_listing(
    session: Session, admin: Actor, incidents_only: bool, case_id: int | None = None
) -> list[ExternalTask]:
    """The pending external tasks of the administrator's scope (or of one case); `incidents_only`: those with no
    retries left, which no worker fetches until an administrator acts."""
    ensure_admin(admin)
    filters = Filters(no_retries_left=incidents_only, process_instance_id=case_id, max_results=500)
    return listing(session, admin, filters)
