"""移交 and 归档 as records: which materials went from which unit to which, when, by whom, and
their archiving once the 档案管理员 confirms it.

One rule, applied to every completed task (engine/tasks.py): a task with the 移交 form (or 邮寄受理材料) records a
transfer to the unit that received the next task (the unit engine.routing chose for it); a task
with the 归档 form confirms the latest transfer to its own unit as archived.
"""

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.core.clock import clock
from engine.core.errors import StepFailed
from engine.core.models import AuditEvent, CaseInstance, Task, Transfer
from engine.tasks.projection import TaskRow

HANDOVER_FORM = "handover"
MAILING_FORM = "materials_mailing"  # 邮寄受理材料 (福州 手工报销): a 移交 by post
ARCHIVE_FORM = "archive"
BY_POST = "邮寄"


def after_completion(
    session: Session, case: CaseInstance, task: Task, values: dict[str, Any], next_tasks: list[TaskRow]
) -> None:
    """Write the transfer or archive confirmation a just-completed task stands for, if any."""
    if task.form_key in (HANDOVER_FORM, MAILING_FORM):
        record_transfer(session, case, task, values, next_tasks)
    elif task.form_key == ARCHIVE_FORM:
        confirm_archive(session, case, task, values)


def record_transfer(
    session: Session, case: CaseInstance, task: Task, values: dict[str, Any], next_tasks: list[TaskRow]
) -> Transfer:
    if not next_tasks:
        raise StepFailed(f"“{task.title}”之后流程没有接收单位，无法移交：请检查流程图")
    transfer = Transfer(
        instance_id=case.id,
        task_id=task.id,
        materials=materials_received(session, case),
        method=values.get("method", BY_POST),
        tracking_no=values.get("tracking_no"),
        note=values.get("note"),
        from_org_id=task.org_id,
        to_org_id=next_tasks[0]["org_id"],
        handed_over_at=clock.now(),
        handed_over_by_id=task.completed_by_id,
    )
    session.add(transfer)
    return transfer


def confirm_archive(session: Session, case: CaseInstance, task: Task, values: dict[str, Any]) -> Transfer:
    transfer = session.scalars(
        select(Transfer)
        .where(Transfer.instance_id == case.id, Transfer.to_org_id == task.org_id, Transfer.archived_at.is_(None))
        .order_by(Transfer.id.desc())
        .limit(1)
    ).first()
    if transfer is None:
        raise StepFailed("没有移交到本单位、尚未归档的材料")
    transfer.archive_no = values["archive_no"]
    transfer.archive_location = values.get("location")
    transfer.archived_at = clock.now()
    transfer.archived_by_id = task.completed_by_id
    return transfer


_EVENTS_OF_CASE = (
    select(AuditEvent.action, AuditEvent.detail)
    .where(AuditEvent.instance_id == bindparam("case_id"))
    .order_by(AuditEvent.at, AuditEvent.id)
)


def materials_received(session: Session, case: CaseInstance) -> list[str]:
    """Materials taken in at acceptance plus every 补正 (the supplement form's `received`), in order."""
    received: list[str] = []
    for action, detail in session.execute(_EVENTS_OF_CASE, {"case_id": case.id}):
        if action == "accepted":
            received += detail.get("materials", [])
        elif action == "completed":
            received += detail.get("received", [])
    return list(dict.fromkeys(received))


def transfers_of(session: Session, case: CaseInstance) -> list[Transfer]:
    return list(session.scalars(select(Transfer).where(Transfer.instance_id == case.id).order_by(Transfer.id)))
