"""Who a case is about and where money goes: blocks reused by several forms."""

from forms.base import FormSchema
from forms.choices import options
from forms.fields import BankAccountNumber, Choice, Flag, IdNumber, Mobile, Text


class ApplicantForm(FormSchema):
    class Meta:
        title = "申请人"

    name = Text(title="姓名", required=True, min_length=2, max_length=30)
    id_number = IdNumber(title="身份证号", required=True)
    mobile = Mobile(title="手机号", required=True)
    address = Text(title="地址", max_length=200)
    sms = Flag(
        title="接收短信通知", description="受理、补正、办理结果和出件时发短信到上面的手机号；申请人拒绝时取消勾选"
    )


class MandateForm(FormSchema):
    """帮办代办: who acts for the applicant and how they are related; the signed 授权委托书 is scanned."""

    class Meta:
        title = "委托"

    agent_name = Text(title="代办人姓名", required=True, min_length=2, max_length=30)
    agent_id_number = IdNumber(title="代办人身份证号", required=True)
    agent_mobile = Mobile(title="代办人手机号")
    relation = Choice(options("proxy_relations"), title="与申请人关系", required=True)


class BankAccountForm(FormSchema):
    """The applicant's registered account that manual reimbursement pays into."""

    class Meta:
        title = "收款账户"

    bank_name = Text(title="开户银行", required=True, max_length=60)
    account_name = Text(title="账户名", required=True, min_length=2, max_length=60)
    account_no = BankAccountNumber(title="银行账号", required=True)
