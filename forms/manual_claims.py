"""Forms of 福州's 手工（零星）报销 as 000 §三.1 runs it: the point reviews and uploads, the 属地管理部 reviews and
routes the case to the responsible 管理部, approved paper materials are mailed to it."""

from marshmallow import ValidationError, validates_schema

from forms.base import FormSchema
from forms.fields import Day, Flag, Text
from forms.review import ReviewForm
from forms.validators import not_in_future


class PointReviewForm(ReviewForm):
    """The point's own review; it passes the case on only with the materials scanned and uploaded."""

    class Meta:
        title = "服务点审核上传"

    uploaded = Flag(title="受理材料已扫描上传", load_default=False)

    @validates_schema(skip_on_field_errors=False)
    def uploaded_before_passing_on(self, data, **kwargs):
        if data.get("decision") == "approve" and not data.get("uploaded"):
            raise ValidationError("审核通过前须先扫描上传受理材料", field_name="uploaded")


class RoutingReviewForm(ReviewForm):
    """The 属地管理部's review: approving names the 管理部 the case goes to (its own code when it is that one)."""

    class Meta:
        title = "属地管理部审核"

    responsible_centre = Text(title="流转至相应管理部", max_length=40, description="审核通过时必填")

    @validates_schema(skip_on_field_errors=False)
    def routed_when_approved(self, data, **kwargs):
        if data.get("decision") == "approve" and not data.get("responsible_centre"):
            raise ValidationError("审核通过时须指定流转的管理部", field_name="responsible_centre")


class MaterialsMailingForm(FormSchema):
    """寄送受理材料: the paper materials go by post to the responsible 管理部, so the parcel must be traceable
    (recorded as a 移交 by post, `engine.cases.transfers`)."""

    class Meta:
        title = "邮寄受理材料"

    carrier = Text(title="快递公司", required=True, max_length=40)
    tracking_no = Text(title="快递单号", required=True, max_length=40)
    mailed_on = Day(title="寄出日期", required=True, validate=not_in_future)
    note = Text(title="备注", max_length=500)
