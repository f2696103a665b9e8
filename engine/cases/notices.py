"""The facts each printed notice of a case shows, and when a notice exists at all.

受理单 once every mandatory material is in; 一次性告知书 while materials are missing (or as the
一次性告知 step recorded them); 审核不通过告知书 once a step rejected the application, with its reason;
办结通知 once the case is concluded; 容缺受理承诺书 for a case accepted 容缺 (the deferred materials and the
promised day, for the applicant to sign); 不予受理通知书 once the 补正 period passed. Titles are reviewed data
(`data/notices.toml`).
"""

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import collection, mandates, money
from engine.cases.acceptance import case_view, missing_materials
from engine.cases.applicants import masked_id_number
from engine.cases.lifecycle import CONCLUDED, NOT_ACCEPTED
from engine.catalogue.deferrable import Period, period_end, rules_of
from engine.catalogue.flows import catalog
from engine.catalogue.items import Item
from engine.core.clock import clock
from engine.core.errors import Conflict, NotFound
from engine.core.models import AuditEvent, CaseInstance, JSONObject, Task, User
from engine.org.routing import level_of

RECEIPT, MISSING, REJECTION, CONCLUSION = "receipt", "missing_materials", "rejection", "conclusion"
PROMISE, NOT_ACCEPTED_NOTICE = "promise", "not_accepted"
NOTICE_FORM, SUPPLEMENT_FORM, CONCLUDE_FORM, PAYOUT_FORM = (
    "missing_materials_notice",
    "supplement",
    "conclude",
    "payout",
)
_NAMED_RECEIPT = re.compile(r"《([^》]*受理单)》")


@cache
def _titles() -> dict[str, Any]:
    return tomllib.loads((Path(__file__).resolve().parents[1] / "data" / "notices.toml").read_text(encoding="utf-8"))


KINDS = tuple(_titles()["titles"])


def notice_titles() -> dict[str, str]:
    """受理回执, 一次性告知书, … by kind, as engine/data/notices.toml names them."""
    return dict(_titles()["titles"])


@dataclass(frozen=True)
class Step:
    """A completed step of the case as the audit trail recorded it."""

    title: str | None
    form_key: str | None
    at: datetime
    user: User | None
    org_name: str | None
    data: JSONObject


@dataclass(frozen=True)
class Notice:
    kind: str
    title: str
    case_no: str | None
    item_name: str
    item_code: str | None
    unit: str
    issuer: str
    clerk: str
    applicant_name: str
    applicant_id: str
    accepted_at: datetime
    issued_on: date
    limit: str
    due_on: date | None
    materials: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    supplement_days: int | None = None
    period: str | None = None
    """The 补正 period in words (e.g. 30日, 10个工作日)."""
    until: date | None = None
    """The last day: of the 补正 period, or the day the applicant promised to bring the deferred materials."""
    step: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    completed_at: datetime | None = None
    outcome: str | None = None
    note: str | None = None
    settlement: list[tuple[str, str]] = field(default_factory=list)
    """The 医保结算 split (label, amount in 元) a concluded claim's notice prints."""
    mandate: list[tuple[str, str]] = field(default_factory=list)
    """The 委托 of a 帮办代办 case (label, text) its 受理单 prints."""
    collection: list[tuple[str, str]] = field(default_factory=list)
    """How the accepting window handed the result out (出件: label, text), on the 办结通知."""


class _Facts(TypedDict, total=False):
    """The fields of a `Notice` that differ by kind, as the builders pass them to `_base`."""

    issuer: str
    clerk: str
    materials: list[str]
    missing: list[str]
    supplement_days: int | None
    period: str | None
    until: date | None
    step: str | None
    decided_at: datetime | None
    reason: str | None
    completed_at: datetime | None
    outcome: str | None
    note: str | None


_Builder = Callable[[CaseInstance, Item, AuditEvent, list[Step]], Notice]


def notice(session: Session, user: User, case_id: int, kind: str) -> Notice:
    """The notice of `kind` for a case the user may see; 404 for an unknown kind, 409 when not (yet) due."""
    if kind not in KINDS:
        names = "、".join(f"{title}（{code}）" for code, title in _titles()["titles"].items())
        raise NotFound(f"没有这种文书：{kind}（可选：{names}）")
    facts = _facts_of(session, user, case_id)
    if facts.accepted is None:
        raise NotFound("该办件不是窗口受理的申请（如差评整改），没有告知申请人的文书")
    case, item, accepted, steps = facts.case, facts.item, facts.accepted, facts.steps
    built = _BUILDERS[kind](case, item, accepted, steps)
    settlement = money.settlement_of_events(facts.events) if kind == CONCLUSION else None
    if settlement is not None:
        built = replace(built, settlement=[(label, f"{part:.2f}") for label, part in settlement.lines()])
    if kind == RECEIPT:
        built = replace(built, mandate=mandates.printed(session, case.id))
    if kind == CONCLUSION:
        built = replace(built, collection=collection.printed(session, case.id))
    return built


def available(session: Session, user: User, case_id: int) -> dict[str, str]:
    """The notices the case's state lets the window print now (kind → title, in the data's order): those whose
    builder answers rather than refuses, so that a page never links a notice the route would refuse."""
    facts = _facts_of(session, user, case_id)
    if facts.accepted is None:
        return {}
    titles = notice_titles()
    due = {}
    for kind in KINDS:
        try:
            _BUILDERS[kind](facts.case, facts.item, facts.accepted, facts.steps)
        except Conflict:
            continue
        due[kind] = titles[kind]
    return due


@dataclass(frozen=True)
class _CaseFacts:
    """What every notice of a case reads: the case, its item, its acceptance and its completed steps."""

    case: CaseInstance
    item: Item
    accepted: AuditEvent | None
    steps: list[Step]
    events: list[AuditEvent]


def _facts_of(session: Session, user: User, case_id: int) -> _CaseFacts:
    view = case_view(session, user, case_id)
    accepted = next((event for event in view.events if event.action == "accepted"), None)
    steps = _steps(session, view.case, view.events)
    return _CaseFacts(view.case, catalog().get(view.case.item_id), accepted, steps, view.events)


def _steps(session: Session, case: CaseInstance, events: list[AuditEvent]) -> list[Step]:
    forms: dict[str | None, str | None] = dict(
        session.execute(select(Task.id, Task.form_key).where(Task.instance_id == case.id)).all()
    )
    return [
        Step(
            event.task_title,
            forms.get(event.task_id),
            event.at,
            event.user,
            event.org.name if event.org else None,
            event.detail or {},
        )
        for event in events
        if event.action == "completed"
    ]


def _base(
    kind: str, title: str, case: CaseInstance, item: Item, accepted: AuditEvent, **facts: Unpack[_Facts]
) -> Notice:
    facts.setdefault("issuer", case.org.name)
    facts.setdefault("clerk", _name(accepted.user))
    limit = item.level_limits.get(level_of(case.org), item.limit_days)
    return Notice(
        kind=kind,
        title=title,
        case_no=case.case_no,
        item_name=case.item_name,
        item_code=item.code,
        unit=case.org.name,
        applicant_name=case.applicant.get("name", ""),
        applicant_id=_masked(case.applicant.get("id_number", "")),
        accepted_at=case.started_at,
        issued_on=clock.now().date(),
        limit=_limit_text(limit),
        due_on=_last_day(case.due_at),
        **facts,
    )


def _receipt(case: CaseInstance, item: Item, accepted: AuditEvent, steps: list[Step]) -> Notice:
    received = _received(accepted, steps)
    outstanding = missing_materials(item, received)
    if outstanding:
        raise Conflict(f"材料尚未补齐（缺{'、'.join(outstanding)}），请先出具一次性告知书，补齐后再出具受理单")
    named = _NAMED_RECEIPT.search(item.steps_text or "")
    title = (
        named.group(1) if named else _titles()["receipt_by_category"].get(item.category, _titles()["titles"][RECEIPT])
    )
    return _base(RECEIPT, title, case, item, accepted, materials=received)


def _told_period(item: Item, step: Step) -> Period:
    """The 补正 period the 一次性告知 stated: the item's, or the shorter one the clerk wrote."""
    period = rules_of(item).period
    stated = step.data.get("deadline_days")
    return Period(min(stated, period.days), period.calendar) if stated else period


def _missing_materials(case: CaseInstance, item: Item, accepted: AuditEvent, steps: list[Step]) -> Notice:
    told = [step for step in steps if step.form_key == NOTICE_FORM]
    if told:
        step = told[-1]
        period = _told_period(item, step)
        return _base(
            MISSING,
            _titles()["titles"][MISSING],
            case,
            item,
            accepted,
            materials=_received(accepted, []),
            missing=list(step.data.get("missing", [])),
            supplement_days=period.days,
            period=period.text,
            until=_last_day(period_end(step.at, period)),
            note=step.data.get("note"),
            clerk=_name(step.user),
            issuer=step.org_name or case.org.name,
            decided_at=step.at,
        )
    missing = missing_materials(item, _received(accepted, steps))
    if not missing:
        raise Conflict("该办件材料齐全，无需一次性告知")
    return _base(
        MISSING,
        _titles()["titles"][MISSING],
        case,
        item,
        accepted,
        materials=_received(accepted, steps),
        missing=missing,
        period=rules_of(item).period.text,
    )


def _promise(case: CaseInstance, item: Item, accepted: AuditEvent, steps: list[Step]) -> Notice:
    deferred = list(accepted.detail.get("deferred") or [])
    if not deferred:
        raise Conflict("该办件不是容缺受理，没有容缺受理承诺书")
    return _base(
        PROMISE,
        _titles()["titles"][PROMISE],
        case,
        item,
        accepted,
        materials=list(accepted.detail.get("materials", [])),
        missing=deferred,
        until=date.fromisoformat(accepted.detail["promise_date"]),
    )


def _not_accepted(case: CaseInstance, item: Item, accepted: AuditEvent, steps: list[Step]) -> Notice:
    if case.status != NOT_ACCEPTED:
        raise Conflict("该办件未被不予受理")
    told = [step for step in steps if step.form_key == NOTICE_FORM]
    step = told[-1] if told else None
    period = _told_period(item, step) if step else rules_of(item).period
    return _base(
        NOT_ACCEPTED_NOTICE,
        _titles()["titles"][NOT_ACCEPTED_NOTICE],
        case,
        item,
        accepted,
        materials=_received(accepted, steps),
        missing=list(step.data.get("missing", [])) if step else [],
        period=period.text,
        until=_last_day(period_end(step.at, period)) if step else None,
        decided_at=step.at if step else None,
        completed_at=case.completed_at,
        reason="未在补正期限内补齐材料",
    )


def _rejection(case: CaseInstance, item: Item, accepted: AuditEvent, steps: list[Step]) -> Notice:
    step = _rejecting_step(steps)
    if step is None:
        raise Conflict("该办件没有不予受理或审核不通过的记录")
    decision = _titles()["rejection_by_decision"][step.data["decision"]]
    return _base(
        REJECTION,
        decision["title"],
        case,
        item,
        accepted,
        step=step.title,
        decided_at=step.at,
        outcome=decision["verdict"],
        reason=step.data.get("reason"),
        clerk=_name(step.user),
        issuer=step.org_name or case.org.name,
    )


def _conclusion(case: CaseInstance, item: Item, accepted: AuditEvent, steps: list[Step]) -> Notice:
    if case.status != CONCLUDED:
        raise Conflict("该办件尚未办结")
    last = steps[-1] if steps else None
    return _base(
        CONCLUSION,
        _titles()["titles"][CONCLUSION],
        case,
        item,
        accepted,
        completed_at=case.completed_at,
        outcome=_outcome(steps),
        clerk=_name(last.user) if last else _name(accepted.user),
        issuer=(last.org_name if last else None) or case.org.name,
    )


def outcome_of(session: Session, case: CaseInstance) -> str | None:
    """The result a concluded case's 办结通知 tells the applicant (its rejection, payment, recorded result or
    approval); None while the case is not concluded."""
    if case.status != CONCLUDED:
        return None
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == case.id).order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return _outcome(_steps(session, case, list(events)))


def _outcome(steps: list[Step]) -> str:
    """What the applicant is told the result is: the rejection, the payment, the recorded result, or the
    approving review's verdict."""
    rejected = _rejecting_step(steps)
    if rejected is not None:
        verdict = _titles()["rejection_by_decision"][rejected.data["decision"]]["verdict"]
        return f"{verdict}：{rejected.data.get('reason', '')}"
    paid = [step for step in steps if step.form_key == PAYOUT_FORM]
    if paid:
        data = paid[-1].data
        return f"已拨付{data.get('amount')}元至{data.get('bank_name', '')}账户（{data.get('paid_on', '')}）"
    concluded = [step for step in steps if step.form_key == CONCLUDE_FORM]
    if concluded:
        return str(concluded[-1].data.get("result", "已办结"))
    return _approval(steps) or "已办结"


def _approval(steps: list[Step]) -> str | None:
    """The last review's approval as the applicant reads it (审核通过：<opinion>), if a review approved."""
    verdicts = _titles()["approval_by_decision"]
    approved = [step for step in steps if step.form_key in money.REVIEWS and step.data.get("decision") in verdicts]
    if not approved:
        return None
    step = approved[-1]
    verdict: str = verdicts[step.data["decision"]]["verdict"]
    opinion = step.data.get("opinion")
    return f"{verdict}：{opinion}" if opinion else verdict


def _rejecting_step(steps: list[Step]) -> Step | None:
    decisions = _titles()["rejection_by_decision"]
    rejected = [step for step in steps if step.data.get("decision") in decisions]
    return rejected[-1] if rejected else None


def _received(accepted: AuditEvent, steps: list[Step]) -> list[str]:
    received = list(accepted.detail.get("materials", []))
    for step in steps:
        if step.form_key == SUPPLEMENT_FORM:
            received += [name for name in step.data.get("received", []) if name not in received]
    return received


def _last_day(due_at: datetime | None) -> date | None:
    """The last working day of a limit: its due instant is that day's 24:00, i.e. the next day's 00:00."""
    return (due_at - timedelta(microseconds=1)).date() if due_at else None


def _limit_text(days: int | None) -> str:
    if days is None:
        return "按规定时限办理"
    return "即时办结" if days == 0 else f"{days}个工作日"


def _masked(id_number: str) -> str:
    """A printed notice shows the ID number masked as the pages do."""
    return masked_id_number(id_number)


def _name(user: User | None) -> str:
    return user.display_name if user else ""


_BUILDERS: dict[str, _Builder] = {
    RECEIPT: _receipt,
    MISSING: _missing_materials,
    REJECTION: _rejection,
    CONCLUSION: _conclusion,
    PROMISE: _promise,
    NOT_ACCEPTED_NOTICE: _not_accepted,
}
