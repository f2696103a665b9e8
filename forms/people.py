"""Who a case is about and where money goes: blocks reused by several forms."""

from forms.base import FormSchema
from forms.fields import BankAccountNumber, IdNumber, Mobile, Text


class ApplicantForm(FormSchema):
    class Meta:
        title = "申请人"

    name = Text(title="姓名", required=True, min_length=2, max_length=30)
    id_number = IdNumber(title="身份证号", required=True)
    mobile = Mobile(title="手机号", required=True)
    address = Text(title="地址", max_length=200)


class BankAccountForm(FormSchema):
    """The applicant's registered account that manual reimbursement pays into."""

    class Meta:
        title = "收款账户"

    bank_name = Text(title="开户银行", required=True, max_length=60)
    account_name = Text(title="账户名", required=True, min_length=2, max_length=60)
    account_no = BankAccountNumber(title="银行账号", required=True)
