"""The next step for the same person: when a step opens a task for the very unit and role of whoever took it,
that task is claimed for them in the same unit of work, so that the page can go straight on to it
(继续办理下一环节) instead of sending them through 待认领 to claim their own work."""

from sqlalchemy.orm import Session

from engine.cases import history
from engine.cases.step import take_task
from engine.core.models import Task, User
from engine.org.permissions import is_candidate
from engine.tasks.panels import INSTANCE_SUFFIX
from engine.tasks.projection import TaskRow


def claim_for(session: Session, user: User, created: list[TaskRow]) -> Task | None:
    """Claim for `user` the first of the step's new tasks they may work; None when there is none.

    A panel's instance (several people scoring at once) is left to be claimed: who sits on it is a choice."""
    for row in created:
        task = session.get(Task, row["id"])
        if task is None or task.spec_name.endswith(INSTANCE_SUFFIX) or not is_candidate(user, task):
            continue
        take_task(session, task, user)
        history.record(session, task.instance, "claimed", user, task)
        return task
    return None
