"""Every catalogue item, at every level its list allows, from acceptance to 办结 through the HTTP API.

Each item is started at a demo unit of its region and level and walked along its approve path;
every task must land at the unit the hand-off rules name (村 → its 乡镇 → its 县/市 centre; a
hospital station → its 管理部), written out below rather than asked of engine.routing. Each item
is also refused at a level its list does not allow.
"""

from collections import Counter
from datetime import timedelta

import pytest

from engine.catalogue.flows import catalog, flow_for
from engine.core.clock import SHANGHAI, clock
from tests.factories import applicant, reimbursement_details
from tests.scenarios import DEMO, SLUG, SYSTEM_ADMIN, TASK_DATA, TODAY, settle, sweep_at, window_user

pytestmark = pytest.mark.usefixtures("fresh")

# Where each level of each region is accepted in the demo organisation (a centre's window for 市级/县级).
START_AT = {
    ("丰城市", "township"): "360981104",  # 曲江镇
    ("丰城市", "village"): "360981104201",  # 曲江村
    ("丰城市", "county"): "360981-YB",  # 丰城市医疗保障服务中心 (丰城 is a county-level city)
    ("福州市", "city"): "350100-YB",
    ("福州市", "county"): "350102-YB",  # 鼓楼区医保管理部
    ("福州市", "township"): "350102001",  # 鼓东街道
    ("福州市", "village"): "350102001001",  # 营迹社区
    ("福州市", "station"): "350102-H01",  # 福建省立医院医保服务站
    ("永州市", "city"): "431100-YB",
    ("永州市", "county"): "431103-YB",  # 冷水滩区医疗保障事务中心
    ("永州市", "township"): "431103104",  # 伊塘镇
    ("永州市", "village"): "431103104201",  # 孟公山村
    ("永州市", "station"): "431100-H01",  # 永州市中心医院医保服务站
}
# An item limited to 驻乡镇卫生院 stations is accepted at the demo's health-centre station instead.
HEALTH_CENTRE_STATION = {"福州市": "350102-H02"}  # 鼓东街道社区卫生服务中心医保服务站
# The hand-off rules over the demo organisation.
TOWNSHIP_OF = {"360981104201": "360981104", "350102001001": "350102001", "431103104201": "431103104"}
CENTRE_OF = {
    "360981104": "360981-YB",
    "360981104201": "360981-YB",
    "360981-YB": "360981-YB",
    "350102001": "350102-YB",
    "350102001001": "350102-YB",
    "350102-H01": "350102-YB",
    "350102-H02": "350102-YB",
    "350102-YB": "350102-YB",
    "350100-YB": "350100-YB",
    "431103104": "431103-YB",
    "431103104201": "431103-YB",
    "431103-YB": "431103-YB",
    "431100-YB": "431100-YB",
    "431100-H01": "431100-YB",
}
WINDOW_ROLES = {"village_agent", "township_clerk", "station_clerk", "centre_clerk"}
CENTRE_ROLES = {"centre_reviewer", "centre_payer", "archivist", "expert"}
LEVEL_WORDS = {"city": "市级", "county": "县级", "township": "乡镇", "village": "村", "station": "医保服务站"}
LIST_SIZES = {
    "fuzhou-grassroots": 25,
    "fuzhou-station": 19,
    "fengcheng-township": 16,
    "fengcheng-village": 12,
    "yongzhou-levels": 43,
}

START_DETAILS = {
    None: {},
    "consultation": {"topic": "城乡居民医保缴费标准", "answer": "已当场解答并发放政策宣传单"},
    "remote_care_filing": {
        "filing_type": "异地长期居住人员",
        "destination_province": "广东省",
        "destination_city": "深圳市",
        "start_date": TODAY,
    },
    "insured_registration": {"insured_category": "城乡居民", "start_date": TODAY},
    "info_change": {"field": "手机号", "old_value": "13907951234", "new_value": "13907955678"},
    "certificate": {"purpose": "办理异地就医", "copies": 1},
    "designation_application": {
        "institution_name": "冷水滩区康宁诊所",
        "credit_code": "92431103MA4L123456",
        "address": "永州市冷水滩区凤凰路1号",
    },
}
# What an outside body reports to a case waiting for its result, by the waiting step's form.
MESSAGE_DATA = {
    "injury_investigation": {
        "investigation_result": "reimbursable",
        "investigated_on": TODAY,
        "investigator": "丰城市医保局",
    }
}
ITEMS = catalog().items
SYSTEM_UNIT = "000000"  # 医保经办平台（全系统）: a worker credential of every region, for the 医保结算 step


def expected_unit(role: str, start: str) -> str:
    if role in WINDOW_ROLES - {"township_clerk"}:
        return start
    if role == "township_clerk":
        return TOWNSHIP_OF.get(start, start)
    assert role in CENTRE_ROLES, role
    return CENTRE_OF[start]


def window_role_at(unit_code: str) -> str:
    kind = next(unit["kind"] for unit in DEMO["unit"] if unit["code"] == unit_code)
    return {
        "village": "village_agent",
        "township": "township_clerk",
        "station": "station_clerk",
        "centre": "centre_clerk",
    }[kind]


def start_details(start_form):
    """The start data of a form; a claim gets invoices no other case claimed."""
    return reimbursement_details() if start_form == "reimbursement_claim" else START_DETAILS[start_form]


def start(as_user, item, unit_code):
    return as_user(window_user(unit_code, window_role_at(unit_code))).post(
        "/api/instances",
        json={
            "item": item.id,
            "org": unit_code,
            "applicant": applicant(),
            "materials": [m.name for m in item.materials],
            "details": start_details(flow_for(item).start_form),
        },
    )


def walk_to_conclusion(as_user, case_id: int, start_unit: str) -> list[tuple[str, str, str]]:
    """Work every open task with a user of the unit it must land at, and report every message the case waits
    for (e.g. 意外伤害's 外伤调查结果) from that unit's window; returns (title, role, unit) worked."""
    admin = as_user(SYSTEM_ADMIN)
    worked = []
    for _ in range(12):
        detail = admin.get(f"/api/instances/{case_id}").get_json()
        if detail["status"] == "concluded":
            return worked
        if not detail["tasks"] and not detail["waiting"]:
            settle(as_user, {"case_no": detail["case_no"]}, scope=SYSTEM_UNIT)  # 医保结算, over /engine-rest
            worked.append(("医保结算", "worker", SYSTEM_UNIT))
            continue
        if not detail["tasks"]:
            (wait,) = detail["waiting"]
            unit = wait["org"]["code"]
            if wait["form_key"] not in MESSAGE_DATA:  # 公示: no objection comes, its period passes
                later = clock.now().astimezone(SHANGHAI).replace(tzinfo=None) + timedelta(days=60)
                sweep_at(as_user.test_client.application, later.isoformat())
                worked.append((wait["element"], "timer", unit))
                continue
            assert unit == start_unit, (wait["element"], unit)
            caller = as_user(window_user(unit, window_role_at(unit)))
            message = {"name": wait["message"], "variables": MESSAGE_DATA[wait["form_key"]]}
            sent = caller.post(f"/api/instances/{case_id}/messages", json=message)
            assert sent.status_code == 200, (wait["element"], sent.get_json())
            worked.append((wait["element"], "message", unit))
            continue
        for seat, task in enumerate(detail["tasks"], start=1):  # several at once: a panel of 评审专家
            unit = task["org"]["code"]
            assert unit == expected_unit(task["role"], start_unit), (task["title"], task["role"], unit)
            user = f"{SLUG[unit]}.expert{seat}" if task["role"] == "expert" else window_user(unit, task["role"])
            caller = as_user(user)
            assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
            done = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": task_data(task, start_unit)})
            assert done.status_code == 200, (task["title"], done.get_json())
            worked.append((task["title"], task["role"], unit))
    raise AssertionError(f"case {case_id} did not conclude: {worked}")


def task_data(task, start_unit: str) -> dict:
    """The approving data of a task's form; the 属地管理部 (福州 手工报销) routes the case to its own 管理部."""
    if task["form_key"] == "routing_review":
        return {**TASK_DATA["review"], "responsible_centre": CENTRE_OF[start_unit]}
    return TASK_DATA[task["form_key"]]


def test_the_lists_have_the_counts_of_the_source_documents():
    assert Counter(item.list_id for item in ITEMS) == LIST_SIZES
    assert len(ITEMS) == sum(LIST_SIZES.values())


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_item_runs_at_every_allowed_level_and_is_refused_elsewhere(as_user, item):
    for level in item.levels:
        unit = start_unit(item, level)
        response = start(as_user, item, unit)
        assert response.status_code == 201, (level, response.get_json())
        case = response.get_json()
        worked = walk_to_conclusion(as_user, case["id"], unit)
        assert worked, "a case is concluded by a person, never by acceptance alone"
        settled = any(title == "医保结算" for title, _, _ in worked)
        assert settled == flow_for(item).settles, "medical expenses are settled before 拨付, subsidies are not"
        transfers = as_user(SYSTEM_ADMIN).get(f"/api/instances/{case['id']}").get_json()["transfers"]
        for transfer in transfers:
            sender = transfer["from_org"]["code"]
            assert transfer["to_org"]["code"] == CENTRE_OF[start_unit_of(sender, unit)]
            assert transfer["materials"] == [m.name for m in item.materials]
        if any(role == "archivist" for _, role, _ in worked):
            assert transfers and all(t["archive_no"] == TASK_DATA["archive"]["archive_no"] for t in transfers)

    refused_at = [lvl for (region, lvl) in START_AT if region == item.region and lvl not in item.levels]
    assert refused_at, f"{item.id}: the demo organisation has no unit where it is refused"
    refused = start(as_user, item, START_AT[item.region, refused_at[0]])
    assert refused.status_code == 422
    message = refused.get_json()["errors"]["org"][0]
    assert all(LEVEL_WORDS[level] in message for level in item.levels), message


def start_unit(item, level: str) -> str:
    if level == "station" and item.station_types and "hospital" not in item.station_types:
        return HEALTH_CENTRE_STATION[item.region]
    return START_AT[item.region, level]


def start_unit_of(sender: str, start_unit: str) -> str:
    """A transfer leaves the accepting unit or, after 乡镇初审, its township; both hand to the same centre."""
    assert sender in (start_unit, TOWNSHIP_OF.get(start_unit)), sender
    return start_unit
