"""容缺受理, 补正 and 不予受理 counted per accepting unit over a period, for 考核.

`deferred`: cases accepted 容缺 (a promise made); `supplement`: cases told to supplement (一次性告知 given);
`not_accepted`: cases ended 不予受理 because the 补正 period passed. Each is counted when it happened, in
[since, until), at the unit that accepted the case.
"""

from collections.abc import Collection
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Executable, func, select
from sqlalchemy.orm import Session

from engine.cases.lifecycle import NOT_ACCEPTED
from engine.core.clock import SHANGHAI
from engine.core.models import AuditEvent, CaseInstance, Promise, Task

NOTICE_FORM = "missing_materials_notice"
KEYS = ("deferred", "supplement", "not_accepted")


def counts(
    session: Session, *, since: date | datetime, until: date | datetime, org_ids: Collection[int] | None = None
) -> dict[int, dict[str, int]]:
    """org id → {"deferred", "supplement", "not_accepted"}; units with none of them are left out."""
    start, end = _instant(since), _instant(until)
    found: dict[int, dict[str, int]] = {}

    def add(key: str, query: Executable) -> None:
        for org_id, n in session.execute(query):
            found.setdefault(org_id, dict.fromkeys(KEYS, 0))[key] = n

    def of_units(column: Any) -> list[ColumnElement[bool]]:
        return [column.in_(list(org_ids))] if org_ids is not None else []

    add(
        "deferred",
        select(Promise.org_id, func.count())
        .where(Promise.created_at >= start, Promise.created_at < end, *of_units(Promise.org_id))
        .group_by(Promise.org_id),
    )
    in_period = (AuditEvent.at >= start, AuditEvent.at < end, *of_units(CaseInstance.org_id))
    add(
        "supplement",
        select(CaseInstance.org_id, func.count(func.distinct(AuditEvent.instance_id)))
        .select_from(AuditEvent)
        .join(CaseInstance, CaseInstance.id == AuditEvent.instance_id)
        .join(Task, Task.id == AuditEvent.task_id)
        .where(AuditEvent.action == "completed", Task.form_key == NOTICE_FORM, *in_period)
        .group_by(CaseInstance.org_id),
    )
    add(
        "not_accepted",
        select(CaseInstance.org_id, func.count())
        .select_from(AuditEvent)
        .join(CaseInstance, CaseInstance.id == AuditEvent.instance_id)
        .where(AuditEvent.action == NOT_ACCEPTED, *in_period)
        .group_by(CaseInstance.org_id),
    )
    return found


def _instant(value: date | datetime) -> datetime:
    """A day means its 00:00 in Shanghai."""
    return value if isinstance(value, datetime) else datetime.combine(value, time(0), tzinfo=SHANGHAI)
