"""Forms that finish a case: 移交, 办结, 出件 and 归档确认."""

from marshmallow import ValidationError, validates_schema

from forms.base import FormSchema
from forms.choices import options
from forms.fields import Choice, Text

BY_POST = "邮寄"


class HandoverForm(FormSchema):
    """Materials passed to the responsible office; posted ones must be traceable."""

    class Meta:
        title = "移交"

    method = Choice(options("handover_methods"), title="移交方式", required=True)
    tracking_no = Text(title="快递单号", max_length=40, description="邮寄移交时必填")
    note = Text(title="备注", max_length=500)

    @validates_schema(skip_on_field_errors=False)
    def tracking_no_given_when_posted(self, data, **kwargs):
        if data.get("method") == BY_POST and not data.get("tracking_no"):
            raise ValidationError("邮寄移交时必须填写快递单号", field_name="tracking_no")


class ConcludeForm(FormSchema):
    class Meta:
        title = "办结"

    result = Text(title="办理结果", required=True, max_length=500)
    note = Text(title="备注", max_length=500)


class CollectionForm(FormSchema):
    """统一窗口出件: the accepting window hands the result over; a posted result must be traceable."""

    class Meta:
        title = "出件"

    method = Choice(options("collection_methods"), title="出件方式", required=True)
    tracking_no = Text(title="快递单号", max_length=40, description="邮寄出件时必填")
    recipient = Text(title="领取人", max_length=30, description="本人以外的人领取时填写")
    note = Text(title="备注", max_length=500)

    @validates_schema(skip_on_field_errors=False)
    def tracking_no_given_when_posted(self, data, **kwargs):
        if data.get("method") == BY_POST and not data.get("tracking_no"):
            raise ValidationError("邮寄出件时必须填写快递单号", field_name="tracking_no")


class ArchiveForm(FormSchema):
    class Meta:
        title = "归档确认"

    archive_no = Text(title="档案号", required=True, max_length=50)
    location = Text(title="存放位置", max_length=100)
    note = Text(title="备注", max_length=500)
