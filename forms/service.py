"""Forms about serving people rather than deciding cases: 政策咨询, 好差评 and 首问登记."""

from forms.base import FormSchema
from forms.choices import options
from forms.fields import Choice, IdNumber, Mobile, Text


class ConsultationForm(FormSchema):
    class Meta:
        title = "政策咨询记录"

    topic = Text(title="咨询事项", required=True, max_length=100)
    answer = Text(title="答复内容", required=True, max_length=2000)


class RatingForm(FormSchema):
    class Meta:
        title = "好差评"

    level = Choice(options("rating_levels"), title="评价", required=True)
    comment = Text(title="评价内容", max_length=500)


class ReferralForm(FormSchema):
    """首问负责: what the first window asked records before sending the applicant to the unit that serves them."""

    class Meta:
        title = "首问登记"

    item = Text(title="事项", description="咨询或申请的事项；单纯咨询可不填", max_length=40, allow_none=True)
    name = Text(title="申请人姓名", required=True, min_length=2, max_length=30)
    id_number = IdNumber(title="身份证号", required=True)
    mobile = Mobile(title="手机号", allow_none=True)
    question = Text(title="咨询或申请内容", required=True, max_length=500)
    referred_to = Text(title="转介单位编码", required=True, max_length=40)
