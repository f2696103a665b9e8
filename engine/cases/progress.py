"""An applicant's progress without an account: the 办件编号 and the last six characters of the ID number.

Whoever holds the 受理单 may read where the case stands: the item, the accepting unit, its status in
words, the stages open now (step titles and the units holding them, never a person), the case deadline
and, once concluded, the outcome its 办结通知 tells. Every miss — an unknown number, a wrong tail, a case
not accepted at a window (a 差评整改) or one whose applicant gave no ID number — is the same `NotFound`,
so the answer never tells which half was wrong; the tail is compared in constant time. Callers limit
how often one address may try (the HTTP layer's rate limit).
"""

import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.cases import notices, supplements
from engine.cases.deadlines import NORMAL, deadline_status
from engine.cases.lifecycle import RUNNING, SUSPENDED, TASK_PENDING
from engine.core.errors import Invalid, NotFound
from engine.core.models import AuditEvent, CaseInstance, OrgUnit, Task
from engine.org.permissions import SUPERVISOR

CASE_NO_MAX = 40
TAIL_LENGTH = 6
_TAIL = re.compile(r"[0-9Xx]{6}")
NO_MATCH = "未找到该办件，请核对办件编号和身份证号后六位"
# Compared against when no case matched, so that a miss costs the same comparison as a wrong tail.
_NO_TAIL = "\0" * TAIL_LENGTH

_CASE_BY_NO = select(CaseInstance).where(CaseInstance.case_no == bindparam("case_no"))
_ACCEPTED = select(AuditEvent.id).where(AuditEvent.instance_id == bindparam("case_id"), AuditEvent.action == "accepted")
# 催办 and 超期通报 are the units' own supervision of a late step, not a stage of the application.
_STAGES = (
    select(Task.title, OrgUnit.name)
    .join(OrgUnit, OrgUnit.id == Task.org_id)
    .where(Task.instance_id == bindparam("case_id"), Task.state.in_(TASK_PENDING), Task.role != SUPERVISOR)
    .order_by(Task.created_at, Task.id)
)


@dataclass(frozen=True)
class Stage:
    """A step the case waits at: its title (e.g. 乡镇初审) and the unit that holds it."""

    name: str
    unit: str


@dataclass(frozen=True)
class Progress:
    """What the holder of a 受理单 is told about the case; no staff, no applicant data but a masked name."""

    case_no: str
    item_name: str
    unit: str
    applicant: str
    status: str
    status_code: str
    accepted_at: datetime
    stages: tuple[Stage, ...]
    due_date: date | None
    due_state: str
    due_label: str
    provisional: bool
    completed_at: datetime | None
    outcome: str | None


def progress_of(session: Session, case_no: str, id_tail: str) -> Progress:
    """The progress of case `case_no` when `id_tail` ends its applicant's ID number; 404 on any miss."""
    return _progress(session, applicants_case(session, case_no, id_tail))


def applicants_case(session: Session, case_no: str, id_tail: str) -> CaseInstance:
    """The case a window accepted under `case_no` whose applicant's ID number ends in `id_tail`.

    The applicant's own way to a case without an account (progress, 好差评): 422 for a malformed value,
    one `NotFound` for every miss.
    """
    case_no, id_tail = _cleaned(case_no, id_tail)
    case = session.scalars(_CASE_BY_NO, {"case_no": case_no}).first()
    number = (case.applicant_id_number or "") if case is not None else ""
    stored = number[-TAIL_LENGTH:].upper() if len(number) >= TAIL_LENGTH else _NO_TAIL
    matches = hmac.compare_digest(stored.encode(), id_tail.upper().encode())
    if case is None or not matches or session.scalar(_ACCEPTED, {"case_id": case.id}) is None:
        raise NotFound(NO_MATCH)
    return case


def _cleaned(case_no: str, id_tail: str) -> tuple[str, str]:
    case_no, id_tail = (case_no or "").strip(), (id_tail or "").strip()
    errors: dict[str, list[str]] = {}
    if not case_no:
        errors["case_no"] = ["请填写办件编号"]
    elif len(case_no) > CASE_NO_MAX:
        errors["case_no"] = [f"办件编号不超过{CASE_NO_MAX}个字符"]
    if not id_tail:
        errors["id_tail"] = ["请填写身份证号后六位"]
    elif not _TAIL.fullmatch(id_tail):
        errors["id_tail"] = ["身份证号后六位应为6个字符，只能是数字或X"]
    if errors:
        raise Invalid("请核对填写的内容", errors)
    return case_no, id_tail


def _progress(session: Session, case: CaseInstance) -> Progress:
    awaiting = case.id in supplements.awaiting_supplement(session, [case.id])
    # an incomplete case's limit starts once the materials are complete: no running date to tell yet
    deadline = deadline_status(None if awaiting else case.due_at, None)
    stages: tuple[Stage, ...] = ()
    if case.status in (RUNNING, SUSPENDED):
        stages = tuple(dict.fromkeys(Stage(*row) for row in session.execute(_STAGES, {"case_id": case.id})))
    return Progress(
        case_no=case.case_no or "",
        item_name=case.item_name,
        unit=case.org.name,
        applicant=masked_name(case.applicant_name or ""),
        status=supplements.status_label(case, awaiting),
        status_code=case.status,
        accepted_at=case.started_at,
        stages=stages,
        due_date=deadline.due_date,
        # 即将超期/已超期 says how a running case stands; an ended or suspended case's clock is not running
        due_state=deadline.state if case.status == RUNNING else NORMAL,
        due_label=deadline.label if case.status == RUNNING else "",
        provisional=deadline.due_date is not None
        and workcalendar.default_calendar().is_provisional_year(deadline.due_date.year),
        completed_at=case.completed_at,
        outcome=notices.outcome_of(session, case),
    )


def masked_name(name: str) -> str:
    """张*, 欧**: the first character of the name only."""
    return name[:1] + "*" * (len(name) - 1) if name else ""
