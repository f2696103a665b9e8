"""Operators read one log line per step failure, timer incident, sweep and deploy."""

import logging

import pytest

from engine.bpmn import deployment
from engine.org.permissions import SYSTEM
from engine.tasks import work as task_work
from engine.timers import sweep
from server.extensions import db
from tests.scenarios import APPROVE, accept_at_township_window, at, only_task, start_at_village, sweep_at

pytestmark = pytest.mark.usefixtures("fresh")
FIXTURE = "tests/fixtures/bpmn/valid_review.bpmn"


def lines(caplog, logger):
    return [r.getMessage() for r in caplog.records if r.name == logger]


def test_a_deploy_is_one_line_naming_the_process_and_version(app, caplog):
    with caplog.at_level(logging.INFO, logger="yibao.deploy"), app.app_context():
        definition, created = deployment.deploy(db.session, SYSTEM, open(FIXTURE, "rb").read(), "valid_review.bpmn")
        db.session.remove()
    assert created
    assert lines(caplog, "yibao.deploy") == [
        f"deployed {definition.process_key} v{definition.version} from valid_review.bpmn by {SYSTEM.username}"
    ]


def test_a_failed_step_is_one_line_with_the_case_number(app, as_user, monkeypatch, caplog):
    case = start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    task = only_task(township, "乡镇初审")
    assert township.post(f"/api/tasks/{task['id']}/claim").status_code == 200

    def broken_rule(*args, **kwargs):
        raise RuntimeError("规则出错")

    monkeypatch.setattr(task_work.deadlines, "apply_clock_rule", broken_rule)
    with caplog.at_level(logging.WARNING, logger="yibao.steps"):
        response = township.post(f"/api/tasks/{task['id']}/complete", json={"data": APPROVE})
    assert response.status_code == 422
    (line,) = lines(caplog, "yibao.steps")
    assert case["case_no"] in line and "RuntimeError" in line


def test_an_incident_and_its_sweep_are_logged_with_the_timer_id(app, as_user, probe, monkeypatch, caplog):
    from engine.core.clock import clock

    clock.freeze(at("2026-09-30T10:00:00"))
    accept_at_township_window(as_user)

    def fire_fails(session, timer):
        raise RuntimeError("案卷数据损坏")

    monkeypatch.setattr(sweep, "fire", fire_fails)
    with caplog.at_level(logging.INFO, logger="yibao.timers"):
        result = sweep_at(app, "2026-11-02T08:00:00")
    assert result.failed == 1
    incident, summary = lines(caplog, "yibao.timers")
    assert incident.startswith("timer ") and "incident: RuntimeError" in incident
    assert "0 fired, 1 failed" in summary
