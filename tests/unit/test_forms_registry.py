"""The registry's public API: keys, titles, clean(), JSON Schema, and Chinese-only messages."""

import json
import re

import pytest
from marshmallow import fields

from forms.registry import FormInvalid, UnknownForm, clean, json_schema, known_form_keys, schema_for, title_of

CJK = re.compile(r"[\u4e00-\u9fff]")
APPLICANT = {"name": "李四", "id_number": "11010519491231002X", "mobile": "13912345678"}

# One valid filling of every form; a form added without a sample fails test_every_form_has_a_sample.
SAMPLES = {
    "applicant": APPLICANT,
    "mandate": {"agent_name": "王协理", "agent_id_number": "11010519491231002X", "relation": "子女"},
    "case_start": {"item": "门诊费用报销", "org": "360981101", "applicant": APPLICANT, "materials": ["身份证"]},
    "reimbursement_claim": {
        "medical_institution": "丰城市中医院",
        "visit_date": "2024-05-06",
        "invoices": [{"number": "0001234567", "amount": "356.8", "date": "2024-05-06"}],
        "total_amount": "356.80",
        "payee": {"bank_name": "中国银行", "account_name": "李四", "account_no": "621790000001234567"},
    },
    "missing_materials_notice": {"missing": ["费用清单"], "deadline_days": 5, "note": "请补齐后再来"},
    "supplement": {"received": ["费用清单"]},
    "review": {"decision": "approve", "opinion": "材料齐全", "approved_amount": "300"},
    "handover": {"method": "系统流转"},
    "payout": {
        "amount": "300.00",
        "payee_name": "李四",
        "bank_name": "中国银行",
        "account_no": "621790000001234567",
        "paid_on": "2024-06-01",
    },
    "rejection_feedback": {"notified_on": "2024-06-01", "method": "电话"},
    "conclude": {"result": "已拨付"},
    "collection": {"method": "邮寄", "tracking_no": "SF1234567890"},
    "archive": {"archive_no": "FC-2024-0001", "location": "档案室 3 号柜"},
    "consultation": {"topic": "门诊慢特病", "answer": "携带诊断证明到乡镇医保所申请"},
    "remote_care_filing": {
        "filing_type": "异地安置退休人员",
        "destination_province": "海南省",
        "destination_city": "三亚市",
        "start_date": "2024-01-01",
    },
    "insured_registration": {"insured_category": "新生儿", "start_date": "2024-03-01"},
    "info_change": {"field": "手机号", "old_value": "13912345678", "new_value": "13987654321"},
    "certificate": {"purpose": "办理签证", "copies": 2},
    "rating": {"level": "非常满意"},
    "referral": {
        "item": "fc-t-05",
        "name": APPLICANT["name"],
        "id_number": APPLICANT["id_number"],
        "question": "异地安置备案在哪里办",
        "referred_to": "360981104",
    },
    "urge": {"method": "电话", "note": "已电话催办，经办员承诺两日内完成初审"},
    "escalation_notice": {"note": "已通报乡镇分管领导，限期三日办结"},
    "rectification": {"finding": "拨付超期属实", "measures": "增设拨付岗", "rectified_on": "2024-06-03"},
    "follow_up_visit": {"visited_on": "2024-06-04", "method": "电话", "applicant_view": "满意"},
    "injury_investigation": {
        "investigation_result": "not_reimbursable",
        "investigated_on": "2024-06-05",
        "investigator": "丰城市医保局外伤调查组",
        "reason": "第三方责任，由责任人承担",
    },
    "point_review": {"decision": "approve", "approved_amount": "300", "uploaded": True},
    "routing_review": {"decision": "approve", "approved_amount": "300", "responsible_centre": "350100-YB"},
    "materials_mailing": {"carrier": "中国邮政EMS", "tracking_no": "1234567890123", "mailed_on": "2024-06-02"},
    "designation_application": {
        "institution_name": "冷水滩区康宁诊所",
        "credit_code": "92431103MA4L123456",
        "address": "永州市冷水滩区凤凰路1号",
    },
    "site_assessment": {"decision": "approve", "assessed_on": "2024-06-03", "assessors": "王五、赵六"},
    "expert_score": {"score": 86, "recommendation": "agree", "opinion": "设施和制度符合定点条件"},
    "negotiation": {"decision": "approve", "negotiated_on": "2024-06-10", "terms": "普通门诊，按项目结算"},
    "publicity_objection": {"objector": "匿名来信", "received_on": "2024-06-12", "content": "执业医师不足"},
    "objection_handling": {"decision": "approve", "findings": "经核查执业医师人数符合要求"},
    "agreement_signing": {"agreement_no": "YZ-DD-2024-001", "signed_on": "2024-06-20", "valid_until": "2025-06-19"},
}


def all_messages(errors) -> list[str]:
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in all_messages(value)]
    return [m for value in errors for m in all_messages(value)]


def messages_for(form_key, data) -> list[str]:
    with pytest.raises(FormInvalid) as caught:
        clean(form_key, data)
    return all_messages(caught.value.errors)


def wrong_value_for(field: fields.Field):
    """A value of the wrong JSON type for `field`."""
    if isinstance(field, fields.Nested):
        return "文字"
    if isinstance(field, fields.Boolean):
        return "也许"
    if isinstance(field, fields.List):
        return {"不是": "列表"}
    return ["不是", "单个值"]


def test_keys_needed_by_the_outpatient_flow_and_case_start_are_registered():
    assert known_form_keys() >= {
        "applicant",
        "case_start",
        "reimbursement_claim",
        "missing_materials_notice",
        "supplement",
        "review",
        "handover",
        "payout",
        "rejection_feedback",
        "conclude",
        "archive",
        "consultation",
        "remote_care_filing",
        "insured_registration",
        "info_change",
        "certificate",
        "rating",
    }


def test_every_form_has_a_sample():
    assert set(SAMPLES) == known_form_keys()


@pytest.mark.parametrize("form_key", sorted(SAMPLES))
def test_clean_returns_json_primitives_that_round_trip(form_key):
    cleaned = clean(form_key, SAMPLES[form_key])
    assert json.loads(json.dumps(cleaned)) == cleaned
    assert clean(form_key, cleaned) == cleaned


@pytest.mark.parametrize("form_key", sorted(SAMPLES))
def test_titles_are_chinese(form_key):
    assert CJK.search(title_of(form_key))


def test_title_of_review_and_claim():
    assert title_of("review") == "审核"
    assert title_of("remote_care_filing") == "异地就医备案"


def test_unknown_form_key_is_refused():
    with pytest.raises(UnknownForm):
        schema_for("no_such_form")
    with pytest.raises(UnknownForm):
        clean("no_such_form", {})


def test_schema_instances_are_shared():
    assert schema_for("review") is schema_for("review")


def test_form_invalid_names_the_form_in_chinese():
    with pytest.raises(FormInvalid) as caught:
        clean("review", {})
    assert str(caught.value) == "“审核”填写有误"
    assert caught.value.form_key == "review"


@pytest.mark.parametrize("form_key", sorted(SAMPLES))
def test_no_english_for_missing_fields_wrong_types_unknown_keys_or_non_objects(form_key):
    schema = schema_for(form_key)
    wrong_types = {name: wrong_value_for(field) for name, field in schema.fields.items()}
    messages = messages_for(form_key, {}) if any(field.required for field in schema.fields.values()) else []
    messages += messages_for(form_key, wrong_types)
    messages += messages_for(form_key, {**SAMPLES[form_key], "unexpected": 1})
    messages += messages_for(form_key, ["不是", "表单"])
    messages += messages_for(form_key, {name: None for name in schema.fields})
    assert messages
    english = [m for m in messages if not CJK.search(m)]
    assert english == []


@pytest.mark.parametrize(
    "form_key",
    ["handover", "rejection_feedback", "rating", "insured_registration", "info_change", "remote_care_filing", "review"],
)
def test_bad_choice_is_answered_in_chinese(form_key):
    schema = schema_for(form_key)
    choice_names = [
        name for name, field in schema.fields.items() if any(hasattr(v, "choices") for v in field.validators)
    ]
    assert choice_names
    for name in choice_names:
        messages = messages_for(form_key, {**SAMPLES[form_key], name: "没有这个选项"})
        assert messages and all(m.startswith("请从以下选项中选择") for m in messages)


# --- JSON Schema ------------------------------------------------------------------


def property_titles(schema: dict) -> list[str]:
    titles = []
    for prop in schema.get("properties", {}).values():
        titles.append(prop.get("title", ""))
        titles += property_titles(prop)
        titles += property_titles(prop.get("items", {}))
    return titles


@pytest.mark.parametrize("form_key", sorted(SAMPLES))
def test_every_form_has_a_json_schema_with_chinese_titles(form_key):
    schema = json_schema(form_key)
    assert schema["type"] == "object"
    assert schema["title"] == title_of(form_key)
    assert set(schema["properties"]) == set(schema_for(form_key).fields)
    titles = property_titles(schema)
    assert titles and all(CJK.search(t) for t in titles)
    json.dumps(schema)


def test_review_json_schema_has_enum_with_chinese_labels_and_required():
    schema = json_schema("review")
    decision = schema["properties"]["decision"]
    assert decision["enum"] == ["approve", "reject"]
    assert decision["x-enumNames"] == ["通过", "不通过"]
    assert schema["required"] == ["decision"]
    assert schema["properties"]["approved_amount"]["type"] == "string"
    assert schema["additionalProperties"] is False


def test_claim_json_schema_inlines_nested_blocks():
    schema = json_schema("reimbursement_claim")
    invoices = schema["properties"]["invoices"]
    assert invoices["type"] == "array" and invoices["minItems"] == 1
    assert invoices["items"]["required"] == ["amount", "date", "number"]
    assert invoices["items"]["properties"]["date"] == {"type": "string", "format": "date", "title": "开票日期"}
    assert schema["properties"]["payee"]["properties"]["account_no"]["title"] == "银行账号"
    assert "$ref" not in json.dumps(schema)
    assert schema["required"] == ["invoices", "medical_institution", "payee", "total_amount", "visit_date"]


def test_money_pattern_in_json_schema_agrees_with_the_field():
    pattern = re.compile(json_schema("payout")["properties"]["amount"]["pattern"])
    assert pattern.match("1234.50") and pattern.match("7")
    assert not pattern.match("1.234")
    assert clean("payout", {**SAMPLES["payout"], "amount": "7"})["amount"] == "7.00"


def test_remote_care_filing_schema_lists_the_five_filing_types():
    filing_type = json_schema("remote_care_filing")["properties"]["filing_type"]
    assert filing_type["enum"] == [
        "异地安置退休人员",
        "异地长期居住人员",
        "常驻异地工作人员",
        "异地转诊人员",
        "其他临时外出就医人员",
    ]


def test_json_schema_callers_cannot_corrupt_the_cached_copy():
    json_schema("rating")["properties"].clear()
    assert "level" in json_schema("rating")["properties"]
