"""考核 over GET /api/sla, its workbook and the monthly 通报: a case concluded on time whose 乡镇初审 ran late.

Three 门诊费用报销 cases accepted at 曲江村 on 2026-11-02 (30 working days: due 2026-12-15 00:00; 乡镇初审 20:
due 2026-12-01 00:00), worked by 曲江镇 and the centre, the result handed out (出件) at 曲江村:
- A: 初审 on 11-03, concluded 11-03;
- B: 初审 on 12-08 — six working days (12-01…12-08) past its limit — then concluded 12-08, within the case's;
- C: rejected at 初审 on 11-03.
"""

from datetime import datetime
from io import BytesIO

import lxml.html
import pytest
from openpyxl import load_workbook

from engine.catalogue.flows import catalog
from engine.core.clock import SHANGHAI, clock
from tests.factories import applicant
from tests.scenarios import APPROVE, IN_PERSON, PAYOUT, settle, start_reimbursement_at, work_open_supervision
from tests.web_login import page_login

pytestmark = pytest.mark.usefixtures("fresh")

TOWNSHIP = {"code": "360981104", "name": "曲江镇"}
VILLAGE = {"code": "360981104201", "name": "曲江村"}
CENTRE = {"code": "360981-YB", "name": "丰城市医疗保障服务中心"}
REJECT = {"decision": "reject", "opinion": "材料不符合报销条件", "reason": "发票不属于报销范围"}


def at(day, hour=10):
    clock.freeze(datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI))


def work_case(caller, case_no, title, data):
    """Claim and complete the task titled `title` of the case `case_no`."""
    (task,) = [
        task
        for task in caller.get("/api/tasks?view=candidate&per_page=200").get_json()["items"]
        if task["case_no"] == case_no and task["title"] == title
    ]
    assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    response = caller.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()


def conclude_after_review(as_user, case_no):
    township = as_user("qujiang.township_clerk")
    work_case(township, case_no, "乡镇初审", APPROVE)
    work_case(township, case_no, "移交医保中心", {"method": "系统流转"})
    work_case(as_user("fc-centre.centre_reviewer"), case_no, "医保中心复核", APPROVE)
    settle(as_user, {"case_no": case_no})
    work_case(as_user("fc-centre.centre_payer"), case_no, "拨付", PAYOUT)
    work_case(as_user("qujiangcun.village_agent"), case_no, "出件", IN_PERSON)


@pytest.fixture
def month(as_user):
    """The three cases worked as the module says, and a 首问 referral from 曲江村 to 曲江镇; B's case number."""
    at("2026-11-02")
    a, b, c = (
        start_reimbursement_at(as_user, "qujiangcun", VILLAGE["code"], name) for name in ("李一", "王二", "赵三")
    )
    person = applicant("孙五")
    referral = {
        "item": "fc-t-05",
        "name": person["name"],
        "id_number": person["id_number"],
        "mobile": person["mobile"],
        "question": "异地安置退休人员备案，村里能否办理",
        "referred_to": TOWNSHIP["code"],
    }
    assert as_user("qujiangcun.village_agent").post("/api/referrals", json=referral).status_code == 201
    at("2026-11-03")
    conclude_after_review(as_user, a)
    work_case(as_user("qujiang.township_clerk"), c, "乡镇初审", REJECT)
    work_case(as_user("qujiangcun.village_agent"), c, "出件", IN_PERSON)
    at("2026-12-08")
    conclude_after_review(as_user, b)
    work_open_supervision(as_user, b)
    return b


def figures(as_user, query="from=2026-11-01&to=2026-12-31"):
    response = as_user("fengcheng.admin").get(f"/api/sla?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def stage(report, unit, title):
    (row,) = [row for row in report["stages"] if row["unit"] == unit and row["stage"] == title]
    return row


def unit_row(report, unit):
    (row,) = [row for row in report["units"] if row["unit"] == unit]
    return row


def test_a_case_on_time_with_a_late_initial_review_counts_both(month, as_user):
    report = figures(as_user)
    admin = as_user("fengcheng.admin")
    assert month in {case["case_no"] for case in admin.get("/api/instances?status=concluded").get_json()["items"]}
    # Every case concluded within its 30 working days, B included ...
    assert (report["concluded"]["total"], report["concluded"]["on_time"], report["concluded"]["late"]) == (3, 3, 0)
    assert unit_row(report, VILLAGE)["concluded"]["on_time_rate"] == 1.0
    # ... while B's 初审 ran six working days past its own 20: the stage's on-time rate shows it.
    assert stage(report, TOWNSHIP, "乡镇初审") == {
        "unit": TOWNSHIP,
        "stage": "乡镇初审",
        "completed": 3,
        "on_time": 2,
        "late": 1,
        "without_limit": 0,
        "on_time_rate": 0.6667,
        "avg_working_days": round((1 + 1 + 26) / 3, 2),  # 11-02 → 11-03 twice; 11-02 → 12-08: 26 working days
    }
    assert stage(report, CENTRE, "医保中心复核")["late"] == 0
    township = unit_row(report, TOWNSHIP)
    assert township["stages"]["late"] >= 1 and township["stages"]["on_time_rate"] < 1.0
    assert [case["case_no"] for case in report["overdue_cases"]] == []  # no case ran late, only a stage


def test_the_months_counts_per_unit(month, as_user):
    november, december = figures(as_user, "month=2026-11"), figures(as_user, "month=2026-12")
    assert (november["from"], november["to"]) == ("2026-11-01", "2026-11-30")
    assert stage(november, TOWNSHIP, "乡镇初审")["completed"] == 2
    late_review = stage(december, TOWNSHIP, "乡镇初审")
    assert (late_review["completed"], late_review["late"], late_review["on_time_rate"]) == (1, 1, 0.0)
    assert late_review["avg_working_days"] == 26.0
    township, centre, village = (unit_row(november, unit)["counts"] for unit in (TOWNSHIP, CENTRE, VILLAGE))
    assert (township["approved"], township["rejected"]) == (1, 1)
    assert (centre["approved"], centre.get("rejected", 0)) == (1, 0)
    assert village["referrals_made"] == 1 and township["referrals_received"] == 1
    assert village["proxy"] == 3, "曲江村's agent applied for all three under a 委托"
    assert unit_row(december, TOWNSHIP)["counts"]["approved"] == 1
    assert "good_rate" not in unit_row(november, VILLAGE)["counts"], "no ratings: no rate columns"
    labels = {column["key"]: column["label"] for column in november["count_columns"]}
    assert labels["approved"] == "审核通过" and labels["referrals_made"] == "首问转出"


def test_ratings_and_their_poor_ones_handled_per_rated_unit(month, as_user):
    at("2026-12-09")
    agent = as_user("qujiangcun.village_agent")
    concluded = as_user("fengcheng.admin").get("/api/instances?status=concluded").get_json()["items"]
    for case, level in zip(sorted(case["case_no"] for case in concluded), ("满意", "非常不满意"), strict=False):
        assert agent.post("/api/ratings", json={"case_no": case, "level": level}).status_code == 201
    village = unit_row(figures(as_user, "month=2026-12"), VILLAGE)["counts"]
    # Both rated their last stage, 曲江村's 出件; the 差评's 整改 and 回访 are still open.
    assert (village["ratings"], village["poor_ratings"], village["good_rate"]) == (2, 1, 0.5)
    assert (village["follow_up_rate"], village["handled_rate"]) == (0.0, 0.0)
    columns = {column["key"]: column for column in figures(as_user, "month=2026-12")["count_columns"]}
    assert columns["handled_rate"] == {"key": "handled_rate", "label": "差评处置率", "rate": True}


def test_units_are_ranked_by_their_stages_on_time_rate(month, as_user):
    rates = [row["stages"]["on_time_rate"] for row in figures(as_user)["units"]]
    timed = [rate for rate in rates if rate is not None]
    assert timed == sorted(timed, reverse=True) and rates[: len(timed)] == timed


def test_overdue_cases_late_and_still_open(month, as_user):
    at("2026-12-08")
    start_reimbursement_at(as_user, "qujiangcun", VILLAGE["code"], "钱六")
    at("2027-01-25")  # 30 working days from 12-08 end with 2027-01-20 (元旦 off)
    (case,) = figures(as_user, "from=2026-11-01")["overdue_cases"]
    assert (case["completed_at"], case["unit"], case["item_name"]) == (None, VILLAGE, "门诊费用报销")
    assert (case["due_on"], case["overdue_working_days"]) == ("2027-01-20", 3)  # over: 01-21, 01-22 and 01-25


FILING_ITEM = (
    "fc-t-05"  # 异地安置退休人员备案 at the township window; the copy of the ID is 可容缺, 补正 30 natural days
)
FILING = {"filing_type": "异地安置退休人员", "destination_province": "广东省", "destination_city": "深圳市"}
COPY = "本人有效身份证件或社会保障卡复印件"


def accept_filing(as_user, **body):
    materials = [m.name for m in catalog().get(FILING_ITEM).materials if m.name != COPY]
    payload = {"item": FILING_ITEM, "org": TOWNSHIP["code"], "applicant": applicant(), "materials": materials}
    response = as_user("qujiang.township_clerk").post(
        "/api/instances", json=payload | {"details": FILING | {"start_date": "2026-11-02"}} | body
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_deferred_supplement_and_not_accepted_counted_at_the_accepting_unit(app, as_user):
    at("2026-11-02")
    accept_filing(as_user, deferred=[COPY], promise_date="2026-11-05")
    told = accept_filing(as_user)
    work_case(as_user("qujiang.township_clerk"), told["case_no"], "一次性告知", {"missing": [COPY]})
    result = app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", "2026-12-03T00:00:01+08:00"])
    assert result.exit_code == 0, result.output
    at("2026-12-03")
    november, december = figures(as_user, "month=2026-11"), figures(as_user, "month=2026-12")
    assert {key: unit_row(november, TOWNSHIP)["counts"][key] for key in ("deferred", "supplement")} == {
        "deferred": 1,
        "supplement": 1,
    }
    assert unit_row(december, TOWNSHIP)["counts"]["not_accepted"] == 1
    assert unit_row(figures(as_user, ""), TOWNSHIP)["counts"]["not_accepted"] == 1, "no period: any time"
    labels = [column["label"] for column in november["count_columns"]]
    assert labels[:3] == ["不予受理", "容缺受理", "补正"]


def test_bad_month_and_month_with_dates_are_named(as_user):
    admin = as_user("fengcheng.admin")
    assert admin.get("/api/sla?month=2026-13").get_json()["errors"]["query"] == {
        "month": ["月份格式应为 YYYY-MM，例如 2026-11"]
    }
    both = admin.get("/api/sla?month=2026-11&from=2026-11-01")
    assert both.status_code == 422 and both.get_json()["errors"]["query"] == {"month": ["按月统计时不再填写起止日期"]}
    assert admin.get("/api/sla/export.xlsx?month=x").status_code == 422
    assert as_user("qujiang.township_clerk").get("/api/sla/export.xlsx").status_code == 403


def table_rows(page, css_class):
    return page.xpath(f"//table[contains(concat(' ', @class, ' '), ' {css_class} ')]/tbody/tr")


def sheet_rows(book, title):
    rows = list(book[title].iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_the_workbook_holds_the_same_numbers_as_the_api_and_the_page(month, as_user, fresh):
    query = "from=2026-11-01&to=2026-12-31"
    report = figures(as_user, query)
    response = as_user("fengcheng.admin").get(f"/api/sla/export.xlsx?{query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["概况", "各单位考核", "各环节时效", "超期办件"]
    summary = dict(book["概况"].iter_rows(values_only=True))
    assert (summary["统计单位"], summary["办结办件"], summary["按时办结率"]) == ("丰城市", 3, 1.0)

    head, rows = sheet_rows(book, "各环节时效")
    assert head == (
        "单位编码",
        "单位",
        "环节",
        "已办环节",
        "环节按时",
        "环节超期",
        "无时限",
        "环节按时率",
        "平均用时（工作日）",
    )
    keys = ("completed", "on_time", "late", "without_limit", "on_time_rate", "avg_working_days")
    assert rows == [
        (row["unit"]["code"], row["unit"]["name"], row["stage"], *(row[key] for key in keys))
        for row in report["stages"]
    ]

    head, rows = sheet_rows(book, "各单位考核")
    assert head[:3] == ("排名", "单位编码", "单位") and "审核通过" in head and "首问转出" in head
    client, _ = page_login(fresh, "fengcheng.admin")
    page = lxml.html.fromstring(client.get(f"/admin/sla?{query}").get_data(as_text=True))
    shown = table_rows(page, "figures-assessment")
    assert len(shown) == len(rows) == len(report["units"])
    approved = head.index("审核通过")
    for cells, row in zip(shown, rows, strict=True):
        assert cells.get("data-unit") == row[1]
        stage_rate = cells.xpath("td[@data-figure='stage_rate']")[0].text_content()
        assert stage_rate == (
            "—" if row[head.index("环节按时率")] is None else f"{row[head.index('环节按时率')] * 100:.1f}%"
        )
        count = cells.xpath("td[@data-count='approved']")[0].text_content()
        assert count == ("—" if row[approved] is None else str(int(row[approved])))


def test_the_printed_bulletin_ranks_units_and_lists_overdue_cases(month, as_user, fresh):
    at("2027-01-25")
    client, _ = page_login(fresh, "fengcheng.admin")
    response = client.get("/admin/sla/bulletin?month=2026-12")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.get_data(as_text=True))
    assert page.xpath("//h1")[0].text_content() == "丰城市医保经办服务考核通报"
    assert "2026年12月" in page.xpath("//p[@class='subtitle']")[0].text_content()
    late = [row.text_content() for row in table_rows(page, "figures-late-stages")]
    assert any("曲江镇" in row and "乡镇初审" in row for row in late)
    assert page.xpath("//button[@data-print]") and all(
        row.get("data-unit") for row in table_rows(page, "figures-assessment")
    )
    sla_page = client.get("/admin/sla?month=2026-12").get_data(as_text=True)
    assert "/admin/sla/bulletin?month=2026-12" in sla_page and "/api/sla/export.xlsx?month=2026-12" in sla_page
    assert client.get("/api/sla/export.xlsx?month=2026-12").status_code == 200  # the page's link, by its cookie
    assert client.get("/admin/sla/bulletin?month=2026-99").status_code == 400
