"""The audit trail of a case: who did what, when, at which unit."""

from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from engine.core.clock import clock
from engine.core.models import AuditEvent, CaseInstance, JSONObject, Task, User

_INSERT_EVENT = cast(Table, AuditEvent.__table__).insert()

ACTION_LABELS = {
    "accepted": "受理",
    "claimed": "认领",
    "released": "释放",
    "completed": "办理",
    "concluded": "办结",
    "error": "流程出错",
    "timer_fired": "时限提醒",
    "clock_paused": "补正期间暂停计时",
    "clock_restarted": "补正后重新计时",
    "deadline_recomputed": "节假日调整后重算时限",
    "rated": "好差评",
    "rectification_opened": "差评整改",
    "attachment_added": "上传附件",
    "attachment_viewed": "查看附件",
    "attachment_deleted": "删除附件",
}


def record(
    session: Session,
    case: CaseInstance,
    action: str,
    user: User | None = None,
    task: Task | None = None,
    detail: JSONObject | None = None,
) -> None:
    """Append an event to the case's history, inside the caller's unit of work.

    Events are only ever appended, so they go straight to the database as a plain INSERT instead
    of through the session's change tracking, which costs several times more per row.
    """
    session.connection().execute(
        _INSERT_EVENT,
        {
            "instance_id": case.id,
            "at": clock.now(),
            "action": action,
            "user_id": user.id if user else None,
            "org_id": user.org_id if user else None,
            "task_id": task.id if task else None,
            "task_title": task.title if task else None,
            "detail": detail or {},
        },
    )
