"""Forms of 门诊/住院/零星 reimbursement: the claim with its invoices, and the payout."""

from collections import Counter
from decimal import Decimal

from marshmallow import ValidationError, validates_schema

from forms.base import FormSchema
from forms.fields import BankAccountNumber, Day, Group, InvoiceNumber, Items, Money, Text
from forms.people import BankAccountForm
from forms.validators import not_in_future


class InvoiceForm(FormSchema):
    class Meta:
        title = "发票"

    number = InvoiceNumber(title="发票号码", required=True)
    amount = Money(title="发票金额（元）", required=True)
    date = Day(title="开票日期", required=True, validate=not_in_future)


class ReimbursementClaimForm(FormSchema):
    """What 手工报销 items need: where and when treated, the invoices, the payee account.

    A repeated invoice is checked once every field is valid; the total is told with the other errors at once, as
    soon as it and every invoice's amount read (whatever else of an invoice is wrong), never from a half-read list.
    """

    class Meta:
        title = "报销申请信息"

    medical_institution = Text(title="就诊医疗机构", required=True, max_length=100)
    visit_date = Day(title="就诊日期", required=True, validate=not_in_future)
    invoices = Items(Group(InvoiceForm, title="发票", required=True), title="发票", required=True, min_items=1)
    total_amount = Money(
        title="合计金额（元）", required=True, description="应等于各张发票金额之和", sum_of="invoices.amount"
    )
    payee = Group(BankAccountForm, title="收款账户", required=True)

    @validates_schema
    def invoices_counted_once(self, data, **kwargs):
        numbers = Counter(invoice["number"] for invoice in data["invoices"])
        repeated = sorted(number for number, times in numbers.items() if times > 1)
        if repeated:
            raise ValidationError(f"发票号码重复：{'、'.join(repeated)}", field_name="invoices")

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def total_matches_invoices(self, data, original, **kwargs):
        invoiced = invoiced_sum(original)
        if "total_amount" not in data or invoiced is None:
            return
        if data["total_amount"] != invoiced:
            raise ValidationError(
                f"合计金额 {data['total_amount']:.2f} 元与发票金额之和 {invoiced:.2f} 元不一致",
                field_name="total_amount",
            )


def invoiced_sum(original) -> Decimal | None:
    """The sum of the invoices' amounts as typed; None unless every one reads as an amount."""
    rows = original.get("invoices") if isinstance(original, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
        return None
    amount = InvoiceForm().fields["amount"]
    try:
        return sum((amount.deserialize(row.get("amount")) for row in rows), Decimal(0))
    except ValidationError:
        return None


class PayoutForm(FormSchema):
    """拨付 into the applicant's registered account."""

    class Meta:
        title = "拨付"

    amount = Money(title="拨付金额（元）", required=True)
    payee_name = Text(title="收款人", required=True, min_length=2, max_length=60)
    bank_name = Text(title="开户银行", required=True, max_length=60)
    account_no = BankAccountNumber(title="银行账号", required=True)
    paid_on = Day(title="拨付日期", required=True, validate=not_in_future)
