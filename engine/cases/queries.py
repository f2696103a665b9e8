"""Finding cases: the filtered, paginated case listing, in SQL whatever the number of cases.

Dates in filters are calendar days in Asia/Shanghai; a day range includes both ends. A search text
(`q`) matches the case number or the applicant by `case_search_condition`, the one rule of what a
typed text can be; the cases a window accepted (`cases_accepted_by`) and the other cases of one
applicant (`cases_of_applicant`) are listings of their own. Every listing keeps to what the caller
may see (`visible_cases_scope`), read as its `CaseScope` rows in the listing's order; counts stop at
`COUNT_CAP`.
"""

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from engine.cases import overdue, supplements, waits
from engine.cases.deadlines import DeadlineStatus, deadline_status
from engine.cases.lifecycle import ENDED, RUNNING, TASK_OPEN
from engine.core.clock import SHANGHAI, clock
from engine.core.errors import Invalid
from engine.core.models import CaseInstance, CaseScope, CaseScopeDeadline, MessageWait, OrgUnit, Task, User
from engine.org.permissions import ListingScope, visible_cases_scope


@dataclass(frozen=True)
class CaseFilter:
    item: str | None = None
    org: str | None = None
    status: str | None = None
    overdue: bool = False
    due_before: date | None = None
    started_from: date | None = None
    started_to: date | None = None
    q: str | None = None


COUNT_CAP = 10_000
"""Listings count their cases up to this many; beyond it they say "10,000+" (`total_capped`), not scan them all."""


@dataclass
class CasePage:
    items: list[CaseInstance]
    total: int
    page: int
    per_page: int
    total_capped: bool = False
    """True when more than `COUNT_CAP` cases match: `total` is then `COUNT_CAP`."""


@dataclass(frozen=True)
class ListedCase:
    """A case as a listing shows it: its own limit and the limits of its open steps."""

    case: CaseInstance
    deadline: DeadlineStatus
    steps: list[tuple[Task, DeadlineStatus]]
    waits: list[MessageWait] = field(default_factory=list)
    """The messages a running case waits for (`engine.cases.waits`): shown, so that a wait is no silent stall."""
    status_label: str = ""
    """The status in words (`supplements.status_label`): 待补正 while the materials are incomplete."""

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


# --- Search ---------------------------------------------------------------------------------

SEARCH_MAX_LENGTH = 60
"""The longest search text: an applicant's name is kept in at most 60 characters."""
SEARCH_HINT = "请输入办件编号、申请人姓名、身份证号或手机号"

_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_MOBILE = re.compile(r"1[0-9]{10}", re.ASCII)
_CASE_NUMBER_PART = re.compile(r"[0-9][0-9-]*", re.ASCII)


def search_text(q: str | None) -> str:
    """The search text as the rule reads it: without surrounding spaces, 1 to `SEARCH_MAX_LENGTH` characters."""
    text = (q or "").strip()
    if not text:
        raise Invalid("请输入查找内容", {"q": [SEARCH_HINT]})
    if len(text) > SEARCH_MAX_LENGTH:
        raise Invalid("查找内容过长", {"q": [f"查找内容不能超过{SEARCH_MAX_LENGTH}个字"]})
    return text


def case_search_condition(q: str) -> ColumnElement[bool]:
    """Which cases a typed search text finds, each column by an indexed equality or prefix range.

    - 18 characters, 17 digits and a digit or X (x typed in lower case too): the applicant's ID number;
    - 11 digits starting with 1: the applicant's mobile;
    - digits and "-" (a case number such as 360981-20261008-000001, or its beginning): the case number;
    - anything else: the applicant's name, exactly, or a case number beginning so.
    Spaces typed inside a number (3609 8119 ...) are dropped. No condition reads a column's middle.
    """
    kind, text = _search_kind(q)
    if kind == "id_number":
        return CaseInstance.applicant_id_number == text
    if kind == "mobile":
        return CaseInstance.applicant_mobile == text
    if kind == "case_number":
        return _case_number_from(text)
    return or_(CaseInstance.applicant_name == text, _case_number_from(text))


def searches_case_numbers(q: str) -> bool:
    """True when the text is a case number or its beginning: such a search lists by case number, latest first."""
    return _search_kind(q)[0] == "case_number"


def _search_kind(q: str) -> tuple[str, str]:
    """What a search text stands for (`case_search_condition`), and the text that is compared."""
    text = search_text(q)
    compact = text.replace(" ", "").upper()
    for kind, pattern in (("id_number", _ID_NUMBER), ("mobile", _MOBILE), ("case_number", _CASE_NUMBER_PART)):
        if pattern.fullmatch(compact):
            return kind, compact
    return "name", text


def _case_number_from(prefix: str) -> ColumnElement[bool]:
    """Case numbers beginning with `prefix` (the whole number included), as a range the unique index serves.

    In the store's binary (C) ordering the range holds exactly those numbers; the LIKE keeps the answer
    exact under any other collation.
    """
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(
        CaseInstance.case_no >= prefix,
        CaseInstance.case_no < after,
        CaseInstance.case_no.startswith(prefix, autoescape=True),
    )


# --- Listings ---------------------------------------------------------------------------------


def list_cases(session: Session, user: User, filters: CaseFilter, page: int = 1, per_page: int = 20) -> CasePage:
    """The cases a user may see that match `filters`, newest first; overdue ones longest overdue first.

    `org` takes the accepting unit and the units under it; `due_before` keeps cases whose limit
    expires before that day begins; `started_from`/`started_to` bound the day of acceptance;
    `q` is a search text (`case_search_condition`).
    """
    scope = visible_cases_scope(user)
    conditions: list[ColumnElement[bool]] = []
    if filters.q is not None:
        conditions.append(case_search_condition(filters.q))
    if filters.item:
        conditions.append(CaseInstance.item_id == filters.item)
    if filters.org:
        conditions.append(CaseInstance.org_id.in_(units_at_or_below(session, unit_by_code(session, filters.org))))
    if filters.status:
        conditions.append(CaseInstance.status == filters.status)
    if filters.due_before:
        conditions.append(CaseInstance.due_at < day_start(filters.due_before))
    if filters.started_from:
        conditions.append(CaseInstance.started_at >= day_start(filters.started_from))
    if filters.started_to:
        conditions.append(CaseInstance.started_at < day_start(filters.started_to + timedelta(days=1)))
    where = and_(*conditions) if conditions else None
    return _listing_page(session, scope, where, page, per_page, listing_order(filters))


class Order(enum.Enum):
    """How a listing is ordered; each reads an index in its own order, or sorts what a search found.

    - NEWEST: acceptance, latest first (`ix_case_instance_started`, `ix_case_scope_listing`);
    - LONGEST_OVERDUE: the overdue cases only (`?overdue=true`), by the passed deadline, earliest first, then the
      case id: the order a 督办员 works them in and that of the overdue indexes, whose range holds exactly them.
      Newest first it would sort every overdue case of the scope (a quarter of a million at a province) for each
      page;
    - BY_CASE_NUMBER: the number, latest first: the order of the unique index whose range the search reads, and
      for one region's day (360981-20261108) the order of acceptance;
    - FOUND_NEWEST: newest first among what a search found, sorted when it found at most `COUNT_CAP` cases.
    Walking the newest-first order instead, the planner would filter every case newer than the ones a search finds
    (a day's case numbers a year back: half a million), guessing them spread evenly over time.
    """

    NEWEST = "newest"
    LONGEST_OVERDUE = "longest_overdue"
    BY_CASE_NUMBER = "by_case_number"
    FOUND_NEWEST = "found_newest"


def listing_order(filters: CaseFilter) -> Order:
    """The order of a listing under these filters."""
    if filters.overdue:
        return Order.LONGEST_OVERDUE
    if filters.q is None:
        return Order.NEWEST
    return Order.BY_CASE_NUMBER if searches_case_numbers(filters.q) else Order.FOUND_NEWEST


def _listing_page(
    session: Session,
    scope: ListingScope | None,
    condition: ColumnElement[bool] | None,
    page: int,
    per_page: int,
    order_by: Order = Order.NEWEST,
) -> CasePage:
    """A page of the cases of `scope` (None: every case) matching `condition`, in the order `order_by`, and their
    count up to `COUNT_CAP`. A scope is read as its `CaseScope` rows, in the listing's order
    (`ix_case_scope_listing`); the overdue listing reads the scope's `CaseScopeDeadline` rows past their deadline
    instead (`ix_case_scope_deadline_overdue`); every case as `ix_case_instance_started` (overdue:
    `ix_case_instance_overdue`). So a page reads about as many rows as it skips and shows."""
    longest_overdue_first = order_by is Order.LONGEST_OVERDUE
    where = () if condition is None else (condition,)
    if scope is None:
        if longest_overdue_first:
            where = (*where, overdue.overdue_case_condition(clock.now()))
        ids = select(CaseInstance.id).where(*where)
        counting = ids
        order: tuple[ColumnElement[Any], ...] = (CaseInstance.started_at.desc(), CaseInstance.id.desc())
        if longest_overdue_first:
            order = (CaseInstance.next_deadline.asc(), CaseInstance.id.asc())
    else:
        held = CaseScopeDeadline if longest_overdue_first else CaseScope
        past_deadline = (overdue.overdue_scope_condition(clock.now()),) if longest_overdue_first else ()
        rows_of_scope = (held.org_id == scope.org_id, held.subtree == scope.subtree, *past_deadline)
        ids = select(CaseInstance.id).join(held, held.instance_id == CaseInstance.id).where(*rows_of_scope, *where)
        # counted from the scope's rows alone when no condition reads the case row
        counting = ids if condition is not None else select(held.instance_id).where(*rows_of_scope)
        order = (CaseScope.started_at.desc(), CaseScope.instance_id.desc())
        if longest_overdue_first:
            order = (CaseScopeDeadline.deadline.asc(), CaseScopeDeadline.instance_id.asc())
    counted = session.scalar(select(func.count()).select_from(counting.limit(COUNT_CAP + 1).subquery())) or 0
    listed = ids.with_only_columns(CaseInstance)
    if order_by is Order.BY_CASE_NUMBER:
        order = (CaseInstance.case_no.desc(),)
    elif order_by is Order.FOUND_NEWEST and counted <= COUNT_CAP:
        found = ids.with_only_columns(CaseInstance.id, CaseInstance.started_at).limit(COUNT_CAP + 1).subquery()
        listed = select(CaseInstance).join(found, found.c.id == CaseInstance.id)
        order = (found.c.started_at.desc(), found.c.id.desc())
    rows = session.scalars(
        listed.options(joinedload(CaseInstance.org)).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return CasePage(list(rows), min(counted, COUNT_CAP), page, per_page, total_capped=counted > COUNT_CAP)


@dataclass
class ListedPage:
    """A page of listed cases, each with its open steps and who holds them."""

    items: list[ListedCase]
    total: int
    page: int
    per_page: int
    total_capped: bool = False


def cases_accepted_by(session: Session, user: User, page: int = 1, per_page: int = 20) -> ListedPage:
    """The cases the user's unit accepted (我受理的办件), newest first, with their open steps and holders.

    A window reads them to follow what it accepted after the case left it; the open steps of the page
    come in one query (`listed_cases`).
    """
    own = ListingScope(user.org_id, subtree=False)
    found = _listing_page(session, own, CaseInstance.org_id == user.org_id, page, per_page)
    return ListedPage(listed_cases(session, found.items), found.total, found.page, found.per_page, found.total_capped)


APPLICANT_CASES_LIMIT = 50


def cases_of_applicant(
    session: Session, user: User, id_number: str | None, except_case_id: int | None = None
) -> ListedPage:
    """The cases of the applicant with this ID number that the user may see, but `except_case_id`, newest first.

    One page of at most `APPLICANT_CASES_LIMIT`; `total` counts them all. No ID number finds none.
    """
    if not id_number:
        return ListedPage([], 0, 1, APPLICANT_CASES_LIMIT)
    conditions = [CaseInstance.applicant_id_number == id_number.strip().upper()]
    if except_case_id is not None:
        conditions.append(CaseInstance.id != except_case_id)
    found = _listing_page(session, visible_cases_scope(user), and_(*conditions), 1, APPLICANT_CASES_LIMIT)
    return ListedPage(listed_cases(session, found.items), found.total, found.page, found.per_page)


def listed_cases(session: Session, cases: list[CaseInstance]) -> list[ListedCase]:
    """The deadlines of a page of cases, their open steps with their assignees and the messages they wait for, in
    two queries whatever the page size."""
    steps: dict[int, list[tuple[Task, DeadlineStatus]]] = {case.id: [] for case in cases}
    waiting = waits.waits_of_cases(session, [case.id for case in cases if case.status not in ENDED])
    if cases:
        open_tasks = session.scalars(
            select(Task)
            .options(joinedload(Task.assignee))
            .where(Task.instance_id.in_(steps), Task.state == TASK_OPEN)
            .order_by(Task.created_at, Task.id)
        ).all()
        for task in open_tasks:
            steps[task.instance_id].append((task, deadline_status(task.due_at, task.warn_at)))
    awaiting = supplements.awaiting_supplement(session, [case.id for case in cases])
    return [
        ListedCase(
            case,
            deadline_status(None if case.id in awaiting else case.due_at, None),
            steps[case.id],
            waiting.get(case.id, []),
            supplements.status_label(case, case.id in awaiting),
        )
        for case in cases
    ]
