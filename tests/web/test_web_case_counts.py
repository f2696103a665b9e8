"""Listings' counts beyond the cap (issue 16): pages say "10,000+" rather than count every case."""

import re

import pytest

from engine.cases import queries
from engine.core.clock import clock
from tests.scenarios import at, start_reimbursement_at
from tests.web_login import page_login
from web.filters import case_count


def count_line(html: str) -> str:
    return re.search(r'<p class="count">(.*?)</p>', html, re.S).group(1)


@pytest.mark.usefixtures("fresh")
def test_a_capped_count_reads_as_more_than_the_cap(fresh, as_user, monkeypatch):
    clock.freeze(at("2026-10-12T09:00:00"))
    for name in ("张三", "李四", "王五"):
        start_reimbursement_at(as_user, "qujiangcun", "360981104201", name)
    admin, _ = page_login(fresh, "fengcheng.admin")
    agent, _ = page_login(fresh, "qujiangcun.village_agent")
    assert "共 3 件" in count_line(admin.get("/admin/instances").get_data(as_text=True))
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    assert "共 2+ 件" in count_line(admin.get("/admin/instances").get_data(as_text=True))
    assert "共 2+ 件" in count_line(agent.get("/cases/accepted").get_data(as_text=True))
    assert "共 2+ 件" in count_line(agent.get("/inbox?q=360981").get_data(as_text=True))


def test_the_cap_reads_10000_plus():
    assert case_count(queries.COUNT_CAP, capped=True) == "10,000+"
    assert case_count(9_999) == "9999"
