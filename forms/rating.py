"""Forms of a 差评's follow-through: the responsible unit's 整改 and the 回访 of the applicant."""

from forms.base import FormSchema
from forms.choices import options
from forms.fields import Choice, Day, Text
from forms.validators import not_in_future


class RectificationForm(FormSchema):
    """What the investigation found and what was corrected, as the 回访 will tell the applicant."""

    class Meta:
        title = "差评整改"

    finding = Text(title="核实情况", required=True, max_length=1000)
    measures = Text(title="整改措施", required=True, max_length=1000)
    rectified_on = Day(title="整改完成日期", required=True, validate=not_in_future)


class FollowUpVisitForm(FormSchema):
    """The applicant's view of the fix, on the same five levels as the rating itself."""

    class Meta:
        title = "回访"

    visited_on = Day(title="回访日期", required=True, validate=not_in_future)
    method = Choice(options("notification_methods"), title="回访方式", required=True)
    applicant_view = Choice(options("rating_levels"), title="申请人对整改的评价", required=True)
    comment = Text(title="申请人意见", max_length=500)
