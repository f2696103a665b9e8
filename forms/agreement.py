"""Forms of 定点医药机构协议管理 (002 §13, 004 items 34–35): 提交材料、材料初审、现场评估、专家评估、协商谈判、公示、签约.

Each step that can end the application stores `decision` (`approve` goes on, `reject` ends it with `reason`), so
the flow's gateways and the 审核不通过告知书 read it as they read a review's.
"""

from marshmallow import ValidationError, validates_schema

from forms.base import FormSchema
from forms.choices import options
from forms.fields import Choice, Count, Day, Text
from forms.validators import Between, not_in_future

REJECT = "reject"


class DesignationApplicationForm(FormSchema):
    """The institution applying for 定点 (the applicant block holds the person acting for it)."""

    class Meta:
        title = "定点申请"

    institution_name = Text(title="机构名称", required=True, max_length=100)
    credit_code = Text(title="统一社会信用代码", required=True, min_length=18, max_length=18)
    address = Text(title="机构地址", required=True, max_length=200)
    business_scope = Text(title="执业（经营）范围", max_length=500)


class _Decided(FormSchema):
    """A step that may end the application: ending it must say why, since the institution is told."""

    reason = Text(title="不通过理由", max_length=500, description="结论为不通过时必填")

    @validates_schema(skip_on_field_errors=False)
    def reason_given_on_rejection(self, data, **kwargs):
        if data.get("decision") == REJECT and not data.get("reason"):
            raise ValidationError("结论为不通过时必须填写理由", field_name="reason")


class SiteAssessmentForm(_Decided):
    class Meta:
        title = "现场评估"

    decision = Choice(options("site_assessment_results"), title="评估结论", required=True)
    assessed_on = Day(title="评估日期", required=True, validate=not_in_future)
    assessors = Text(title="评估人员", required=True, max_length=200)
    findings = Text(title="评估情况", max_length=1000)


class ExpertScoreForm(FormSchema):
    """One expert's score of the 专家评估; the flow collects every expert's `score` into `expert_scores`."""

    class Meta:
        title = "专家评分"

    score = Count(title="评分（0–100）", required=True, validate=Between(min=0, max=100))
    recommendation = Choice(options("expert_recommendations"), title="评审意见", required=True)
    opinion = Text(title="评审说明", required=True, max_length=1000)


class NegotiationForm(_Decided):
    class Meta:
        title = "协商谈判"

    decision = Choice(options("negotiation_results"), title="谈判结果", required=True)
    negotiated_on = Day(title="谈判日期", required=True, validate=not_in_future)
    terms = Text(title="协议要点", max_length=1000, description="达成一致时填写服务范围、结算方式等")


class PublicityObjectionForm(FormSchema):
    """An objection received during 公示 (the message `公示异议` the waiting 公示 catches)."""

    class Meta:
        title = "公示异议"

    objector = Text(title="异议人", required=True, max_length=100)
    received_on = Day(title="收到日期", required=True, validate=not_in_future)
    content = Text(title="异议内容", required=True, max_length=1000)


class ObjectionHandlingForm(_Decided):
    class Meta:
        title = "异议处理"

    decision = Choice(options("objection_findings"), title="核查结论", required=True)
    findings = Text(title="核查情况", required=True, max_length=1000)


class AgreementSigningForm(FormSchema):
    class Meta:
        title = "签订定点协议"

    agreement_no = Text(title="协议编号", required=True, max_length=50)
    signed_on = Day(title="签订日期", required=True, validate=not_in_future)
    valid_until = Day(title="协议有效期至", required=True)

    @validates_schema(skip_on_field_errors=True)
    def valid_after_signing(self, data, **kwargs):
        if data["valid_until"] <= data["signed_on"]:
            raise ValidationError("协议有效期须晚于签订日期", field_name="valid_until")
