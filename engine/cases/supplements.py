"""The 待补正 list of a window: cases waiting for 补正 (the 一次性告知's period running) and cases accepted 容缺
waiting for the promised materials, each with its last day and the days left (逾期未补 once it passed).

A 补正 wait is the `supplement` timer of notice_supplement.bpmn (`Timer.kind`), so its last day is the instant
the case will end 不予受理; a 容缺 wait is an open `Promise`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.cases.applicants import masked_id_number
from engine.cases.lifecycle import RUNNING, STATUS_LABELS, TASK_PENDING, TIMER_WAITING
from engine.cases.promises import OPEN
from engine.catalogue.deferrable import NATURAL, WORKING, rules_of
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.errors import Forbidden
from engine.core.models import AuditEvent, CaseInstance, Promise, Task, Timer, User
from engine.org.permissions import pending_supplements_units

SUPPLEMENT_TIMER = "supplement"  # the spiff `deadline` property of the 补正期满 timer
NOTICE_FORM = "missing_materials_notice"
SUPPLEMENT, DEFERRED = "supplement", "deferred"
KIND_LABELS = {SUPPLEMENT: "补正", DEFERRED: "容缺补交"}


@dataclass(frozen=True)
class Pending:
    case_id: int
    case_no: str | None
    item_name: str
    applicant_name: str | None
    applicant_id: str
    kind: str
    materials: list[str]
    last_day: date
    days_left: int
    calendar: str
    overdue: bool

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def status(self) -> str:
        if self.overdue:
            return "逾期未补" if self.kind == DEFERRED else "补正期满"
        if self.days_left == 0:
            return "今日到期"
        return f"剩余{self.days_left}{'天' if self.calendar == NATURAL else '个工作日'}"


AWAITING_LABEL = "待补正"


def awaiting_supplement(session: Session, case_ids: Iterable[int]) -> set[int]:
    """The running cases among `case_ids` whose materials are incomplete: their 一次性告知 is still to be issued,
    or its 补正 period runs. Their limit has not started (the clock starts once the materials are complete)."""
    wanted = list(case_ids)
    if not wanted:
        return set()
    running = (CaseInstance.status == RUNNING, CaseInstance.id.in_(wanted))
    notice = select(Task.instance_id).join(CaseInstance, CaseInstance.id == Task.instance_id)
    notice = notice.where(Task.form_key == NOTICE_FORM, Task.state.in_(TASK_PENDING), *running)
    timer = select(Timer.instance_id).join(CaseInstance, CaseInstance.id == Timer.instance_id)
    timer = timer.where(Timer.kind == SUPPLEMENT_TIMER, Timer.state == TIMER_WAITING, *running)
    return set(session.scalars(notice.union(timer)))


def status_label(case: CaseInstance, awaiting: bool) -> str:
    """A case's status in words, on every page: 待补正 for a running case `awaiting_supplement`, not 办理中."""
    return AWAITING_LABEL if awaiting and case.status == RUNNING else STATUS_LABELS.get(case.status, case.status)


def pending_supplements(session: Session, user: User) -> list[Pending]:
    """What the user's window (an administrator: the windows of their scope) waits for, the nearest last day first."""
    units = pending_supplements_units(user)
    if units is None:
        raise Forbidden("只有窗口人员和系统管理员可以查看待补正办件")
    now = clock.now()
    running = (CaseInstance.status == RUNNING, units)
    waits = session.execute(
        select(CaseInstance, Timer.fire_at)
        .join(Timer, Timer.instance_id == CaseInstance.id)
        .where(Timer.kind == SUPPLEMENT_TIMER, Timer.state == TIMER_WAITING, *running)
    ).all()
    told = _told_missing(session, [case.id for case, _ in waits])
    rows = [
        _row(
            case, SUPPLEMENT, told.get(case.id, []), fire_at, rules_of(catalog().get(case.item_id)).period.calendar, now
        )
        for case, fire_at in waits
    ]
    promised = session.execute(
        select(CaseInstance, Promise)
        .join(Promise, Promise.instance_id == CaseInstance.id)
        .where(Promise.state == OPEN, *running)
    ).all()
    rows += [_row(case, DEFERRED, promise.outstanding, promise.due_at, NATURAL, now) for case, promise in promised]
    return sorted(rows, key=lambda row: (row.last_day, row.case_id))


def _told_missing(session: Session, case_ids: list[int]) -> dict[int, list[str]]:
    """The materials each case's latest 一次性告知 asked for."""
    if not case_ids:
        return {}
    events = session.execute(
        select(AuditEvent.instance_id, AuditEvent.detail)
        .join(Task, Task.id == AuditEvent.task_id)
        .where(AuditEvent.instance_id.in_(case_ids), AuditEvent.action == "completed", Task.form_key == NOTICE_FORM)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return {case_id: list((detail or {}).get("missing", [])) for case_id, detail in events}


def _row(
    case: CaseInstance, kind: str, materials: list[str], due_at: datetime, calendar: str, now: datetime
) -> Pending:
    last_day = (due_at - timedelta(microseconds=1)).astimezone(workcalendar.SHANGHAI).date()
    today = now.astimezone(workcalendar.SHANGHAI).date()
    if calendar == WORKING:
        days_left = workcalendar.default_calendar().working_days_between(today, last_day)
    else:
        days_left = (last_day - today).days
    return Pending(
        case_id=case.id,
        case_no=case.case_no,
        item_name=case.item_name,
        applicant_name=case.applicant_name,
        applicant_id=masked_id_number(case.applicant_id_number or ""),
        kind=kind,
        materials=materials,
        last_day=last_day,
        days_left=max(days_left, 0),
        calendar=calendar,
        overdue=now >= due_at,
    )
