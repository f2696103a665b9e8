"""环节时限 on the administrators' pages: an item's steps with 清单时限, 默认时限 and 已调整, an adjustment and its
removal, a field message in Chinese, and the scope of /api/step-limits (another region's item: 404; clerks: 403)."""

import re

import pytest

from engine.catalogue.flows import catalog
from engine.core.clock import clock
from tests.factories import applicant
from tests.scenarios import ADMIN, TOWNSHIP, at, only_task
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")
PAGE = "/admin/step-limits"


def login(app, username: str):
    client, _ = page_login(app, username)
    return client


def post(client, url: str, data: dict):
    token = csrf_token(client.get(PAGE).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def row(page: str, step: str) -> str:
    found = re.search(rf'<tr data-step="{re.escape(step)}">(.*?)</tr>', page, re.S)
    assert found, step
    return found.group(1)


def test_the_page_shows_default_against_adjusted_and_keeps_list_limits(app):
    admin = login(app, ADMIN)
    page = admin.get(f"{PAGE}?item=fc-t-10").get_data(as_text=True)
    assert '<a href="/admin/step-limits" class="active" aria-current="page">环节时限</a>' in page
    assert "20 个工作日" in row(page, "township_review") and "清单时限" in row(page, "township_review")
    assert "由事项清单规定" in row(page, "township_review")
    assert "2 个工作日" in row(page, "hand_over/hand_over") and "默认时限" in row(page, "hand_over/hand_over")

    bad = post(admin, PAGE, {"item": "fc-t-10", "step": "hand_over/hand_over", "days": "三天"})
    assert bad.status_code == 422
    assert "时限须为 0 至 180 之间的整数（工作日）" in row(bad.get_data(as_text=True), "hand_over/hand_over")

    done = post(admin, PAGE, {"item": "fc-t-10", "step": "hand_over/hand_over", "days": "4"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/step-limits?item=fc-t-10")
    page = admin.get(f"{PAGE}?item=fc-t-10").get_data(as_text=True)
    adjusted = row(page, "hand_over/hand_over")
    assert (
        "4 个工作日" in adjusted and "已调整" in adjusted and "默认时限 2 个工作日 · fengcheng.admin 调整于" in adjusted
    )
    assert "默认时限" in row(page, "materials/one_time_notice")

    override_id = re.search(r'action="/admin/step-limits/(\d+)/remove"', page).group(1)
    removed = post(admin, f"{PAGE}/{override_id}/remove", {})
    assert removed.status_code == 302
    page = admin.get(f"{PAGE}?item=fc-t-10").get_data(as_text=True)
    assert "已恢复默认时限" in page and "已调整" not in row(page, "hand_over/hand_over")


def test_another_regions_item_is_unknown_and_clerks_have_no_page(app):
    fuzhou = login(app, "fuzhou.admin")
    assert fuzhou.get(f"{PAGE}?item=fc-t-10").status_code == 404
    assert post(fuzhou, PAGE, {"item": "fc-t-10", "step": "hand_over/hand_over", "days": "9"}).status_code == 404
    page = fuzhou.get(PAGE).get_data(as_text=True)
    assert "福州市 · " in page and "丰城市 · " not in page
    assert login(app, "qujiang.township_clerk").get(PAGE).status_code == 403


def test_the_task_page_and_the_case_file_show_the_steps_limit_and_where_it_comes_from(app, as_user):
    clock.freeze(at("2026-11-04T10:00:00"))
    materials = [m.name for m in catalog().get("fc-t-03").materials]
    case = as_user("qujiang.township_clerk").post(
        "/api/instances", json={"item": "fc-t-03", "org": TOWNSHIP, "applicant": applicant(), "materials": materials}
    )
    assert case.status_code == 201, case.get_json()
    task = only_task(as_user("qujiang.township_clerk"), "办结")
    clerk = login(app, "qujiang.township_clerk")
    page = clerk.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert '<span class="step-limit">时限 0 个工作日（默认时限）</span>' in page
    file = clerk.get(f"/cases/{case.get_json()['id']}").get_data(as_text=True)
    assert '<small class="step-limit">时限 0 个工作日（默认时限）</small>' in file
