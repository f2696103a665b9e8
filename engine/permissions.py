"""Who may do what. Every permission rule of the product lives here."""
from sqlalchemy import and_, or_

from engine.errors import Forbidden
from engine.models import OrgUnit, Task, User
from engine.routing import window_role

DESIGNER = "designer"
ADMIN = "admin"


def is_candidate(user: User, task: Task) -> bool:
    """A user may work a task when they hold its role at the unit the task belongs to."""
    return user.active and task.org_id == user.org_id and task.role in user.roles


def candidate_filter(user: User):
    """The same rule as `is_candidate`, as a SQL condition for inbox queries."""
    return and_(Task.org_id == user.org_id, Task.role.in_(sorted(user.roles)))


def may_see_case(user: User, case_org_id: int, task_org_ids: set[int]) -> bool:
    """Administrators see every case; others the cases their unit accepted or holds a task of."""
    return ADMIN in user.roles or user.org_id == case_org_id or user.org_id in task_org_ids


def ensure_may_accept(user: User, unit: OrgUnit) -> None:
    """Cases are accepted at one's own unit by whoever holds that unit's window role."""
    if unit.id != user.org_id or window_role(unit) not in user.roles:
        raise Forbidden(f"您没有在{unit.name}受理办件的权限")


def ensure_designer(user: User) -> None:
    if DESIGNER not in user.roles:
        raise Forbidden("只有流程设计员可以部署流程")


def ensure_admin(user: User) -> None:
    if ADMIN not in user.roles:
        raise Forbidden("只有系统管理员可以执行此操作")


def visible_tasks_filter(user: User):
    """Tasks a user may open: those they are candidate for, plus those they hold."""
    return or_(candidate_filter(user), Task.assignee_id == user.id)
