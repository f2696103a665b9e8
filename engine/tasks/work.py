"""Work on tasks: the inbox, claiming, releasing and completing. One unit of work per call."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Select, bindparam, func, literal, select
from sqlalchemy.orm import Session, joinedload, selectinload, undefer
from sqlalchemy.orm.interfaces import ORMOption

from engine.bpmn import deployment
from engine.cases import collection, deadlines, history, lifecycle, money, transfers
from engine.cases.lifecycle import TASK_OPEN
from engine.cases.step import complete_task, take_task, write_step
from engine.catalogue.flows import catalog
from engine.catalogue.items import Item
from engine.core.clock import clock
from engine.core.errors import Conflict, DomainError, Forbidden, NotFound, StepFailed, Unavailable
from engine.core.models import CaseInstance, Task, User
from engine.core.typing import Workflow
from engine.core.uow import unit_of_work
from engine.org.permissions import CANDIDATE_CONDITION, candidate_params, is_candidate, may_open_task
from engine.tasks import continuation, panels
from engine.tasks.projection import TaskRow
from engine.workflow import snapshot
from forms.registry import FormInvalid, clean

log = logging.getLogger("yibao.steps")

CANDIDATE = "candidate"
MINE = "mine"


@dataclass
class Page:
    items: list[Task]
    total: int
    page: int
    per_page: int


def inbox(
    session: Session,
    user: User,
    view: str,
    page: int = 1,
    per_page: int = 20,
    *,
    item_id: str | None = None,
    overdue_only: bool = False,
    latest_due_first: bool = False,
) -> Page:
    """待认领 (open, unclaimed, a role the user holds at their unit) or 我的待办 (claimed by them).

    Optionally only one item's tasks, or only those past their due instant; earliest due first
    unless `latest_due_first`. Tasks without a limit always come last.

    The page's ids come first, from the inbox index in its order (`ix_task_inbox`, `ix_task_assignee`: a deep
    page skips index entries, not rows); then only those tasks are read, with their cases.
    """
    ids_query, count_query = _inbox_queries(view, bool(item_id), overdue_only, latest_due_first)
    params = {**candidate_params(user), "user_id": user.id, "item_id": item_id, "now": clock.now()}
    ids = session.scalars(ids_query, {**params, "limit": per_page, "offset": (page - 1) * per_page}).all()
    found = {task.id: task for task in session.scalars(_PAGE_ROWS, {"ids": list(ids)})} if ids else {}
    rows = [found[task_id] for task_id in ids if task_id in found]
    if page == 1 and len(rows) < per_page:
        total = len(rows)
    else:
        total = session.scalar(count_query, params) or 0
    return Page(rows, total, page, per_page)


# Open as a constant, so that the planner takes the inbox indexes, which hold open tasks only.
OPEN = Task.state == literal(TASK_OPEN, literal_execute=True)
_PAGE_ROWS = select(Task).options(selectinload(Task.instance)).where(Task.id.in_(bindparam("ids", expanding=True)))


@cache
def _inbox_queries(
    view: str, by_item: bool, overdue_only: bool, latest_due_first: bool
) -> tuple[Select[str], Select[int]]:
    """(page ids, count) statements for one combination of inbox options, built once and bound per call."""
    if view == MINE:
        condition = (Task.assignee_id == bindparam("user_id")) & OPEN
    else:
        condition = CANDIDATE_CONDITION & OPEN & Task.assignee_id.is_(None)
    if by_item:
        condition &= Task.instance_id.in_(select(CaseInstance.id).where(CaseInstance.item_id == bindparam("item_id")))
    if overdue_only:
        condition &= Task.due_at <= bindparam("now")
    due_order = Task.due_at.desc() if latest_due_first else Task.due_at.asc()
    ids = (
        select(Task.id)
        .where(condition)
        .order_by(due_order.nulls_last(), Task.created_at)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return ids, select(func.count()).select_from(Task).where(condition)


# Completing a task needs its case's workflow state, process version and accepting unit:
# loaded with the task in one query.
WITH_CASE_STATE = (
    joinedload(Task.instance).options(
        undefer(CaseInstance.state), joinedload(CaseInstance.definition), joinedload(CaseInstance.org)
    ),
)


def task_for(session: Session, user: User, task_id: str, options: Sequence[ORMOption] = ()) -> Task:
    """A task the user may see: candidates and the holder; others are told it does not exist."""
    task = session.get(Task, task_id, options=options)
    if task is None or not may_open_task(user, task):
        raise NotFound("任务不存在或无权查看")
    return task


def claim(session: Session, user: User, task_id: str) -> Task:
    """Take an open task one may work; claiming one's own task again, however often and at once, is no change.

    The first of concurrent claims takes it (`take_task`: one UPDATE only an unclaimed open task passes) and
    records the one `claimed` event; every other claim, refused by that UPDATE or by the store while it waited,
    reads the row afresh and answers the task when it is now the caller's, so the holder is never told it is
    someone else's.
    """
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("任务不存在")
    if not is_candidate(user, task):
        raise Forbidden("您不是该任务的办理人")
    if task.assignee_id == user.id and task.state == TASK_OPEN:
        return task
    panels.ensure_one_seat(session, user, task)
    try:
        with unit_of_work(session):
            take_task(session, task, user)
            history.record(session, task.instance, "claimed", user, task)
    except (Conflict, Unavailable):
        session.refresh(task)  # the unit of work rolled back: read the row as the winner committed it
        if task.assignee_id != user.id or task.state != TASK_OPEN:
            raise
    return task


def release(session: Session, user: User, task_id: str) -> Task:
    task = task_for(session, user, task_id)
    if task.state != TASK_OPEN or task.assignee_id != user.id:
        raise Conflict("只能释放自己认领且未办结的任务")
    with unit_of_work(session):
        task.assignee_id = None
        history.record(session, task.instance, "released", user, task)
    return task


def complete(session: Session, user: User, task_id: str, data: dict[str, Any], claim_next: bool = False) -> Task:
    """Complete the holder's task with validated form data and advance the case.

    The workflow state, the task rows and the audit event commit together; the case's
    version counter makes a second, concurrent completion fail with a conflict. `claim_next`: a next task for the
    holder's own unit and role is claimed for them in the same unit of work (`continuation`).
    """
    task = task_for(session, user, task_id, WITH_CASE_STATE)
    if task.state != TASK_OPEN:
        raise Conflict("该任务已办结或已取消")
    if task.assignee_id != user.id:
        raise Conflict("请先认领该任务" if task.assignee_id is None else "该任务已被他人认领")
    values = clean(task.form_key, data, today=clock.now().date())
    case = task.instance
    lifecycle.ensure_allowed(case, "complete")
    item = catalog().get(case.item_id)
    case_id, case_no, title = case.id, case.case_no, task.title
    try:
        with unit_of_work(session):
            workflow = _advanced(session, case, item, task, values)
            next_tasks = _write_completion(session, case, item, workflow, task, user, values)
            if claim_next:
                continuation.claim_for(session, user, next_tasks)
    except (DomainError, FormInvalid):
        raise
    except Exception as exc:
        log.warning("step failed: case %s after task %s: %s: %s", case_no, task_id, type(exc).__name__, exc)
        _record_failure(session, case_id, user, task_id, exc)
        raise StepFailed(f"流程在“{title}”之后执行出错，办件停留在当前环节，已通知管理员") from exc
    return task


def _advanced(session: Session, case: CaseInstance, item: Item, task: Task, values: dict[str, Any]) -> Workflow:
    """The case's workflow with the task completed and the engine run on to the next wait."""
    spec, subprocess_specs = deployment.specs_of(case.definition)
    workflow = snapshot.load_state(case.state, spec, subprocess_specs)
    spiff_task = workflow.get_task_from_id(UUID(task.id))
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise Conflict("该任务已不在待办状态")
    approved = money.amount(spiff_task.data.get("approved_amount"))
    details = spiff_task.data.get("details") or {}
    money.check_step(
        task.form_key, values, details, [approved] if approved else [], money.settlement_of(spiff_task.data)
    )
    spiff_task.data.update(values)
    deadlines.apply_clock_rule(session, case, item, spiff_task.task_spec, spiff_task.data)
    spiff_task.run()
    workflow.do_engine_steps()
    return workflow


def _write_completion(
    session: Session,
    case: CaseInstance,
    item: Item,
    workflow: Workflow,
    task: Task,
    user: User,
    values: dict[str, Any],
) -> list[TaskRow]:
    """The completion's writes: the task row, its event, the case with what follows, and any 移交/归档/出件;
    the task rows the step opened."""
    complete_task(session, task, user)
    history.record(session, case, "completed", user, task, detail=values)
    if task.form_key in money.REVIEWS and values.get("decision") != money.APPROVE:
        money.release_invoices(session, case.id)
    next_tasks = write_step(session, case, item, workflow)
    transfers.after_completion(session, case, task, values, next_tasks)
    collection.after_completion(session, case, task, values)
    return next_tasks


def held_tasks(user: User, open_tasks: Sequence[Task]) -> list[Task]:
    """The open tasks of a case the user holds (claimed), which their case page offers to go on with."""
    return [task for task in open_tasks if task.assignee_id == user.id and task.state == TASK_OPEN]


def _record_failure(session: Session, case_id: int, user: User, task_id: str, exc: Exception) -> None:
    """Keep the error visible to administrators, in a unit of work of its own."""
    with unit_of_work(session):
        case = session.get_one(CaseInstance, case_id)
        task = session.get(Task, task_id)
        case.last_error = history.error_text(exc)
        history.record(session, case, history.ERROR, user, task, detail=history.failure(exc))
