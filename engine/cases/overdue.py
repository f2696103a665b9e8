"""The overdue condition as data: each case keeps its next deadline, so "overdue now" is one index range.

A running case is 已超期 once its own limit or the limit of one of its open tasks has passed. Both are instants
fixed when a step writes them, so the earliest of them is kept in `CaseInstance.next_deadline` by every writer
of a deadline or a task row (the step writer, suspension, resumption, a holiday notice's recomputation), and
"overdue now" is `status = 'running' AND next_deadline <= now` (index `ix_case_instance_overdue`, of running cases
only, in the overdue listing's order: longest overdue first), not a probe of
each running case's tasks. Time passing needs no write: the column holds an instant, the query brings the now.
While the case runs, each of its `CaseScope` rows has a `CaseScopeDeadline` row with the same instant, so that the
overdue cases of one unit's or subtree's listing are one range of `ix_case_scope_deadline_overdue`, not the scope
joined to all of them; the rows go once the case ends or has no deadline left.
"""

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, exists, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.cases.lifecycle import ENDED, RUNNING, TASK_PENDING
from engine.core.models import CaseInstance, CaseScope, CaseScopeDeadline, Task

_EARLIEST_TASK_DUE = select(func.min(Task.due_at)).where(
    Task.instance_id == bindparam("case_id"), Task.state.in_(TASK_PENDING)
)
_CASES = cast(Table, CaseInstance.__table__)
_WRITE = _CASES.update().where(_CASES.c.id == bindparam("case_id")).values(next_deadline=bindparam("next_deadline"))
_SCOPES, _DEADLINES = cast(Table, CaseScope.__table__), cast(Table, CaseScopeDeadline.__table__)
_OF_CASE = _DEADLINES.c.instance_id == bindparam("case_id")
_DROP_DEADLINES = _DEADLINES.delete().where(_OF_CASE)
_MOVE_DEADLINES = (
    _DEADLINES.update()
    .where(_OF_CASE, _DEADLINES.c.deadline != bindparam("deadline"))
    .values(deadline=bindparam("deadline"))
)
_ADD_DEADLINES = _DEADLINES.insert().from_select(
    ["instance_id", "region", "org_id", "subtree", "deadline"],
    select(
        _SCOPES.c.instance_id,
        _SCOPES.c.region,
        _SCOPES.c.org_id,
        _SCOPES.c.subtree,
        bindparam("deadline", type_=_DEADLINES.c.deadline.type),
    ).where(
        _SCOPES.c.instance_id == bindparam("case_id"),
        ~exists().where(
            _DEADLINES.c.instance_id == _SCOPES.c.instance_id,
            _DEADLINES.c.org_id == _SCOPES.c.org_id,
            _DEADLINES.c.subtree == _SCOPES.c.subtree,
        ),
    ),
)


def overdue_case_condition(now: datetime) -> ColumnElement[bool]:
    """Running cases whose next deadline has passed: their own limit or one of their open tasks'. The status is a
    constant, so that the planner takes the partial index of running cases."""
    return and_(CaseInstance.status == literal(RUNNING, literal_execute=True), CaseInstance.next_deadline <= now)


def overdue_scope_condition(now: datetime) -> ColumnElement[bool]:
    """The same on a case's `CaseScopeDeadline` rows, for a listing read through them."""
    return CaseScopeDeadline.deadline <= now


def running_deadline(case: CaseInstance) -> datetime | None:
    """The next deadline while the case runs: what its `CaseScopeDeadline` rows hold."""
    return case.next_deadline if case.status == RUNNING else None


def note_next_deadline(session: Session, case: CaseInstance) -> None:
    """Store the case's earliest pending deadline after a step changed its limit or its task rows (none once the
    case ended). The case row was already written, at its version, by this unit of work, which holds it."""
    value = None
    if case.status not in ENDED:
        task_due = session.scalar(_EARLIEST_TASK_DUE, {"case_id": case.id})
        value = min((due for due in (case.due_at, task_due) if due is not None), default=None)
    if value != case.next_deadline:
        session.connection().execute(_WRITE, {"case_id": case.id, "next_deadline": value})
    set_committed_value(case, "next_deadline", value)
    _note_scope_deadlines(session, case)


def _note_scope_deadlines(session: Session, case: CaseInstance) -> None:
    """Give each scope row of the case its running deadline (rows the step added included), or drop them all."""
    deadline, connection = running_deadline(case), session.connection()
    if deadline is None:
        connection.execute(_DROP_DEADLINES, {"case_id": case.id})
        return
    connection.execute(_MOVE_DEADLINES, {"case_id": case.id, "deadline": deadline})
    connection.execute(_ADD_DEADLINES, {"case_id": case.id, "deadline": deadline})
