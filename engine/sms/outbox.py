"""Writing messages to the outbox, inside the unit of work of the step they tell of.

`note` is called with every fact a step records (the case history calls it for each event, the step writer
for each task it opens); it writes a message when `triggers` names a kind for the fact, the applicant gave a
mobile and did not decline messages. A step that rolls back takes its messages with it, and one that commits
leaves them for the sender: the outbox is only ever written in the step's own transaction.
"""

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, exists, select, update
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.cases.lifecycle import TIMER_WAITING
from engine.core.clock import SHANGHAI, clock
from engine.core.models import CaseInstance, SmsMessage, Timer
from engine.sms import texts
from engine.sms.triggers import RESULT_KINDS, Detail, Fact, Trigger, cancelled_by, triggered_by
from engine.workcalendar import shanghai_date

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"

_INSERT = cast(Table, SmsMessage.__table__).insert()
_RESULT_WRITTEN = select(
    exists().where(SmsMessage.instance_id == bindparam("case_id"), SmsMessage.kind.in_(sorted(RESULT_KINDS)))
)
_WAITING_TIMER = (
    select(Timer.fire_at)
    .where(Timer.instance_id == bindparam("case_id"), Timer.kind == bindparam("kind"), Timer.state == TIMER_WAITING)
    .order_by(Timer.id.desc())
    .limit(1)
)
_CANCEL = (
    update(SmsMessage)
    .where(
        SmsMessage.instance_id == bindparam("case_id"),
        SmsMessage.kind.in_(bindparam("kinds", expanding=True)),
        SmsMessage.state == PENDING,
    )
    .values(state=CANCELLED)
    .execution_options(synchronize_session=False)
)


def wants_messages(case: CaseInstance) -> bool:
    """The case was accepted with the applicant's mobile (a 整改 case was not) and the applicant did not decline
    messages at 受理 (unstated: the reviewed default)."""
    if not case.applicant_mobile:
        return False
    stated = (case.applicant or {}).get("sms")
    return texts.consent_default() if stated is None else bool(stated)


def note(session: Session, case: CaseInstance, fact: Fact) -> None:
    """Write the messages `fact` sends, and withdraw the scheduled ones it makes pointless, in the caller's
    unit of work."""
    cancelled = cancelled_by(fact)
    if cancelled:
        session.connection().execute(_CANCEL, {"case_id": case.id, "kinds": cancelled})
    triggers = triggered_by(fact)
    if not triggers or not wants_messages(case):
        return
    now = clock.now()
    for trigger in triggers:
        kind = trigger.kind
        detail = _with_deadline(session, case, trigger, fact.detail)
        send_at = _send_at(kind, detail, now)
        if send_at is None or kind in RESULT_KINDS and _result_written(session, case):
            continue
        session.connection().execute(
            _INSERT,
            {
                "key": str(uuid.uuid4()),
                "instance_id": case.id,
                "kind": kind,
                "mobile": case.applicant_mobile,
                "body": texts.render(kind, placeholders(case, detail)),
                "state": PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": send_at,
            },
        )


def _with_deadline(session: Session, case: CaseInstance, trigger: Trigger, detail: Detail) -> Detail:
    """The fact's detail with `due_at` the instant of the case's waiting timer the trigger names, if any."""
    if trigger.deadline is None:
        return detail
    # Through the session, so that timer rows the step moved but did not flush yet are read as moved.
    due = session.scalar(_WAITING_TIMER, {"case_id": case.id, "kind": trigger.deadline})
    return {**detail, "due_at": due}


def _result_written(session: Session, case: CaseInstance) -> bool:
    return bool(session.connection().execute(_RESULT_WRITTEN, {"case_id": case.id}).scalar())


def _send_at(kind: str, detail: Detail, now: datetime) -> datetime | None:
    """Now, or for a reminder its hour so many working days before the deadline's last day (None when past)."""
    scheduled = texts.schedule(kind)
    if scheduled is None:
        return now
    days, hour = scheduled
    last_day = _due_day(detail.get("due_at"))
    if last_day is None:
        return None
    day = workcalendar.default_calendar().add_working_days(last_day, -days)
    send_at = datetime.combine(day, time(hour), SHANGHAI)
    return send_at if send_at > now else None


def note_opened(session: Session, case: CaseInstance, opened: Iterable[tuple[str, Detail]]) -> None:
    """The tasks a step opened, each as its form and what it knows (its data and `due_at`)."""
    for form_key, detail in opened:
        note(session, case, Fact("opened", form_key, detail))


def placeholders(case: CaseInstance, detail: Detail) -> dict[str, str]:
    """Every placeholder a text of engine/data/sms.toml may name, from the case and the step's detail."""
    return {
        "申请人": case.applicant_name or "",
        "事项名称": case.item_name,
        "办件编号": case.case_no or "",
        "受理单位": case.org.name,
        "办结期限": _day_text(_due_day(case.due_at)) or "按规定时限",
        "需补正材料": "、".join(str(name) for name in detail.get("missing") or detail.get("outstanding") or []),
        "补正期限": _day_text(_due_day(detail.get("due_at"))) or "规定期限",
        "承诺日期": _day_text(_date(detail.get("promised_on"))) or "承诺日期",
        "原因": str(detail.get("reason") or ""),
        "出件方式": str(detail.get("method") or ""),
        "快递单号": str(detail.get("tracking_no") or ""),
    }


def _due_day(due: datetime | str | None) -> date | None:
    """The last day of a limit due at `due` (that day's 24:00)."""
    if due is None:
        return None
    instant = datetime.fromisoformat(due) if isinstance(due, str) else due
    return shanghai_date(instant - timedelta(microseconds=1))


def _date(day: date | str | None) -> date | None:
    return date.fromisoformat(day) if isinstance(day, str) else day


def _day_text(day: date | None) -> str | None:
    return f"{day.year}年{day.month}月{day.day}日" if day else None
