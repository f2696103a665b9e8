"""Finding cases: the filtered, paginated case listing, in SQL whatever the number of cases.

Dates in filters are calendar days in Asia/Shanghai; a day range includes both ends.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from engine.cases.deadlines import DeadlineStatus, deadline_status
from engine.cases.lifecycle import RUNNING, TASK_OPEN
from engine.core.clock import SHANGHAI, clock
from engine.core.errors import Invalid
from engine.core.models import CaseInstance, OrgUnit, Task, User
from engine.org.permissions import visible_cases_filter


@dataclass(frozen=True)
class CaseFilter:
    item: str | None = None
    org: str | None = None
    status: str | None = None
    overdue: bool = False
    due_before: date | None = None
    started_from: date | None = None
    started_to: date | None = None


@dataclass
class CasePage:
    items: list[CaseInstance]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class ListedCase:
    """A case as a listing shows it: its own limit and the limits of its open steps."""

    case: CaseInstance
    deadline: DeadlineStatus
    steps: list[tuple[Task, DeadlineStatus]]

    @property
    def running(self) -> bool:
        return self.case.status == RUNNING

    @property
    def overdue(self) -> bool:
        """A running case is 已超期 when its own limit or any open step's limit has passed."""
        return self.running and (self.deadline.overdue or any(status.overdue for _, status in self.steps))

    @property
    def warning(self) -> bool:
        return (
            self.running
            and not self.overdue
            and (self.deadline.warning or any(status.warning for _, status in self.steps))
        )


def day_start(day: date) -> datetime:
    """00:00 of a day in Asia/Shanghai."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def unit_by_code(session: Session, code: str, field: str = "org") -> OrgUnit:
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == code)).first()
    if unit is None:
        raise Invalid("单位不存在", {field: [f"未知单位编码：{code}"]})
    return unit


def units_at_or_below(session: Session, unit: OrgUnit) -> list[int]:
    """Ids of a unit and every unit under it (the org tree is small; cases never are)."""
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in session.execute(select(OrgUnit.id, OrgUnit.parent_id)):
        children.setdefault(parent_id, []).append(unit_id)
    found, pending = [], [unit.id]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def overdue_case_condition(now: datetime) -> ColumnElement[bool]:
    """A running case is overdue once its own limit or the limit of one of its open tasks has passed."""
    late_task = exists().where(Task.instance_id == CaseInstance.id, Task.state == TASK_OPEN, Task.due_at <= now)
    return and_(CaseInstance.status == RUNNING, or_(CaseInstance.due_at <= now, late_task))


def list_cases(session: Session, user: User, filters: CaseFilter, page: int = 1, per_page: int = 20) -> CasePage:
    """The cases a user may see that match `filters`, newest first.

    `org` takes the accepting unit and the units under it; `due_before` keeps cases whose limit
    expires before that day begins; `started_from`/`started_to` bound the day of acceptance.
    """
    conditions = [visible_cases_filter(user)]
    if filters.item:
        conditions.append(CaseInstance.item_id == filters.item)
    if filters.org:
        conditions.append(CaseInstance.org_id.in_(units_at_or_below(session, unit_by_code(session, filters.org))))
    if filters.status:
        conditions.append(CaseInstance.status == filters.status)
    if filters.overdue:
        conditions.append(overdue_case_condition(clock.now()))
    if filters.due_before:
        conditions.append(CaseInstance.due_at < day_start(filters.due_before))
    if filters.started_from:
        conditions.append(CaseInstance.started_at >= day_start(filters.started_from))
    if filters.started_to:
        conditions.append(CaseInstance.started_at < day_start(filters.started_to + timedelta(days=1)))
    condition = and_(*conditions)
    total = session.scalar(select(func.count()).select_from(CaseInstance).where(condition)) or 0
    rows = session.scalars(
        select(CaseInstance)
        .options(joinedload(CaseInstance.org))
        .where(condition)
        .order_by(CaseInstance.started_at.desc(), CaseInstance.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return CasePage(list(rows), total, page, per_page)


def listed_cases(session: Session, cases: list[CaseInstance]) -> list[ListedCase]:
    """The deadlines of a page of cases and of their open steps, in one query whatever the page size."""
    steps: dict[int, list[tuple[Task, DeadlineStatus]]] = {case.id: [] for case in cases}
    if cases:
        open_tasks = session.scalars(
            select(Task).where(Task.instance_id.in_(steps), Task.state == TASK_OPEN).order_by(Task.created_at, Task.id)
        ).all()
        for task in open_tasks:
            steps[task.instance_id].append((task, deadline_status(task.due_at, task.warn_at)))
    return [ListedCase(case, deadline_status(case.due_at, None), steps[case.id]) for case in cases]
