"""Cross-field rules of the step forms, exercised through forms.registry.clean."""

import datetime as dt

import pytest

from forms.registry import FormInvalid, clean


def errors_of(form_key: str, data) -> dict:
    with pytest.raises(FormInvalid) as caught:
        clean(form_key, data)
    return caught.value.errors


def claim(**overrides) -> dict:
    data = {
        "medical_institution": "丰城市人民医院",
        "visit_date": "2024-03-01",
        "invoices": [
            {"number": "12345678", "amount": "0.10", "date": "2024-03-01"},
            {"number": "24442000000012345678", "amount": "0.20", "date": "2024-03-02"},
        ],
        "total_amount": "0.3",
        "payee": {"bank_name": "江西农商银行", "account_name": "张三", "account_no": "6217 0000 1234 5678"},
    }
    data.update(overrides)
    return data


# --- review -------------------------------------------------------------------


def test_rejection_without_reason_is_refused_on_the_reason_field():
    assert errors_of("review", {"decision": "reject", "opinion": "材料不全"}) == {
        "reason": ["审核不通过时必须填写理由"]
    }
    assert errors_of("review", {"decision": "reject", "reason": "  "}) == {"reason": ["审核不通过时必须填写理由"]}


def test_rejection_reason_is_reported_alongside_other_field_errors():
    errors = errors_of("review", {"decision": "reject", "approved_amount": "1.234"})
    assert errors == {"reason": ["审核不通过时必须填写理由"], "approved_amount": ["金额最多保留两位小数"]}


def test_rejection_with_reason_and_approval_without_reason_pass():
    assert clean("review", {"decision": "reject", "reason": "发票与就诊记录不符"})["reason"] == "发票与就诊记录不符"
    assert clean("review", {"decision": "approve", "approved_amount": "88"}) == {
        "decision": "approve",
        "approved_amount": "88.00",
    }


def test_review_decision_outside_the_list_names_the_chinese_labels():
    assert errors_of("review", {"decision": "通过"}) == {"decision": ["请从以下选项中选择：通过、不通过"]}


# --- reimbursement claim --------------------------------------------------------


def test_claim_total_is_exact_decimal_sum_of_invoices():
    assert 0.1 + 0.2 != 0.3  # the binary float trap the form must not fall into
    cleaned = clean("reimbursement_claim", claim())
    assert cleaned["total_amount"] == "0.30"
    assert [invoice["amount"] for invoice in cleaned["invoices"]] == ["0.10", "0.20"]
    assert cleaned["payee"]["account_no"] == "6217000012345678"
    assert cleaned["visit_date"] == "2024-03-01"


def test_claim_total_mismatch_is_reported_on_total_amount():
    errors = errors_of("reimbursement_claim", claim(total_amount="0.31"))
    assert errors == {"total_amount": ["合计金额 0.31 元与发票金额之和 0.30 元不一致"]}


def test_claim_needs_at_least_one_invoice():
    assert "invoices" in errors_of("reimbursement_claim", claim(invoices=[]))
    assert errors_of("reimbursement_claim", {k: v for k, v in claim().items() if k != "invoices"}) == {
        "invoices": ["此项为必填项"]
    }


def test_claim_refuses_the_same_invoice_twice():
    same = {"number": "12345678", "amount": "0.10", "date": "2024-03-01"}
    errors = errors_of("reimbursement_claim", claim(invoices=[same, dict(same)], total_amount="0.20"))
    assert errors == {"invoices": ["发票号码重复：12345678"]}


def test_claim_errors_are_nested_by_invoice_index_and_block():
    invoices = claim()["invoices"]
    invoices[1] = {**invoices[1], "amount": 0.2}
    payee = {**claim()["payee"], "account_no": "123"}
    errors = errors_of("reimbursement_claim", claim(invoices=invoices, payee=payee))
    assert errors == {
        "invoices": {1: {"amount": ['金额请以文本提交，如 "123.45"，不接受浮点数']}},
        "payee": {"account_no": ["银行账号应为 12 至 30 位数字"]},
    }


def test_claim_visit_in_the_future_is_refused():
    tomorrow_anywhere = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert errors_of("reimbursement_claim", claim(visit_date=tomorrow_anywhere)) == {"visit_date": ["日期不能晚于今天"]}


# --- case start -------------------------------------------------------------------


def test_case_start_defaults_and_normalises_the_applicant():
    cleaned = clean(
        "case_start",
        {
            "item": "门诊费用报销",
            "org": "360981101",
            "applicant": {"name": "张三", "id_number": "11010519491231002x", "mobile": "138 0013 8000"},
        },
    )
    assert cleaned["materials"] == []
    assert cleaned["proxy"] is False
    assert cleaned["applicant"] == {"name": "张三", "id_number": "11010519491231002X", "mobile": "13800138000"}


def test_case_start_reports_applicant_errors_under_applicant():
    errors = errors_of(
        "case_start",
        {
            "item": "门诊费用报销",
            "org": "360981101",
            "applicant": {"name": "张", "id_number": "110105194912310021", "mobile": "13800138000", "age": 70},
        },
    )
    assert errors == {
        "applicant": {
            "name": ["应为 2 至 30 个字"],
            "id_number": ["身份证号校验位不正确，请核对"],
            "age": ["表单中没有这一项"],
        }
    }


def test_case_start_keeps_item_details_for_the_item_form():
    details = {"visit_date": "2024-03-01", "invoices": []}
    cleaned = clean(
        "case_start",
        {
            "item": "门诊费用报销",
            "org": "360981101",
            "applicant": {"name": "张三", "id_number": "11010519491231002X", "mobile": "13800138000"},
            "materials": ["身份证", "发票"],
            "proxy": True,
            "mandate": {"agent_name": "李协理", "agent_id_number": "11010519491231002X", "relation": "子女"},
            "details": details,
        },
    )
    assert cleaned["details"] == details
    assert cleaned["materials"] == ["身份证", "发票"]
    assert cleaned["proxy"] is True


# --- handover, notices, enrolment ------------------------------------------------


def test_posted_collection_needs_a_tracking_number_other_ways_do_not():
    with pytest.raises(FormInvalid) as refused:
        clean("collection", {"method": "邮寄"})
    assert refused.value.errors == {"tracking_no": ["邮寄出件时必须填写快递单号"]}
    assert clean("collection", {"method": "电子送达"}) == {"method": "电子送达"}
    assert clean("collection", {"method": "邮寄", "tracking_no": "SF1"})["tracking_no"] == "SF1"


def test_proxy_needs_its_mandate_and_a_mandate_needs_proxy():
    base = {
        "item": "x",
        "org": "y",
        "applicant": {"name": "张三", "id_number": "11010519491231002X", "mobile": "13800138000"},
    }
    with pytest.raises(FormInvalid) as no_mandate:
        clean("case_start", {**base, "proxy": True})
    assert list(no_mandate.value.errors) == ["mandate"]
    mandate = {"agent_name": "李协理", "agent_id_number": "11010519491231002X", "relation": "配偶"}
    with pytest.raises(FormInvalid) as no_proxy:
        clean("case_start", {**base, "mandate": mandate})
    assert list(no_proxy.value.errors) == ["proxy"]
    with pytest.raises(FormInvalid) as bad:
        clean("case_start", {**base, "proxy": True, "mandate": {"agent_name": "李协理", "relation": "邻居"}})
    assert set(bad.value.errors["mandate"]) == {"agent_id_number", "relation"}


def test_posting_needs_a_tracking_number_other_handovers_do_not():
    assert errors_of("handover", {"method": "邮寄"}) == {"tracking_no": ["邮寄移交时必须填写快递单号"]}
    assert clean("handover", {"method": "邮寄", "tracking_no": "SF1234567890"})["tracking_no"] == "SF1234567890"
    assert clean("handover", {"method": "窗口移交"}) == {"method": "窗口移交"}


def test_missing_materials_notice_needs_named_materials():
    assert errors_of("missing_materials_notice", {"missing": []}) == {"missing": ["应填写 1 至 50 项"]}
    assert errors_of("missing_materials_notice", {"missing": ["发票", " "]}) == {"missing": {1: ["此项为必填项"]}}
    assert clean("missing_materials_notice", {"missing": ["发票原件"], "deadline_days": 5})["deadline_days"] == 5


@pytest.mark.parametrize(
    ("kind", "end", "error"),
    [
        ("异地转诊人员", "2024-04-30", None),
        ("异地转诊人员", "2024-05-01", "异地转诊人员备案有效期最长 3 个月，截止日期不能晚于 2024-04-30"),
        ("异地转诊人员", None, "异地转诊人员备案须填写备案截止日期"),
        ("其他临时外出就医人员", "2024-07-31", None),
        (
            "其他临时外出就医人员",
            "2024-08-01",
            "其他临时外出就医人员备案有效期最长 6 个月，截止日期不能晚于 2024-07-31",
        ),
        ("异地安置退休人员", None, None),
        ("异地安置退休人员", "2030-01-01", None),
        ("异地长期居住人员", "2024-01-31", "备案截止日期应晚于开始日期"),
    ],
)
def test_remote_care_filing_validity_period_follows_the_filing_type(kind, end, error):
    data = {
        "filing_type": kind,
        "destination_province": "广东省",
        "destination_city": "深圳市",
        "start_date": "2024-01-31",
    }
    if end:
        data["end_date"] = end
    if error is None:
        assert clean("remote_care_filing", data).get("end_date") == end
    else:
        assert errors_of("remote_care_filing", data) == {"end_date": [error]}


def test_info_change_checks_a_new_number_in_its_own_format():
    cleaned = clean(
        "info_change", {"field": "身份证号", "old_value": "110105194912310021", "new_value": "11010519491231002x"}
    )
    assert cleaned["new_value"] == "11010519491231002X"
    assert errors_of("info_change", {"field": "手机号", "new_value": "0791-1234567"}) == {
        "new_value": ["手机号应为 11 位数字，以 13 至 19 开头"]
    }
    assert clean("info_change", {"field": "地址", "new_value": "丰城市剑光街道"})["new_value"] == "丰城市剑光街道"


def test_info_change_to_the_same_value_is_refused():
    assert errors_of("info_change", {"field": "地址", "old_value": "剑光街道", "new_value": "剑光街道"}) == {
        "new_value": ["变更后内容与原内容相同"]
    }


def test_certificate_copies_default_to_one_and_are_bounded():
    assert clean("certificate", {"purpose": "子女入学"})["copies"] == 1
    assert errors_of("certificate", {"purpose": "子女入学", "copies": 11}) == {"copies": ["应不小于 1 且不大于 10"]}


def test_rating_levels_are_the_five_national_levels():
    assert clean("rating", {"level": "基本满意"}) == {"level": "基本满意"}
    assert errors_of("rating", {"level": "一般"}) == {
        "level": ["请从以下选项中选择：非常满意、满意、基本满意、不满意、非常不满意"]
    }
    assert errors_of("rating", {"level": "满意", "comment": "好" * 501}) == {"comment": ["不能超过 500 个字"]}
