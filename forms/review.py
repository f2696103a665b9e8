"""Forms of the back office: 初审/复核/审核 and telling the applicant the outcome."""

from marshmallow import ValidationError, validates_schema

from forms.base import FormSchema
from forms.choices import options
from forms.fields import Choice, Day, Money, Text
from forms.validators import not_in_future


class ReviewForm(FormSchema):
    """A reviewer's decision; a rejection must say why, since the applicant is told the reason."""

    class Meta:
        title = "审核"

    decision = Choice(options("review_decisions"), title="审核结果", required=True)
    opinion = Text(title="审核意见", max_length=500)
    reason = Text(title="不通过理由", max_length=500, description="审核不通过时必填")
    approved_amount = Money(title="核定金额（元）")

    @validates_schema(skip_on_field_errors=False)
    def reason_given_on_rejection(self, data, **kwargs):
        if data.get("decision") == "reject" and not data.get("reason"):
            raise ValidationError("审核不通过时必须填写理由", field_name="reason")


class RejectionFeedbackForm(FormSchema):
    """Record of telling the applicant a rejection or 不予受理."""

    class Meta:
        title = "告知申请人"

    notified_on = Day(title="告知日期", required=True, validate=not_in_future)
    method = Choice(options("notification_methods"), title="告知方式", required=True)
    note = Text(title="备注", max_length=500)
