"""The base every form schema derives from."""

from marshmallow import Schema


class FormSchema(Schema):
    """A clerk's form with Chinese messages for whole-form errors.

    Unknown keys are refused (marshmallow's default). Subclasses give their
    Chinese title as `Meta.title`.
    """

    error_messages = {
        "type": "表单数据格式不正确，应为一组字段",
        "unknown": "表单中没有这一项",
    }
