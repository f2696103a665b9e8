"""Money that adds up: what a review may approve, what 拨付 may pay, and an invoice claimed once.

- A review (form `review`) that approves a claim states its 核定金额, no more than the claimed total
  and no more than the amount the previous review approved.
- 拨付 (form `payout`) pays exactly the last approved amount (the claimed total when no review set one).
- An invoice (number and issuing institution) is claimed by one case at a time: `claim_invoices` at
  受理 refuses one an open claim holds, naming that case; a rejected or terminated case releases its
  claims (`release_invoices`), so the invoice may be claimed again.

Amounts are `Decimal` throughout; forms hand them over as text with two places.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.core.clock import clock
from engine.core.models import CaseInstance, ClaimedInvoice
from forms.registry import FormInvalid

REVIEW, PAYOUT = "review", "payout"
APPROVE = "approve"


def amount(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


def claimed_total(details: Mapping[str, Any]) -> Decimal | None:
    """The 合计金额 of a claim's start data; None for an item that claims no money."""
    return amount(details.get("total_amount"))


def amount_to_pay(details: Mapping[str, Any], approvals: Iterable[Decimal]) -> Decimal | None:
    """The last approved amount, else the claimed total."""
    approved = list(approvals)
    return approved[-1] if approved else claimed_total(details)


def check_step(form_key: str, values: Mapping[str, Any], details: Mapping[str, Any], approvals: list[Decimal]) -> None:
    """Refuse, field by field, a review or payout of a claim whose amounts do not add up.

    `approvals` are the amounts earlier reviews of the case approved, in order.
    """
    total = claimed_total(details)
    if total is None:
        return
    errors: dict[str, list[str]] = {}
    if form_key == REVIEW and values.get("decision") == APPROVE:
        approved = amount(values.get("approved_amount"))
        if approved is None:
            errors["approved_amount"] = ["审核通过时必须填写核定金额"]
        elif approved > total:
            errors["approved_amount"] = [f"核定金额 {approved:.2f} 元不能超过申请金额 {total:.2f} 元"]
        elif approvals and approved > approvals[-1]:
            errors["approved_amount"] = [f"核定金额 {approved:.2f} 元不能超过上一环节核定的 {approvals[-1]:.2f} 元"]
    elif form_key == PAYOUT:
        due = amount_to_pay(details, approvals)
        paid = amount(values.get("amount"))
        if due is not None and paid != due:
            errors["amount"] = [f"拨付金额 {paid or 0:.2f} 元与核定金额 {due:.2f} 元不一致"]
    if errors:
        raise FormInvalid(form_key, errors)


def claim_invoices(session: Session, case: CaseInstance, details: Mapping[str, Any]) -> None:
    """Record the claim's invoices for `case`, refusing any that an open claim of another case holds."""
    institution = str(details.get("medical_institution") or "").strip()
    numbers = [str(invoice["number"]) for invoice in details.get("invoices") or []]
    if not numbers:
        return
    taken = session.execute(
        select(ClaimedInvoice.number, CaseInstance.case_no)
        .join(CaseInstance, CaseInstance.id == ClaimedInvoice.instance_id)
        .where(
            ClaimedInvoice.number.in_(numbers),
            ClaimedInvoice.institution == institution,
            ClaimedInvoice.released_at.is_(None),
        )
        .order_by(ClaimedInvoice.number)
    ).all()
    if taken:
        held = "；".join(f"发票 {number} 已在办件 {case_no} 中申请报销" for number, case_no in taken)
        raise FormInvalid("reimbursement_claim", {"invoices": [f"{held}，同一张发票不能重复报销"]})
    session.add_all(ClaimedInvoice(instance_id=case.id, number=number, institution=institution) for number in numbers)
    session.flush()


def release_invoices(session: Session, case_id: int) -> None:
    """The case will pay nothing (rejected or terminated): its invoices may be claimed again."""
    session.execute(
        update(ClaimedInvoice)
        .where(ClaimedInvoice.instance_id == case_id, ClaimedInvoice.released_at.is_(None))
        .values(released_at=clock.now())
    )
