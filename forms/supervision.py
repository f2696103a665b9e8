"""Forms of 督办: the 催办 of an overdue task and the 通报 to the level above."""

from forms.base import FormSchema
from forms.choices import options
from forms.fields import Choice, Text


class UrgeForm(FormSchema):
    """催办: the supervisor records how the responsible clerk was chased."""

    class Meta:
        title = "催办"

    method = Choice(options("urge_methods"), title="催办方式", required=True)
    note = Text(title="催办情况", required=True, max_length=500)


class EscalationNoticeForm(FormSchema):
    """通报: the level above acknowledges work still overdue and says what it will do."""

    class Meta:
        title = "超期通报"

    note = Text(title="处理意见", required=True, max_length=500)
