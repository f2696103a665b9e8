"""Panels: a parallel multi-instance user task (专家评估, several 评审专家 scoring at once) wants as many different
people as instances, so one person may take only one instance of it in a case."""

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from engine.cases.lifecycle import TASK_CANCELLED
from engine.core.errors import Conflict
from engine.core.models import Task, User

# SpiffWorkflow names the task spec of each instance of a multi-instance activity so.
INSTANCE_SUFFIX = " [child]"

_ANOTHER_INSTANCE_OF_THE_USER = (
    select(Task.id)
    .where(
        Task.instance_id == bindparam("case_id"),
        Task.spec_name == bindparam("spec_name"),
        Task.id != bindparam("task_id"),
        Task.state != TASK_CANCELLED,
        or_(Task.assignee_id == bindparam("user_id"), Task.completed_by_id == bindparam("user_id")),
    )
    .limit(1)
)


def ensure_one_seat(session: Session, user: User, task: Task) -> None:
    """Refuse a claim of a panel's instance by someone holding or having worked another instance of it."""
    if not task.spec_name.endswith(INSTANCE_SUFFIX):
        return
    params = {"case_id": task.instance_id, "spec_name": task.spec_name, "task_id": task.id, "user_id": user.id}
    if session.scalar(_ANOTHER_INSTANCE_OF_THE_USER, params) is not None:
        raise Conflict(f"您已参加本件的“{task.title}”，每人只办理其中一份，请由其他人员认领")
