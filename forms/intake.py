"""Forms at the front desk: starting a case, 一次性告知 and 补正."""

from forms.base import FormSchema
from forms.fields import Count, Flag, Group, Items, KeyValues, Text
from forms.people import ApplicantForm
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
    proxy = Flag(title="帮办代办", load_default=False, description="由村（社区）代办员代为申请")
    details = KeyValues(keys=Text(title="项目", max_length=64), title="事项信息")


class MissingMaterialsNoticeForm(FormSchema):
    """行政许可法 §32: everything to add is told in one notice."""

    class Meta:
        title = "一次性告知"

    missing = material_names("需补正材料", required=True, min_items=1)
    deadline_days = Count(title="补正期限（工作日）", validate=Between(min=1, max=60))
    note = Text(title="备注", max_length=500)


class SupplementForm(FormSchema):
    class Meta:
        title = "补正登记"

    received = material_names("补正收到的材料", required=True, min_items=1)
    note = Text(title="备注", max_length=500)
