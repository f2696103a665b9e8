"""Forms at the front desk: starting a case, 一次性告知 and 补正."""

from marshmallow import ValidationError, validates_schema

from forms.base import FormSchema
from forms.fields import Count, Day, Flag, Group, Items, KeyValues, Text
from forms.people import ApplicantForm, MandateForm
from forms.validators import Between


def material_names(title: str, **kwargs) -> Items:
    """A list of material names as printed on the item's 材料清单."""
    return Items(Text(title="材料名称", required=True), title=title, **kwargs)


class CaseStartForm(FormSchema):
    """The body that opens a case; `details` is checked later by the item's own start form."""

    class Meta:
        title = "受理登记"

    item = Text(title="事项", required=True, max_length=64)
    org = Text(title="受理机构", required=True, max_length=64)
    applicant = Group(ApplicantForm, title="申请人", required=True)
    materials = material_names("已收材料", load_default=list)
    deferred = material_names(
        "容缺材料", load_default=list, description="容缺受理：申请人书面承诺限期补交的可容缺材料（本次未收）"
    )
    promise_date = Day(title="承诺补交日期", allow_none=True, description="容缺受理时必填")
    proxy = Flag(title="帮办代办", load_default=False, description="由代办人受申请人委托代为申请")
    mandate = Group(MandateForm, title="委托", description="帮办代办时必填：代办人及其与申请人的关系")
    details = KeyValues(keys=Text(title="项目", max_length=64), title="事项信息")

    @validates_schema(skip_on_field_errors=False)
    def mandate_given_with_proxy(self, data, **kwargs):
        if data.get("proxy") and not data.get("mandate"):
            raise ValidationError(
                "帮办代办时必须填写委托信息（代办人姓名、身份证号、与申请人关系）", field_name="mandate"
            )
        if data.get("mandate") and not data.get("proxy"):
            raise ValidationError("填写了委托信息，请勾选帮办代办", field_name="proxy")


class MissingMaterialsNoticeForm(FormSchema):
    """行政许可法 §32: everything to add is told in one notice."""

    class Meta:
        title = "一次性告知"

    missing = material_names("需补正材料", required=True, min_items=1)
    deadline_days = Count(
        title="补正期限（天）",
        validate=Between(min=1, max=60),
        description="不填按事项规定的补正期限；填写时不长于事项规定，按事项规定的自然日或工作日计",
    )
    note = Text(title="备注", max_length=500)


class SupplementForm(FormSchema):
    class Meta:
        title = "补正登记"

    received = material_names("补正收到的材料", required=True, min_items=1)
    note = Text(title="备注", max_length=500)
