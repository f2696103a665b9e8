"""移交 and 归档 as records: what was handed from which unit to which, by whom, and the 档案管理员's confirmation."""

from datetime import date, timedelta

import pytest

from tests.factories import applicant, reimbursement_details
from tests.scenarios import ALL_MATERIALS, APPROVE, TODAY, TOWNSHIP, only_task, work

pytestmark = pytest.mark.usefixtures("fresh")

FC_CENTRE = "360981-YB"
GUDONG = "350102001"  # 鼓东街道, 福州
GL_CENTRE = "350102-YB"  # 鼓楼区医保管理部


def start(caller, item, org, materials, details=None):
    response = caller.post(
        "/api/instances",
        json={"item": item, "org": org, "applicant": applicant(), "materials": materials, "details": details or {}},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_handover_records_materials_units_and_clerk(as_user):
    township = as_user("qujiang.township_clerk")
    case = start(township, "fc-t-10", TOWNSHIP, ALL_MATERIALS[:3], reimbursement_details())
    work(township, "一次性告知", {"missing": ALL_MATERIALS[3:]})
    work(township, "补正登记", {"received": ALL_MATERIALS[3:]})
    work(township, "乡镇初审", APPROVE)
    assert township.get(f"/api/instances/{case['id']}").get_json()["transfers"] == []

    handover = only_task(township, "移交医保中心")
    assert township.post(f"/api/tasks/{handover['id']}/claim").status_code == 200
    posted = township.post(f"/api/tasks/{handover['id']}/complete", json={"data": {"method": "邮寄"}})
    assert posted.status_code == 422
    assert posted.get_json()["errors"]["tracking_no"] == ["邮寄移交时必须填写快递单号"]
    done = township.post(
        f"/api/tasks/{handover['id']}/complete",
        json={"data": {"method": "邮寄", "tracking_no": "SF1234567890", "note": "原件4份"}},
    )
    assert done.status_code == 200, done.get_json()

    (transfer,) = township.get(f"/api/instances/{case['id']}").get_json()["transfers"]
    assert transfer["from_org"]["code"] == TOWNSHIP
    assert transfer["to_org"]["code"] == FC_CENTRE
    assert transfer["materials"] == ALL_MATERIALS
    assert (transfer["method"], transfer["tracking_no"], transfer["note"]) == ("邮寄", "SF1234567890", "原件4份")
    assert transfer["handed_over_by"]["username"] == "qujiang.township_clerk"
    assert transfer["archived_at"] is None
    review = only_task(as_user("fc-centre.centre_reviewer"), "医保中心复核")
    assert review["org"]["code"] == transfer["to_org"]["code"]


def test_archivist_of_the_receiving_centre_confirms_the_archive(as_user):
    clerk = as_user("gudong.township_clerk")
    case = start(
        clerk,
        "fz-g-15",
        GUDONG,
        [],
        {
            "filing_type": "异地转诊人员",
            "destination_province": "上海市",
            "destination_city": "上海市",
            "start_date": TODAY,
            "end_date": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    assert case["status"] == "running"
    work(clerk, "办结", {"result": "备案成功"})
    work(clerk, "移交医保中心", {"method": "窗口移交"})

    assert as_user("fc-centre.archivist").get("/api/tasks").get_json()["total"] == 0
    archivist = as_user("gl-centre.archivist")
    task = only_task(archivist, "归档")
    assert (task["org"]["code"], task["role"], task["form_key"]) == (GL_CENTRE, "archivist", "archive")
    assert archivist.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    missing_no = archivist.post(f"/api/tasks/{task['id']}/complete", json={"data": {"location": "一号柜"}})
    assert missing_no.status_code == 422 and "archive_no" in missing_no.get_json()["errors"]
    confirmed = archivist.post(
        f"/api/tasks/{task['id']}/complete", json={"data": {"archive_no": "GL-2026-000123", "location": "档案室一号柜"}}
    )
    assert confirmed.status_code == 200, confirmed.get_json()

    detail = archivist.get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "concluded"
    (transfer,) = detail["transfers"]
    assert (transfer["from_org"]["code"], transfer["to_org"]["code"]) == (GUDONG, GL_CENTRE)
    assert transfer["archive_no"] == "GL-2026-000123"
    assert transfer["archive_location"] == "档案室一号柜"
    assert transfer["archived_by"]["username"] == "gl-centre.archivist"
    assert transfer["archived_at"] >= transfer["handed_over_at"]
