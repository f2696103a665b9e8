"""Money that adds up: what a review may approve, what 拨付 may pay, and an invoice claimed once.

- A review (form `review`) that approves a claim states its 核定金额, no more than the claimed total
  and no more than the amount the previous review approved.
- The settlement split of the 医保信息平台 (an external task, topic `yibao-settlement`) divides the approved
  amount into 统筹基金 (`hifp_pay`), 大病保险 (`hifmi_pay`), 医疗救助 (`maf_pay`) and 个人自付
  (`psn_cash_pay`), the national settlement fields: each an amount of at most two places, none negative, the four
  adding up to the approved amount exactly (`check_settlement`).
- 拨付 (form `payout`) pays exactly what the funds bear after a settlement (统筹 + 大病 + 救助), else the last
  approved amount (the claimed total when no review set one).
- An invoice (number and issuing institution) is claimed by one case at a time: `claim_invoices` at
  受理 refuses one an open claim holds, naming that case; a rejected or terminated case releases its
  claims (`release_invoices`), so the invoice may be claimed again.

Amounts are `Decimal` throughout; forms hand them over as text with two places.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.core.clock import clock
from engine.core.errors import Invalid
from engine.core.models import AuditEvent, CaseInstance, ClaimedInvoice
from forms.registry import FormInvalid

REVIEW, PAYOUT = "review", "payout"
# Forms that decide on a claim with a 核定金额 like `review` (福州 手工报销's point and 属地管理部 reviews).
REVIEWS = frozenset({REVIEW, "point_review", "routing_review"})
APPROVE = "approve"


def amount(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


def claimed_total(details: Mapping[str, Any]) -> Decimal | None:
    """The 合计金额 of a claim's start data; None for an item that claims no money."""
    return amount(details.get("total_amount"))


def amount_to_pay(
    details: Mapping[str, Any], approvals: Iterable[Decimal], settlement: "Settlement | None" = None
) -> Decimal | None:
    """What the funds bear after a settlement; else the last approved amount, else the claimed total."""
    if settlement is not None:
        return settlement.reimbursed
    approved = list(approvals)
    return approved[-1] if approved else claimed_total(details)


# The settlement split's parts: national settlement field → what the applicant reads.
SETTLEMENT_PARTS = {
    "hifp_pay": "统筹基金支付",
    "hifmi_pay": "大病保险支付",
    "maf_pay": "医疗救助支付",
    "psn_cash_pay": "个人自付",
}
SETTLEMENT_TOPIC = "yibao-settlement"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Settlement:
    """The split of an approved amount between the funds and the applicant."""

    hifp_pay: Decimal
    hifmi_pay: Decimal
    maf_pay: Decimal
    psn_cash_pay: Decimal

    @property
    def reimbursed(self) -> Decimal:
        """What 拨付 pays: the part the funds bear."""
        return self.hifp_pay + self.hifmi_pay + self.maf_pay

    @property
    def total(self) -> Decimal:
        return self.reimbursed + self.psn_cash_pay

    def lines(self) -> list[tuple[str, Decimal]]:
        return [(label, getattr(self, key)) for key, label in SETTLEMENT_PARTS.items()]


def settlement_of(values: Mapping[str, Any]) -> Settlement | None:
    """The settlement a step's values carry (all four parts, already checked), else None."""
    if not all(key in values for key in SETTLEMENT_PARTS):
        return None
    return Settlement(*(Decimal(str(values[key])) for key in SETTLEMENT_PARTS))


def check_settlement(values: Mapping[str, Any], approved: Decimal | None) -> dict[str, Decimal]:
    """The four parts of a settlement as amounts, refused field by field (`Invalid`) unless each is a
    non-negative amount of at most two places and they add up to the approved amount."""
    errors: dict[str, list[str]] = {}
    parts: dict[str, Decimal] = {}
    for key, label in SETTLEMENT_PARTS.items():
        try:
            value = Decimal(str(values[key])) if key in values and not isinstance(values[key], bool) else None
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite():
            errors[key] = [f"缺少{label}金额，或不是金额"]
        elif value < 0 or value.quantize(CENT) != value:
            errors[key] = [f"{label} {value} 元应为不小于 0、最多两位小数的金额"]
        else:
            parts[key] = value.quantize(CENT)
    if not errors and approved is not None and sum(parts.values(), Decimal(0)) != approved:
        total = sum(parts.values(), Decimal(0))
        errors["psn_cash_pay"] = [f"四项合计 {total:.2f} 元与核定金额 {approved:.2f} 元不一致"]
    if errors:
        raise Invalid("结算结果有误", errors)
    return parts


def check_step(
    form_key: str,
    values: Mapping[str, Any],
    details: Mapping[str, Any],
    approvals: list[Decimal],
    settlement: Settlement | None = None,
) -> None:
    """Refuse, field by field, a review or payout of a claim whose amounts do not add up.

    `approvals` are the amounts earlier reviews of the case approved, in order; `settlement` the case's split.
    """
    total = claimed_total(details)
    if total is None:
        return
    errors: dict[str, list[str]] = {}
    if form_key in REVIEWS and values.get("decision") == APPROVE:
        approved = amount(values.get("approved_amount"))
        if approved is None:
            errors["approved_amount"] = ["审核通过时必须填写核定金额"]
        elif approved > total:
            errors["approved_amount"] = [f"核定金额 {approved:.2f} 元不能超过申请金额 {total:.2f} 元"]
        elif approvals and approved > approvals[-1]:
            errors["approved_amount"] = [f"核定金额 {approved:.2f} 元不能超过上一环节核定的 {approvals[-1]:.2f} 元"]
    elif form_key == PAYOUT:
        due = amount_to_pay(details, approvals, settlement)
        paid = amount(values.get("amount"))
        if due is not None and paid != due:
            basis = "结算应由基金支付的" if settlement is not None else "核定金额"
            errors["amount"] = [f"拨付金额 {paid or 0:.2f} 元与{basis} {due:.2f} 元不一致"]
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


def settlement_of_events(events: Iterable[AuditEvent]) -> Settlement | None:
    """The last settlement an external task of the case brought (its `external_completed` event)."""
    settled = [
        found
        for event in events
        if event.action == "external_completed"
        for found in [settlement_of(event.detail.get("variables") or {})]
        if found is not None
    ]
    return settled[-1] if settled else None
