"""Forms about serving people rather than deciding cases: 政策咨询 and 好差评."""

from forms.base import FormSchema
from forms.choices import options
from forms.fields import Choice, Text


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
