"""Applicants' personal data (个人信息保护法): the full ID number and mobile shown only on asking, every showing
recorded, and who saw a person's data listed for administrators.

Everywhere else an applicant is masked (`cases.applicants`). On the case page, staff of a unit that holds an open
task of the case (`permissions.may_see_personal_data`) may ask for the full numbers (`reveal`): each asking is a
`personal_data_viewed` event of the case — who, when, at which unit — in the case's history. `views_of` lists,
for an administrator, every such showing and every opening of a scan (`attachment_viewed`: the scans are the
applicant's papers) of the cases of one ID number, newest first.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.attachments.service import VIEWED as ATTACHMENT_VIEWED
from engine.cases import history
from engine.cases.applicants import ShownApplicant, shown_applicant
from engine.cases.lifecycle import TASK_OPEN
from engine.core.errors import Forbidden, Invalid, NotFound
from engine.core.models import AuditEvent, CaseInstance, OrgUnit, Task, User
from engine.core.uow import unit_of_work
from engine.org.permissions import ensure_admin, may_see_case, may_see_personal_data, visible_cases_filter

VIEWED = "personal_data_viewed"
SHOWN_FIELDS = ["id_number", "mobile"]
MAY_NOT_SEE = "只有正在办理该办件的单位的工作人员可以查看完整证件号和手机号"
MAX_LISTED = 500
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")

_TASK_ORGS = select(Task.org_id, Task.state).where(Task.instance_id == bindparam("case_id"))


@dataclass(frozen=True)
class Revealed:
    """The applicant of one case in full, as shown to the staff who asked (and recorded)."""

    case_id: int
    case_no: str
    applicant: ShownApplicant


def reveal(session: Session, user: User, case_id: int) -> Revealed:
    """Show the full ID number and mobile of a case's applicant, recording who asked, when, at which unit.

    404 for a case the user may not see (as everywhere); 403 for one they see but whose unit holds no open task of.
    Commits the `personal_data_viewed` event.
    """
    case = session.get(CaseInstance, case_id)
    rows = session.execute(_TASK_ORGS, {"case_id": case_id}).all() if case is not None else []
    if case is None or not may_see_case(user, case.org_id, {org_id for org_id, _ in rows}):
        raise NotFound("办件不存在")
    if not may_see_personal_data(user, {org_id for org_id, state in rows if state == TASK_OPEN}):
        raise Forbidden(MAY_NOT_SEE)
    with unit_of_work(session):
        history.record(session, case, VIEWED, user, detail={"shown": SHOWN_FIELDS})
    return Revealed(case.id, case.case_no or "", shown_applicant(case.applicant, full=True))


@dataclass(frozen=True)
class DataView:
    """One look at an applicant's personal data: when, by whom at which unit, on which case, what was seen."""

    at: datetime
    action: str
    label: str
    case_id: int
    case_no: str
    user: User | None
    org: OrgUnit | None
    seen: str
    """完整证件号和手机号, or 附件：<material>（<file name>）."""


def views_of(session: Session, user: User, id_number: str) -> list[DataView]:
    """Who saw the personal data of the applicant with `id_number`, newest first (at most `MAX_LISTED`):
    the full numbers shown and the scans opened, on the cases the administrator's scope covers."""
    ensure_admin(user)
    number = checked_id_number(id_number)
    rows = session.execute(
        select(AuditEvent, CaseInstance.case_no)
        .join(CaseInstance, CaseInstance.id == AuditEvent.instance_id)
        .where(
            CaseInstance.applicant_id_number == number,
            AuditEvent.action.in_([VIEWED, ATTACHMENT_VIEWED]),
            visible_cases_filter(user),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(MAX_LISTED)
    ).all()
    return [
        DataView(
            at=event.at,
            action=event.action,
            label=history.ACTION_LABELS.get(event.action, event.action),
            case_id=event.instance_id,
            case_no=case_no or "",
            user=event.user,
            org=event.org,
            seen=_seen(event),
        )
        for event, case_no in rows
    ]


def checked_id_number(id_number: str | None) -> str:
    """An ID number as typed (spaces around, x in lower case), or `Invalid` on `id_number`."""
    number = (id_number or "").strip().upper()
    if not number:
        raise Invalid("请填写身份证号", {"id_number": ["请填写要查询的身份证号"]})
    if not _ID_NUMBER.fullmatch(number):
        raise Invalid("身份证号有误", {"id_number": ["身份证号应为18位（末位可为X）或15位数字"]})
    return number


def _seen(event: AuditEvent) -> str:
    if event.action == VIEWED:
        return "完整证件号和手机号"
    detail = event.detail or {}
    return f"附件：{detail.get('material') or ''}（{detail.get('file_name') or ''}）"
