"""The administrators' case listing reads a page in a fixed number of SQL statements, however many cases it
shows, and marks a case 已超期 by the engine's rule (its own limit or an open step's limit passed)."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from engine.core.clock import clock
from server.extensions import db
from tests.scenarios import at, start_reimbursement_at
from tests.web_login import page_login

pytestmark = pytest.mark.usefixtures("fresh")

VILLAGES = [("qujiangcun", "360981104201"), ("xinzhuang", "360981104202"), ("xiaogangcun", "360981106201")]


@contextmanager
def counted_statements(app):
    """The SQL statements run inside the block, counted on the app's engine."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def start_cases(as_user, how_many: int) -> None:
    for number in range(how_many):
        slug, code = VILLAGES[number % len(VILLAGES)]
        start_reimbursement_at(as_user, slug, code, f"申请人{number}")


def listing_statements(app, client) -> int:
    client.get("/admin/instances")  # the login and first-page caches warm up outside the count
    with counted_statements(app) as seen:
        response = client.get("/admin/instances")
    assert response.status_code == 200
    return len(seen)


def test_a_page_of_cases_costs_the_same_statements_for_two_cases_as_for_nine(fresh, as_user):
    clock.freeze(at("2026-10-08T10:00:00"))
    client, _ = page_login(fresh, "fengcheng.admin")
    start_cases(as_user, 2)
    few = listing_statements(fresh, client)
    start_cases(as_user, 7)
    many = listing_statements(fresh, client)
    page = client.get("/admin/instances").get_data(as_text=True)
    assert page.count('class="step"') == 9  # every listed case shows its open 乡镇初审
    assert many == few, f"{few} statements for 2 cases, {many} for 9"


def test_a_case_whose_open_step_is_past_its_limit_is_listed_overdue(fresh, as_user):
    clock.freeze(at("2026-10-08T10:00:00"))
    start_cases(as_user, 1)
    client, _ = page_login(fresh, "fengcheng.admin")
    rows = re.findall(
        r'<tr class="([^"]*)">\s*<td class="mono">', client.get("/admin/instances").get_data(as_text=True)
    )
    assert rows == [""]
    clock.freeze(at("2026-11-10T09:00:00"))  # 乡镇初审's 20 working days ended with 11-04; the case's 30 end with 11-18
    page = client.get("/admin/instances").get_data(as_text=True)
    rows = re.findall(r'<tr class="([^"]*)">\s*<td class="mono">', page)
    assert rows == ["is-overdue"]
    assert '<span class="badge overdue">已超期</span>' in page
