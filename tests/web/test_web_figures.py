"""Figures that do not mislead (issue 15): deadlines named by one rule, an incomplete case read as 待补正 with no
running limit, 时效统计 counting the accepting unit itself, items told apart in filters, one ID mask."""

import re

import pytest

from engine.cases.applicants import masked_id_number
from tests.factories import applicant
from tests.scenarios import ALL_MATERIALS, accept_at_instant, concluded_case, only_task, work
from tests.web_login import page_login

pytestmark = pytest.mark.usefixtures("fresh")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_task_pages_name_the_steps_deadline_and_the_cases_apart(fresh, as_user):
    """乡镇初审 has 20 working days of the case's 30: the task page reads both, each under its own name."""
    case = accept_at_instant(as_user, "2026-09-30T10:00:00")
    review = only_task(as_user("qujiang.township_clerk"), "乡镇初审")
    clerk, _ = page_login(fresh, "qujiang.township_clerk")
    page = text_of(clerk.get(f"/tasks/{review['id']}").get_data(as_text=True))
    assert "本环节期限：2026-11-03" in page and "办结期限 2026-11-17" in page
    assert "办结期限 2026-11-03" not in page, "the step's date is never called the case's"
    inbox = clerk.get("/inbox?view=candidate").get_data(as_text=True)
    assert "<th>环节期限</th>" in inbox and "办理期限" not in inbox
    case_page = text_of(clerk.get(f"/cases/{case['id']}").get_data(as_text=True))
    assert "办结期限 2026-11-17" in case_page and "环节期限 2026-11-03" in case_page


def test_an_incomplete_case_reads_awaiting_supplement_and_no_limit_runs(fresh, as_user, client):
    """Issue 15: an incomplete case reads 待补正, not 已受理/办理中; its 一次性告知书 starts the limit at 补齐."""
    case = accept_at_instant(as_user, "2026-09-30T10:00:00", materials=ALL_MATERIALS[:2])
    agent, _ = page_login(fresh, "qujiangcun.village_agent")
    page = agent.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert '<span class="status status-running">待补正</span>' in page
    assert "材料补齐后开始计时" in text_of(page) and "2026-11-17" not in page
    notice = text_of(agent.get(f"/api/instances/{case['id']}/documents/missing_materials").get_data(as_text=True))
    assert "自材料补齐之日起计算" in notice and "前办结" not in notice and "受理时间" not in notice
    assert "收件时间 2026年9月30日" in notice
    accepted = agent.get("/cases/accepted").get_data(as_text=True)
    assert '<span class="status status-running">待补正</span>' in accepted, "the lists read it too"
    tail = applicant()["id_number"][-6:]
    progress = client.get("/api/progress", query_string={"case_no": case["case_no"], "id_tail": tail}).get_json()
    assert progress["status"] == "待补正" and progress["due_date"] is None

    township_agent = as_user("qujiangcun.village_agent")
    work(township_agent, "一次性告知", {"missing": ALL_MATERIALS[2:]})
    assert '<span class="status status-running">待补正</span>' in agent.get(f"/cases/{case['id']}").get_data(
        as_text=True
    ), "the 补正 period runs"
    work(township_agent, "补正登记", {"received": ALL_MATERIALS[2:]})
    complete = agent.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert '<span class="status status-running">办理中</span>' in complete and "材料补齐后开始计时" not in complete


def figure(page: str, name: str) -> str:
    return re.search(rf'data-figure="{name}">([^<]*)<', page).group(1)


def unit_rows(page: str) -> dict[str, str]:
    table = page[page.index('class="list figures-units"') :].split("</table>", 1)[0]
    return dict(re.findall(r'<tr><td>([^<]+)</td><td class="num">(\d+)</td>', table))


def test_sla_counts_the_accepting_unit_and_the_header_matches_the_table(fresh, as_user):
    """Issue 15: a case 曲江村 accepted is 曲江村's, and with 单位=曲江村 header and table both say 办结 1."""
    concluded_case(as_user)
    admin, _ = page_login(fresh, "fengcheng.admin")
    village = admin.get("/admin/sla?org=360981104201").get_data(as_text=True)
    assert figure(village, "concluded") == "1" and unit_rows(village) == {"曲江村": "1"}
    assert "期间内无办结办件" not in village.split('class="list figures-units"')[1].split("</table>")[0]
    city = admin.get("/admin/sla").get_data(as_text=True)
    assert unit_rows(city) == {"曲江村": "1"}, "not under 曲江镇"
    assert figure(city, "concluded") == "1"


def option_labels(page: str) -> list[str]:
    select = page[page.index('<select name="item"') :].split("</select>", 1)[0]
    return re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]+)</option>", select)


def test_item_filters_tell_namesakes_apart_and_show_no_ids(fresh):
    """Issue 15: 城乡居民参保登记 and 门诊费用报销 each appear at two levels; the filter says which, and no
    raw id such as （fc-t-01） shows."""
    clerk, _ = page_login(fresh, "qujiang.township_clerk")
    labels = option_labels(clerk.get("/inbox").get_data(as_text=True))
    assert len(labels) == len(set(labels)), "no two items read alike"
    assert {"城乡居民参保登记 · 乡镇（街道）", "城乡居民参保登记 · 村（社区）"} <= set(labels)
    assert {"门诊费用报销 · 乡镇（街道）", "门诊费用报销 · 村（社区）"} <= set(labels)
    admin, _ = page_login(fresh, "fengcheng.admin")
    for url in ("/admin/instances", "/admin/sla", "/admin/step-limits"):
        page = admin.get(url).get_data(as_text=True)
        shown = option_labels(page)
        assert shown and not [label for label in shown if re.search(r"（(fc|fz|yz)-", label)], url
        assert "城乡居民参保登记 · 村（社区）" in " ".join(shown), url


def test_one_id_mask_on_pages_notices_and_the_api(fresh, as_user):
    """Issue 15: the applicant's ID number reads the same on the case page, the lists, the notices and the API."""
    case = accept_at_instant(as_user, "2026-09-30T10:00:00")
    number = applicant()["id_number"]
    masked = masked_id_number(number)
    assert masked.startswith(number[:4]) and masked.endswith(number[-4:]) and "*" in masked
    agent, _ = page_login(fresh, "qujiangcun.village_agent")
    admin, _ = page_login(fresh, "fengcheng.admin")
    shown = {
        "case page": agent.get(f"/cases/{case['id']}").get_data(as_text=True),
        "受理单": agent.get(f"/api/instances/{case['id']}/documents/receipt").get_data(as_text=True),
        "办件监控": admin.get("/admin/instances").get_data(as_text=True),
        "API": str(as_user("qujiangcun.village_agent").get(f"/api/instances/{case['id']}").get_json()),
    }
    for where, body in shown.items():
        assert masked in body, where
        assert number not in body, where
        other_masks = set(re.findall(rf"{number[:2]}[0-9*]{{14}}[0-9X*]{{2}}", body)) - {masked}
        assert not other_masks, (where, other_masks)
