"""The case file (办件卷宗) over the API, and money that adds up along 门诊费用报销.

A claim of 506.50 元 (two invoices) accepted at 曲江村: the township approves 480 of it, the centre sees
that decision and approves 480, the payer is offered 480 and the payee of the application, and the 办结通知
prints 480.00. Amounts above the claim or the previous approval, a payout that differs, and an invoice already
claimed are refused field by field and leave the case as it was.
"""

import pytest

from tests.factories import applicant, invoice_numbers, mandate, reimbursement_details
from tests.scenarios import ADMIN, ALL_MATERIALS, VILLAGE, collect, only_task, settle

pytestmark = pytest.mark.usefixtures("fresh")

TOWNSHIP, REVIEWER, PAYER = "qujiang.township_clerk", "fc-centre.centre_reviewer", "fc-centre.centre_payer"


def claim_of_506_50(numbers=None):
    details = reimbursement_details(numbers=numbers)
    details["invoices"][0]["amount"] = "300.00"
    details["invoices"][1]["amount"] = "206.50"
    details["total_amount"] = "506.50"
    return details


def accept(as_user, details):
    return as_user("qujiangcun.village_agent").post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": VILLAGE,
            "applicant": applicant(),
            "materials": ALL_MATERIALS,
            "proxy": True,
            "mandate": mandate(),
            "details": details,
        },
    )


def claimed(caller, title):
    task = only_task(caller, title)
    assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    return task


def complete(caller, task, data):
    return caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data})


def case_file(as_user, case_id, user=ADMIN):
    response = as_user(user).get(f"/api/instances/{case_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_each_stage_sees_the_application_and_the_decisions_before_it_and_money_adds_up(as_user):
    response = accept(as_user, claim_of_506_50())
    assert response.status_code == 201, response.get_json()
    case = response.get_json()

    township = as_user(TOWNSHIP)
    first = case_file(as_user, case["id"], TOWNSHIP)["file"]
    application = first["application"]
    assert application["proxy"] is True and application["claimed_total"] == "506.50"
    (invoices,) = application["laid_out"]["tables"]
    assert invoices["columns"] == ["发票号码", "发票金额（元）", "开票日期"]
    assert [row[1] for row in invoices["rows"]] == ["300.00 元", "206.50 元"]
    assert invoices["totals"] == ["", "506.50 元", ""]
    lines = {line["label"]: line["text"] for line in application["laid_out"]["lines"]}
    assert lines["就诊医疗机构"] == "丰城市人民医院" and lines["收款账户 · 账户名"] == "张三"
    assert [m["name"] for m in first["received"]] == ALL_MATERIALS and first["missing"] == []
    assert [stage["task"] for stage in first["stages"]] == ["乡镇初审"]

    review = claimed(township, "乡镇初审")
    above = complete(township, review, {"decision": "approve", "opinion": "同意", "approved_amount": "99999"})
    assert above.status_code == 422
    assert above.get_json()["errors"] == {"approved_amount": ["核定金额 99999.00 元不能超过申请金额 506.50 元"]}
    missing = complete(township, review, {"decision": "approve", "opinion": "同意"})
    assert missing.get_json()["errors"] == {"approved_amount": ["审核通过时必须填写核定金额"]}
    untouched = case_file(as_user, case["id"])
    assert untouched["file"]["decisions"] == [] and [t["title"] for t in untouched["tasks"]] == ["乡镇初审"]
    assert not [event for event in untouched["history"] if event["action"] == "completed"]

    opinion = "自付部分26.50元不予报销，核定480元"
    assert (
        complete(township, review, {"decision": "approve", "opinion": opinion, "approved_amount": "480"}).status_code
        == 200
    )
    handover = claimed(township, "移交医保中心")
    assert complete(township, handover, {"method": "邮寄", "tracking_no": "SF1234567890"}).status_code == 200

    reviewer = as_user(REVIEWER)
    seen = case_file(as_user, case["id"], REVIEWER)["file"]
    township_decision, handed_over = seen["decisions"]
    assert township_decision["stage"] == "乡镇初审" and township_decision["outcome"] == "通过"
    assert township_decision["org"]["name"] == "曲江镇" and township_decision["user"]["username"] == TOWNSHIP
    shown = {line["label"]: line["text"] for line in township_decision["laid_out"]["lines"]}
    assert shown == {"审核结果": "通过", "审核意见": opinion, "核定金额（元）": "480.00 元"}
    assert {line["label"]: line["text"] for line in handed_over["laid_out"]["lines"]} == {
        "移交方式": "邮寄",
        "快递单号": "SF1234567890",
    }
    assert seen["approvals"] == ["480.00"] and seen["amount_to_pay"] == "480.00"

    centre = claimed(reviewer, "医保中心复核")
    more = complete(reviewer, centre, {"decision": "approve", "opinion": "复核", "approved_amount": "500.00"})
    assert more.get_json()["errors"] == {"approved_amount": ["核定金额 500.00 元不能超过上一环节核定的 480.00 元"]}
    assert (
        complete(
            reviewer, centre, {"decision": "approve", "opinion": "复核通过", "approved_amount": "480.00"}
        ).status_code
        == 200
    )
    settle(as_user, case)

    payer = as_user(PAYER)
    payout = claimed(payer, "拨付")
    paid_on = case["started_at"][:10]
    pay = {
        "payee_name": "张三",
        "bank_name": "中国农业银行丰城支行",
        "account_no": "6228480012345678901",
        "paid_on": paid_on,
    }
    refused = complete(payer, payout, {**pay, "amount": "600"})
    assert refused.get_json()["errors"] == {"amount": ["拨付金额 600.00 元与结算应由基金支付的 480.00 元不一致"]}
    assert complete(payer, payout, {**pay, "amount": "480.00"}).status_code == 200
    collect(as_user("qujiangcun.village_agent"))

    concluded = case_file(as_user, case["id"])
    assert concluded["status"] == "concluded"
    assert [d["outcome"] for d in concluded["file"]["decisions"] if d["form_key"] == "review"] == ["通过", "通过"]
    notice = as_user("qujiangcun.village_agent").get(f"/api/instances/{case['id']}/documents/conclusion")
    assert notice.status_code == 200
    assert "已拨付480.00元" in notice.get_data(as_text=True)


def test_an_invoice_is_claimed_by_one_open_case_and_freed_when_that_case_is_rejected(as_user):
    numbers = invoice_numbers()
    first = accept(as_user, claim_of_506_50(numbers))
    assert first.status_code == 201
    first_case = first.get_json()

    again = accept(as_user, claim_of_506_50(numbers))
    assert again.status_code == 422
    (message,) = again.get_json()["errors"]["invoices"]
    assert f"发票 {numbers[0]} 已在办件 {first_case['case_no']} 中申请报销" in message
    listed = as_user(ADMIN).get("/api/instances").get_json()
    assert listed["total"] == 1, "the refused application left no case behind"

    township = as_user(TOWNSHIP)
    review = claimed(township, "乡镇初审")
    rejected = complete(township, review, {"decision": "reject", "reason": "发票与清单金额不符"})
    assert rejected.status_code == 200
    assert accept(as_user, claim_of_506_50(numbers)).status_code == 201


def test_a_terminated_case_frees_its_invoices(as_user):
    numbers = invoice_numbers()
    case = accept(as_user, claim_of_506_50(numbers)).get_json()
    ended = as_user(ADMIN).post(f"/api/admin/instances/{case['id']}/terminate", json={"reason": "申请人撤回申请"})
    assert ended.status_code == 200, ended.get_json()
    assert accept(as_user, claim_of_506_50(numbers)).status_code == 201


def test_the_same_invoice_number_from_another_institution_is_another_invoice(as_user):
    numbers = invoice_numbers()
    assert accept(as_user, claim_of_506_50(numbers)).status_code == 201
    elsewhere = claim_of_506_50(numbers)
    elsewhere["medical_institution"] = "丰城市中医院"
    assert accept(as_user, elsewhere).status_code == 201


def test_a_one_of_group_without_any_of_its_materials_is_missing(as_user):
    """丰城 异地安置退休人员备案 (fc-v-04): 第2、3项具备一项即可."""
    agent = as_user("qujiangcun.village_agent")
    details = {"filing_type": "异地安置退休人员", "destination_province": "广东省", "destination_city": "深圳市"}
    details["start_date"] = "2026-10-08"
    base = {"item": "fc-v-04", "org": VILLAGE, "applicant": applicant(), "details": details}
    mandatory = ["本人有效身份证件或社会保障卡复印件", "《江西省异地就医登记备案表》"]
    without = agent.post("/api/instances", json={**base, "materials": mandatory})
    assert without.status_code == 201, without.get_json()
    file = case_file(as_user, without.get_json()["id"])["file"]
    (missing,) = file["missing"]
    assert missing.startswith("安置地证明（以下具备一项即可：所在单位出具长期安置地工作或学习的证明材料；")
    with_one = agent.post(
        "/api/instances", json={**base, "materials": [*mandatory, "所在单位出具长期安置地工作或学习的证明材料"]}
    )
    assert case_file(as_user, with_one.get_json()["id"])["file"]["missing"] == []


def test_a_station_accepts_only_items_for_its_kind_of_station(as_user):
    """福州 门诊费用报销 at a station (fz-s-13) is for 驻乡镇卫生院 stations, not the provincial hospital's."""
    body = {
        "item": "fz-s-13",
        "applicant": applicant(),
        "materials": [],
        "details": reimbursement_details(),
    }
    hospital = as_user("slyy.station_clerk").post("/api/instances", json={**body, "org": "350102-H01"})
    assert hospital.status_code == 422
    assert hospital.get_json()["errors"]["org"] == [
        "福建省立医院医保服务站（驻省市属和县级医疗机构服务站）不能受理“门诊费用报销”，该事项限驻乡镇卫生院服务站"
    ]
    health_centre = as_user("gdws.station_clerk").post("/api/instances", json={**body, "org": "350102-H02"})
    assert health_centre.status_code == 201, health_centre.get_json()
