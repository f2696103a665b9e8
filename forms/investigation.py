"""Results other bodies send into a case: the 外伤调查 (injury investigation) of a 意外伤害 filing."""

from marshmallow import ValidationError, validates_schema

from forms.base import FormSchema
from forms.choices import options
from forms.fields import Choice, Day, Text
from forms.validators import not_in_future


class InjuryInvestigationForm(FormSchema):
    """The 外伤调查结果 message: whether the injury is reimbursable (可报), which the flow's gateway reads
    (`investigation_result`); 不可报 must say why, since the applicant is told."""

    class Meta:
        title = "外伤调查结果"

    investigation_result = Choice(options("injury_investigation_results"), title="调查结论", required=True)
    investigated_on = Day(title="调查完成日期", required=True, validate=not_in_future)
    investigator = Text(title="调查单位", max_length=100)
    reason = Text(title="不可报原因", max_length=500, description="调查结论为不可报时必填")
    note = Text(title="备注", max_length=500)

    @validates_schema(skip_on_field_errors=False)
    def reason_given_when_not_reimbursable(self, data, **kwargs):
        if data.get("investigation_result") == "not_reimbursable" and not data.get("reason"):
            raise ValidationError("调查结论为不可报时必须填写原因", field_name="reason")
