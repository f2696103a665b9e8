"""福州 手工（零星）报销 (000 §三.1–2) from the point's window to 办结: the point reviews and uploads, the 属地管理部
(鼓楼区医保管理部) reviews and routes the case to the responsible 管理部 (here the city's 福州市医疗保障基金中心), which
reviews; the point mails the paper materials with a tracking number, that 管理部's 档案管理员 receives and archives
them and its 拨付员 pays. Paid or rejected (with its reason), the result returns to the point for 出件 (统一窗口出件) and
only then does the case conclude."""

import pytest

from tests.factories import applicant, reimbursement_details
from tests.scenarios import ADMIN, TODAY, collect, only_task, work

pytestmark = pytest.mark.usefixtures("fresh")

POINT = "350102001"  # 鼓东街道 便民服务中心 (the 基层服务点)
LOCAL_CENTRE = "350102-YB"  # 鼓楼区医保管理部, the 属地管理部
CITY_CENTRE = "350100-YB"  # 福州市医疗保障基金中心, the responsible 管理部 the case is routed to
CLERK = "gudong.township_clerk"
FZ_ADMIN = "fuzhou.admin"
POINT_REVIEW = {"decision": "approve", "approved_amount": "200.50", "uploaded": True, "opinion": "材料齐全"}
ROUTED = {"decision": "approve", "approved_amount": "200.50", "responsible_centre": CITY_CENTRE}
APPROVED = {"decision": "approve", "approved_amount": "180.00", "opinion": "剔除自费药品20.50元"}
MAILED = {"carrier": "中国邮政EMS", "tracking_no": "1180012345678", "mailed_on": TODAY}


def accepted_claim(as_user) -> dict:
    """A 门诊费用报销 (fz-g-19) accepted at the point; 000 names no materials for it."""
    response = as_user(CLERK).post(
        "/api/instances",
        json={
            "item": "fz-g-19",
            "org": POINT,
            "applicant": applicant(),
            "materials": [],
            "details": reimbursement_details(visited_on="2026-11-20"),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def detail(as_user, case) -> dict:
    return as_user(FZ_ADMIN).get(f"/api/instances/{case['id']}").get_json()


def complete(caller, title, data):
    task = only_task(caller, title)
    assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    return task, caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data})


def test_approved_claim_is_routed_mailed_archived_and_paid_at_the_responsible_centre(as_user):
    case = accepted_claim(as_user)
    point = as_user(CLERK)
    task, refused = complete(point, "服务点审核上传", {**POINT_REVIEW, "uploaded": False})
    assert task["org"]["code"] == POINT and refused.status_code == 422
    assert refused.get_json()["errors"]["uploaded"] == ["审核通过前须先扫描上传受理材料"]
    assert point.post(f"/api/tasks/{task['id']}/complete", json={"data": POINT_REVIEW}).status_code == 200

    local = as_user("gl-centre.centre_reviewer")
    task, unrouted = complete(local, "属地管理部审核", {**ROUTED, "responsible_centre": ""})
    assert task["org"]["code"] == LOCAL_CENTRE and unrouted.status_code == 422
    assert unrouted.get_json()["errors"]["responsible_centre"] == ["审核通过时须指定流转的管理部"]
    for elsewhere in ("431100-YB", POINT, "no-such-unit"):  # another region's centre, not a 管理部, unknown
        wrong = local.post(
            f"/api/tasks/{task['id']}/complete", json={"data": {**ROUTED, "responsible_centre": elsewhere}}
        )
        assert wrong.status_code == 422, wrong.get_json()
        assert wrong.get_json()["errors"]["responsible_centre"] == ["请选择福州市的医保中心/管理部"]
    assert detail(as_user, case)["tasks"][0]["title"] == "属地管理部审核", "a refused routing leaves the case as it was"
    assert local.post(f"/api/tasks/{task['id']}/complete", json={"data": ROUTED}).status_code == 200

    assert only_task(as_user("fz-centre.centre_reviewer"), "相应管理部审核")["org"]["code"] == CITY_CENTRE
    assert not [t for t in local.get("/api/tasks?view=candidate").get_json()["items"] if t["title"] == "相应管理部审核"]
    reviewer = as_user("fz-centre.centre_reviewer")
    review, too_much = complete(reviewer, "相应管理部审核", {**APPROVED, "approved_amount": "300"})
    assert too_much.status_code == 422 and "approved_amount" in too_much.get_json()["errors"]
    assert reviewer.post(f"/api/tasks/{review['id']}/complete", json={"data": APPROVED}).status_code == 200

    mailing, untracked = complete(point, "邮寄受理材料", {**MAILED, "tracking_no": ""})
    assert untracked.status_code == 422 and "tracking_no" in untracked.get_json()["errors"]
    assert point.post(f"/api/tasks/{mailing['id']}/complete", json={"data": MAILED}).status_code == 200
    (transfer,) = detail(as_user, case)["transfers"]
    assert (transfer["from_org"]["code"], transfer["to_org"]["code"]) == (POINT, CITY_CENTRE)
    assert (transfer["method"], transfer["tracking_no"]) == ("邮寄", MAILED["tracking_no"])
    assert transfer["handed_over_by"]["username"] == CLERK and transfer["archived_at"] is None

    archived = work(as_user("fz-centre.archivist"), "接收归档", {"archive_no": "FZ-SG-2026-0042", "location": "二号柜"})
    assert archived["org"]["code"] == CITY_CENTRE
    (transfer,) = detail(as_user, case)["transfers"]
    assert transfer["archive_no"] == "FZ-SG-2026-0042" and transfer["archived_at"]
    payout = {
        "amount": "180.00",
        "payee_name": "张三",
        "bank_name": "中国农业银行丰城支行",
        "account_no": "6228480012345678901",
        "paid_on": TODAY,
    }
    paid = work(as_user("fz-centre.centre_payer"), "拨付", payout)
    assert paid["org"]["code"] == CITY_CENTRE
    assert detail(as_user, case)["status"] == "running", "paid, the result goes back to the point for 出件"
    assert collect(point)["org"]["code"] == POINT

    done = detail(as_user, case)
    assert done["status"] == "concluded" and done["tasks"] == []
    worked = [(e["task"], e["org"]["code"]) for e in done["history"] if e["action"] == "completed"]
    assert worked == [
        ("服务点审核上传", POINT),
        ("属地管理部审核", LOCAL_CENTRE),
        ("相应管理部审核", CITY_CENTRE),
        ("邮寄受理材料", POINT),
        ("接收归档", CITY_CENTRE),
        ("拨付", CITY_CENTRE),
        ("出件", POINT),
    ]


@pytest.mark.parametrize(
    ("rejected_at", "steps"),
    [
        ("服务点审核上传", []),
        ("属地管理部审核", [(CLERK, "服务点审核上传", POINT_REVIEW)]),
        (
            "相应管理部审核",
            [(CLERK, "服务点审核上传", POINT_REVIEW), ("gl-centre.centre_reviewer", "属地管理部审核", ROUTED)],
        ),
    ],
)
def test_a_rejection_returns_to_the_point_with_its_reason_for_出件(as_user, rejected_at, steps):
    case = accepted_claim(as_user)
    for user, title, data in steps:
        work(as_user(user), title, data)
    reviewer = {
        "服务点审核上传": CLERK,
        "属地管理部审核": "gl-centre.centre_reviewer",
        "相应管理部审核": "fz-centre.centre_reviewer",
    }[rejected_at]
    reason = "发票为外省医疗机构开具，须先办理异地就医备案"
    work(as_user(reviewer), rejected_at, {"decision": "reject", "reason": reason})

    (handing_out,) = detail(as_user, case)["tasks"]
    assert (handing_out["title"], handing_out["org"]["code"]) == ("出件", POINT)
    notice = as_user(CLERK).get(f"/api/instances/{case['id']}/documents/rejection")
    assert notice.status_code == 200 and reason in notice.get_data(as_text=True)
    collect(as_user(CLERK), {"method": "邮寄", "tracking_no": "1180098765432"})
    done = detail(as_user, case)
    assert done["status"] == "concluded" and done["transfers"] == []
    assert [e["task"] for e in done["history"] if e["action"] == "completed"][-1] == "出件"
    conclusion = as_user(CLERK).get(f"/api/instances/{case['id']}/documents/conclusion").get_data(as_text=True)
    assert "1180098765432" in conclusion, "the point's 办结通知 prints how the result reached the applicant"
    assert as_user(ADMIN).get(f"/api/instances/{case['id']}").status_code == 404, (
        "丰城's administrator sees no 福州 case"
    )
