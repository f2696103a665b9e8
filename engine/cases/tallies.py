"""The SLA and 考核 counts per Asia/Shanghai day (and month) × unit × item × stage (`sla_count`), kept as steps happen.

A projection of the case history, as the task rows are of the workflow: written here, read by
`engine.reporting.daily`.

`history.record` hands every audit event to `note`, inside the step's unit of work; an event that is a fact
of the figures adds to its rows with an upsert (INSERT … ON CONFLICT DO UPDATE on PostgreSQL and SQLite alike),
so concurrent steps add to one row without losing a count; each day's counts add to the day's row and to its
month's. The counts:
- `closed` (`rectified` for a 差评's 整改 case), with `_on_time` / `_late`: a case that ended (办结, 不予受理,
  终止), at its accepting unit on the day it ended; on time when it ended before its limit, late at or after it;
- `stage_done`, `stage_on_time`, `stage_late`, `stage_working_days`: a completed task at the unit working it,
  under its title, judged by its own due instant, with the working days from the day it was created to the
  day it was completed;
- `approved` / `rejected`: a review decision (通过 / 不通过), at the unit of the user who made it;
- `supplement`: a case told to supplement (一次性告知), once, on the day of its first notice, at the accepting
  unit; `not_accepted`: a case ended 不予受理, at the accepting unit;
- `proxy`: an application accepted under a 委托 (帮办代办), at the accepting unit on the day of acceptance.
The case's own counts are kept under stage ''. `engine.reporting.rebuild` computes the same rows from the
raw rows (`flask --app wsgi sla rebuild`), for existing data and for repair.
"""

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import cast

from sqlalchemy import Executable, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.cases.lifecycle import NOT_ACCEPTED, TASK_COMPLETED
from engine.core.clock import SHANGHAI
from engine.core.models import CaseInstance, JSONObject, Rating, SlaCount, Task, User

Key = tuple[date, int, str, str]
Facts = dict[Key, dict[str, int]]
RowKey = tuple[str, date, int, str, str]
Rows = dict[RowKey, dict[str, int]]

DAY, MONTH = "day", "month"
CASE_STAGE = ""
KEY_COLUMNS = ("span", "day", "org_id", "item_id", "stage")
CLOSED = ("closed", "closed_on_time", "closed_late")
RECTIFIED = ("rectified", "rectified_on_time", "rectified_late")
STAGES = ("stage_done", "stage_on_time", "stage_late", "stage_working_days")
# Decisions of the review forms: stored value → count.
DECISIONS = {"approve": "approved", "reject": "rejected"}
COUNTS = (*CLOSED, *RECTIFIED, *STAGES, *DECISIONS.values(), "supplement", "not_accepted", "proxy")
ENDINGS = frozenset({"concluded", NOT_ACCEPTED, "terminated"})
NOTICE_FORM = "missing_materials_notice"
_TABLE = cast(Table, SlaCount.__table__)


def local_date(instant: datetime) -> date:
    return instant.astimezone(SHANGHAI).date()


def closure(completed_at: datetime, due_at: datetime | None, rectification: bool) -> dict[str, int]:
    """The counts of one ended case."""
    total, on_time, late = RECTIFIED if rectification else CLOSED
    if due_at is None:
        return {total: 1}
    return {total: 1, on_time if completed_at < due_at else late: 1}


def stage(created_at: datetime, completed_at: datetime, due_at: datetime | None) -> dict[str, int]:
    """The counts of one completed task."""
    days = workcalendar.default_calendar().working_days_between(local_date(created_at), local_date(completed_at))
    counts = {"stage_done": 1, "stage_working_days": days}
    if due_at is not None:
        counts["stage_on_time" if completed_at < due_at else "stage_late"] = 1
    return counts


def note(
    session: Session,
    case: CaseInstance,
    action: str,
    at: datetime,
    user: User | None,
    task: Task | None,
    detail: JSONObject,
) -> None:
    """Add what the event `action` of `case`, recorded at `at`, counts (most events count nothing)."""
    facts: Facts = {}
    if action in ENDINGS and case.completed_at is not None:
        rectification = session.scalar(_IS_RECTIFICATION, {"case_id": case.id}) is not None
        _add(facts, case_key(case, case.completed_at), closure(case.completed_at, case.due_at, rectification))
    if action == NOT_ACCEPTED:
        _add(facts, case_key(case, at), {"not_accepted": 1})
    if action == "completed" and task is not None:
        _note_completion(session, facts, case, at, user, task, detail)
    write(session, facts)


def note_mandate(session: Session, case: CaseInstance, accepted_at: datetime) -> None:
    """Count an application accepted under a 委托, when its mandate is recorded."""
    write(session, {case_key(case, accepted_at): {"proxy": 1}})


def _note_completion(
    session: Session, facts: Facts, case: CaseInstance, at: datetime, user: User | None, task: Task, detail: JSONObject
) -> None:
    if task.completed_at is not None:
        key = (local_date(task.completed_at), task.org_id, case.item_id, task.title)
        _add(facts, key, stage(task.created_at, task.completed_at, task.due_at))
    decision = detail.get("decision")
    if user is not None and isinstance(decision, str) and decision in DECISIONS:
        _add(facts, (local_date(at), user.org_id, case.item_id, task.title), {DECISIONS[decision]: 1})
    if (
        task.form_key == NOTICE_FORM
        and session.scalar(_EARLIER_NOTICE, {"case_id": case.id, "task_id": task.id}) is None
    ):
        _add(facts, case_key(case, at), {"supplement": 1})


def case_key(case: CaseInstance, at: datetime) -> Key:
    return (local_date(at), case.org_id, case.item_id, CASE_STAGE)


def _add(facts: Facts, key: Key, counts: Mapping[str, int]) -> None:
    entry = facts.setdefault(key, {})
    for name, value in counts.items():
        entry[name] = entry.get(name, 0) + value


def rows_of(facts: Facts) -> Rows:
    """Each day's counts as the rows they add to: the day's and its month's."""
    rows: Rows = {}
    for (day, org_id, item_id, stage), counts in facts.items():
        for span, start in ((DAY, day), (MONTH, day.replace(day=1))):
            entry = rows.setdefault((span, start, org_id, item_id, stage), {})
            for name, value in counts.items():
                entry[name] = entry.get(name, 0) + value
    return rows


_IS_RECTIFICATION = select(Rating.id).where(Rating.rectification_id == bindparam("case_id"))
_EARLIER_NOTICE = (
    select(Task.id)
    .where(
        Task.instance_id == bindparam("case_id"),
        Task.form_key == NOTICE_FORM,
        Task.state == TASK_COMPLETED,
        Task.id != bindparam("task_id"),
    )
    .limit(1)
)


@cache
def _upsert(dialect: str) -> Executable:
    """INSERT of a row's counts that adds them to the row already there, built once per dialect."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE).values({name: bindparam(name) for name in (*KEY_COLUMNS, *COUNTS)})
    return statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS),
        set_={name: _TABLE.c[name] + statement.excluded[name] for name in COUNTS},
    )


def write(session: Session, facts: Facts) -> None:
    """Add days' counts to their rows."""
    write_rows(session, rows_of(facts))


def write_rows(session: Session, rows: Rows) -> None:
    """Add counts to rows with one statement, the rows in one order for every writer so that concurrent steps
    never wait on each other's rows crosswise."""
    if rows:
        values = [
            dict(zip(KEY_COLUMNS, key, strict=True)) | {name: counts.get(name, 0) for name in COUNTS}
            for key, counts in sorted(rows.items())
        ]
        session.connection().execute(_upsert(session.get_bind().dialect.name), values)
