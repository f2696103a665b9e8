"""Forms of 即办 items about a person's insurance: 参保登记, 信息变更, 参保凭证, 异地就医备案."""

from dateutil.relativedelta import relativedelta
from marshmallow import ValidationError, post_load, validates_schema

from forms.base import FormSchema
from forms.choices import filing_validity_months, options
from forms.fields import BankAccountNumber, Choice, Count, Day, IdNumber, Mobile, Text
from forms.validators import Between


class InsuredRegistrationForm(FormSchema):
    class Meta:
        title = "城乡居民参保登记"

    household_register_no = Text(title="户口簿户号", max_length=30)
    insured_category = Choice(options("insured_categories"), title="参保类别", required=True)
    start_date = Day(title="参保开始日期", required=True)


class InfoChangeForm(FormSchema):
    """A change of one registered detail; a new number must be valid in its own format."""

    class Meta:
        title = "参保信息变更登记"

    field = Choice(options("info_change_fields"), title="变更项目", required=True)
    old_value = Text(title="原内容", max_length=200)
    new_value = Text(title="变更后内容", required=True, max_length=200)

    _NEW_VALUE_FORMATS = {
        "身份证号": IdNumber(title="身份证号", required=True),
        "手机号": Mobile(title="手机号", required=True),
        "银行账户": BankAccountNumber(title="银行账号", required=True),
    }

    @post_load
    def new_value_in_its_format(self, data, **kwargs):
        """Check and store the new value the way its own field stores it (e.g. x → X)."""
        number_field = self._NEW_VALUE_FORMATS.get(data["field"])
        if number_field is not None:
            try:
                data["new_value"] = number_field.deserialize(data["new_value"])
            except ValidationError as error:
                raise ValidationError(error.messages, field_name="new_value") from error
        if data["new_value"] == data.get("old_value"):
            raise ValidationError("变更后内容与原内容相同", field_name="new_value")
        return data


class CertificateForm(FormSchema):
    class Meta:
        title = "出具参保凭证"

    purpose = Text(title="用途", required=True, max_length=100)
    copies = Count(title="份数", load_default=1, validate=Between(min=1, max=10))


class RemoteCareFilingForm(FormSchema):
    """异地就医备案; the validity period follows the filing type (see choices.toml)."""

    class Meta:
        title = "异地就医备案"

    filing_type = Choice({kind: kind for kind in filing_validity_months()}, title="备案类型", required=True)
    destination_province = Text(title="就医地省份", required=True, max_length=20)
    destination_city = Text(title="就医地城市", required=True, max_length=30)
    start_date = Day(title="备案开始日期", required=True)
    end_date = Day(title="备案截止日期", description="长期备案可不填；临时备案必填")
    hospital = Text(title="就医医院", max_length=100)

    @validates_schema
    def validity_period_fits_type(self, data, **kwargs):
        kind, start, end = data["filing_type"], data["start_date"], data.get("end_date")
        months = filing_validity_months()[kind]
        if end is None:
            if months is not None:
                raise ValidationError(f"{kind}备案须填写备案截止日期", field_name="end_date")
            return
        if end <= start:
            raise ValidationError("备案截止日期应晚于开始日期", field_name="end_date")
        if months is None:
            return
        latest = start + relativedelta(months=months)
        if end > latest:
            raise ValidationError(
                f"{kind}备案有效期最长 {months} 个月，截止日期不能晚于 {latest.isoformat()}",
                field_name="end_date",
            )
