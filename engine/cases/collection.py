"""统一窗口出件 (seeds 002 §11, 004 §7: 前台一窗受理、后台分办联办、窗口统一出件).

Where a back office decides, the flow returns the case to the window that accepted it for 出件 (the shared
sub-flow `collection`, lane 受理窗口, form `collection`) on approval and on rejection alike; the case concludes
only after it. Completing that task records how the result reached the applicant — in person, by post with its
tracking number, or electronically — as a `Collection` of the unit that handed it out; the 办结通知 prints it.
"""

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.core.clock import clock
from engine.core.models import CaseInstance, Collection, Task

COLLECTION_FORM = "collection"

_LATEST_OF_CASE = (
    select(Collection)
    .where(Collection.instance_id == bindparam("case_id"))
    .order_by(Collection.collected_at.desc(), Collection.id.desc())
    .limit(1)
)


def after_completion(session: Session, case: CaseInstance, task: Task, values: dict[str, Any]) -> None:
    """Record the 出件 a just-completed task stands for, if it is one."""
    if task.form_key != COLLECTION_FORM:
        return
    session.add(
        Collection(
            instance_id=case.id,
            task_id=task.id,
            org_id=task.org_id,
            method=values["method"],
            tracking_no=values.get("tracking_no"),
            recipient=values.get("recipient"),
            note=values.get("note"),
            collected_at=clock.now(),
            collected_by_id=task.completed_by_id,
        )
    )


def collection_of(session: Session, case_id: int) -> Collection | None:
    """How the case's result was handed out (the latest 出件), or None before 出件."""
    return session.scalars(_LATEST_OF_CASE, {"case_id": case_id}).first()


def printed(session: Session, case_id: int) -> list[tuple[str, str]]:
    """The 出件 as the 办结通知 prints it (label, text); none for a case that concluded without one."""
    row = collection_of(session, case_id)
    if row is None:
        return []
    lines = [("出件方式", row.method)]
    if row.tracking_no:
        lines.append(("快递单号", row.tracking_no))
    if row.recipient:
        lines.append(("领取人", row.recipient))
    lines.append(("出件单位", row.org.name))
    return lines
