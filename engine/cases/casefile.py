"""The case file (办件卷宗): everything a stage needs to see to decide, in one read.

The application as the window took it (applicant, the item's start data laid out, the 帮办代办 flag and its
委托), the materials received at 受理 and at each 补正 with their scans, every decision so far with its opinion and
amounts, the case's and the open stages' deadlines, the 出件 once the window handed the result out, and what a
form of the current stage is offered pre-filled (`suggested_values`). Read from the case's history: a step
records what it decided, so nothing here loads the workflow. The applicant is masked
(`applicants.shown_applicant`) unless the file is read with the full numbers a recorded showing answered
(`personal_data.reveal`); the history is as the reader may read it (`history.shown`).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.attachments.service import Scan, attachments_of
from engine.cases import collection, history, mandates, money, promises, supplements, waits
from engine.cases.acceptance import CaseView, case_view, missing_materials
from engine.cases.applicants import ShownApplicant, shown_applicant
from engine.cases.deadlines import DeadlineStatus, deadline_status, provisional_between
from engine.cases.layout import Layout, laid_out
from engine.cases.lifecycle import ENDED
from engine.catalogue.flows import catalog, flow_for
from engine.catalogue.items import Item
from engine.core.models import AuditEvent, Collection, MessageWait, Promise, Task, User
from engine.org.permissions import may_see_personal_data
from engine.sms import outbox
from forms.choices import options

SUPPLEMENT = "supplement"
MISSING_NOTICE = "missing_materials_notice"


@dataclass(frozen=True)
class ReceivedMaterial:
    name: str
    stage: str
    """受理, or the title of the 补正 step that received it."""
    event: AuditEvent


@dataclass(frozen=True)
class Decision:
    """A completed step: what was decided there, by whom, at which unit, when."""

    event: AuditEvent
    form_key: str | None
    outcome: str | None
    """通过 / 不通过 for a review; None for a step that decides nothing."""
    layout: Layout


@dataclass(frozen=True)
class CaseFile:
    view: CaseView
    item: Item | None
    start_form: str | None
    details: dict[str, Any]
    application: Layout
    proxy: bool
    texts_applicant: bool
    """The applicant is sent SMS notices of the case (`sms.outbox.wants_messages`)."""
    received: list[ReceivedMaterial]
    missing: list[str]
    decisions: list[Decision]
    deadline: DeadlineStatus
    provisional: bool
    stages: list[tuple[Task, DeadlineStatus]]
    approvals: list[Decimal]
    settlement: money.Settlement | None
    """The 医保信息平台's split of the approved amount (统筹/大病/救助/自付), when the case was settled."""
    scans: list[Scan]
    applicant: ShownApplicant
    """The applicant as shown: masked, or in full after a recorded showing."""
    may_see_personal_data: bool
    """The reader may ask for the full ID number and mobile (`personal_data.reveal`)."""
    history: list[history.Shown]
    """The case's events as the reader may read them (a failed step's trace for administrators only)."""
    waiting: list[MessageWait]
    """The messages the case waits for (`engine.cases.waits`), e.g. the 外伤调查结果; none once it ended."""
    promise: Promise | None
    """The 容缺受理 promise: materials accepted as missing, the promised day, what is still outstanding."""
    mandate: mandates.ShownMandate | None
    """The 委托 of a 帮办代办 application: the agent (masked), the relation, whether the signed scan is in."""
    collection: Collection | None
    """How the accepting window handed the result out (统一窗口出件); None before 出件 or without one."""
    awaiting_supplement: bool
    """The materials are incomplete (`supplements.awaiting_supplement`): the case's limit has not started."""
    status_label: str
    """The status in words (`supplements.status_label`): 待补正 while the materials are incomplete."""

    def scans_of(self, material: str) -> list[Scan]:
        """The scans attached to one material, oldest first."""
        return [scan for scan in self.scans if scan.material == material]

    @property
    def case(self) -> Any:
        return self.view.case

    @property
    def claimed_total(self) -> Decimal | None:
        return money.claimed_total(self.details)

    @property
    def amount_to_pay(self) -> Decimal | None:
        return money.amount_to_pay(self.details, self.approvals, self.settlement)

    @property
    def payee(self) -> dict[str, Any]:
        payee: dict[str, Any] = self.details.get("payee") or {}
        return payee


def case_file(session: Session, user: User, case_id: int, revealed: ShownApplicant | None = None) -> CaseFile:
    """The file of a case the user may see (404 otherwise, as `case_view`); with the applicant `revealed`
    in full when given (what `personal_data.reveal` answered for this case), else masked."""
    view = case_view(session, user, case_id)
    form_keys = {
        task_id: form_key
        for task_id, form_key in session.execute(select(Task.id, Task.form_key).where(Task.instance_id == case_id))
    }
    item = _item(view.case.item_id)
    start_form = _start_form(item)
    accepted = next((event for event in view.events if event.action == "accepted"), None)
    details: dict[str, Any] = dict(accepted.detail.get("details") or {}) if accepted else {}
    received = _received(view.events, accepted, form_keys)
    scans = attachments_of(session, user, case_id)
    promise = promises.promise_of(session, case_id)
    decisions = [
        _decision(event, form_keys.get(event.task_id or "")) for event in view.events if event.action == "completed"
    ]
    approvals = [
        approved
        for decision in decisions
        if decision.form_key in money.REVIEWS and decision.event.detail.get("decision") == money.APPROVE
        for approved in [money.amount(decision.event.detail.get("approved_amount"))]
        if approved is not None
    ]
    awaiting = case_id in supplements.awaiting_supplement(session, [case_id])
    return CaseFile(
        view=view,
        item=item,
        start_form=start_form,
        details=details,
        application=laid_out(start_form, details),
        proxy=bool(accepted and accepted.detail.get("proxy")),
        texts_applicant=outbox.wants_messages(view.case),
        received=received,
        missing=[
            name
            for name in missing_materials(item, [m.name for m in received], {scan.material for scan in scans})
            if promise is None or name not in promise.materials
        ]
        if item
        else [],
        decisions=decisions,
        deadline=deadline_status(None if awaiting else view.case.due_at, None),
        provisional=provisional_between(view.case.clock_from or view.case.started_at, view.case.due_at),
        stages=[(task, deadline_status(task.due_at, task.warn_at)) for task in view.open_tasks],
        approvals=approvals,
        settlement=money.settlement_of_events(view.events),
        scans=scans,
        applicant=revealed if revealed is not None else shown_applicant(view.case.applicant),
        may_see_personal_data=may_see_personal_data(user, {task.org_id for task in view.open_tasks}),
        history=history.shown(view.events, user),
        waiting=[] if view.case.status in ENDED else waits.waits_listed(session, case_id),
        promise=promise,
        mandate=mandates.shown(session, case_id),
        collection=collection.collection_of(session, case_id),
        awaiting_supplement=awaiting,
        status_label=supplements.status_label(view.case, awaiting),
    )


def suggested_values(file: CaseFile, form_key: str) -> dict[str, Any]:
    """What a form of the current stage starts with: 拨付 the amount to pay and the payee of the
    application, the 一次性告知 the materials still missing."""
    if form_key == money.PAYOUT and file.claimed_total is not None:
        due = file.amount_to_pay
        return {
            "amount": f"{due:.2f}" if due is not None else "",
            "payee_name": file.payee.get("account_name", ""),
            "bank_name": file.payee.get("bank_name", ""),
            "account_no": file.payee.get("account_no", ""),
        }
    if form_key == MISSING_NOTICE and file.missing:
        return {"missing": list(file.missing)}
    return {}


def _item(item_id: str) -> Item | None:
    try:
        return catalog().get(item_id)
    except KeyError:
        return None


def _start_form(item: Item | None) -> str | None:
    if item is None:
        return None
    try:
        return flow_for(item).start_form
    except KeyError:
        return None


def _received(
    events: list[AuditEvent], accepted: AuditEvent | None, form_keys: dict[str, str]
) -> list[ReceivedMaterial]:
    received = (
        [ReceivedMaterial(name, "受理", accepted) for name in accepted.detail.get("materials", [])] if accepted else []
    )
    for event in events:
        if event.action == "completed" and form_keys.get(event.task_id or "") == SUPPLEMENT:
            stage = event.task_title or "补正"
            received += [ReceivedMaterial(name, stage, event) for name in event.detail.get("received", [])]
    return received


def _decision(event: AuditEvent, form_key: str | None) -> Decision:
    outcome = None
    if form_key in money.REVIEWS:
        outcome = options("review_decisions").get(str(event.detail.get("decision")))
    return Decision(event, form_key, outcome, laid_out(form_key, event.detail))
