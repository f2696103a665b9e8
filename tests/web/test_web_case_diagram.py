"""The marks of the administrator's case diagram (diagram.json, drawn by case_diagram.js): a step is drawn as done
only when the case really went through it, so 一次性告知/补正 stays plain for a case accepted with every material."""

import pytest

from tests.scenarios import ADMIN, ALL_MATERIALS, start_at_village, work
from tests.web_login import page_login

pytestmark = pytest.mark.usefixtures("fresh")


def marks(app, case_id: int) -> dict:
    client, _ = page_login(app, ADMIN)
    response = client.get(f"/admin/instances/{case_id}/diagram.json")
    assert response.status_code == 200
    return response.get_json()


def test_a_case_with_every_material_does_not_show_the_notice_and_supplement_as_done(fresh, as_user):
    case = start_at_village(as_user)
    drawn = marks(fresh, case["id"])
    assert "materials" not in drawn["completed"], "all materials present: no 一次性告知 was issued, no 补正 taken"
    assert "materials" not in drawn["active"]
    assert "apply" in drawn["completed"] and "township_review" in drawn["active"]
    assert ["apply", "materials"] in drawn["taken"] and ["materials", "accepted_where"] in drawn["taken"]


def test_a_case_told_of_missing_materials_shows_the_notice_running_then_done(fresh, as_user):
    case = start_at_village(as_user, materials=ALL_MATERIALS[:2])
    assert "materials" in marks(fresh, case["id"])["active"], "the 一次性告知 waits: the sub-flow is the current step"

    agent = as_user("qujiangcun.village_agent")
    work(agent, "一次性告知", {"missing": ALL_MATERIALS[2:]})
    assert "materials" in marks(fresh, case["id"])["active"], "waiting for the 补正"
    work(agent, "补正登记", {"received": ALL_MATERIALS[2:]})
    drawn = marks(fresh, case["id"])
    assert "materials" in drawn["completed"] and "materials" not in drawn["active"]
    assert "township_review" in drawn["active"]
