"""A failed step as the history shows it: where in the code it failed for administrators only, and no server
path for anyone."""

import pytest

from engine.cases import admin, history
from engine.core.clock import clock
from engine.core.models import AuditEvent, CaseInstance
from engine.tasks import work
from server.extensions import db
from tests.scenarios import ADMIN, only_task, start_at_village

pytestmark = pytest.mark.usefixtures("fresh")

SECRET_DIRECTORY = "/srv/yibao/secrets"


def _read_config():
    raise FileNotFoundError(f"[Errno 2] No such file or directory: '{SECRET_DIRECTORY}/pay.key'")


def _failing_step(*args, **kwargs):
    _read_config()


def test_paths_are_cut_to_base_names():
    text = 'File "/work/main/engine/tasks/work.py", line 3 and C:\\srv\\app\\x.py; ratio 1/2, a/b'
    assert history.without_paths(text) == 'File "work.py", line 3 and x.py; ratio 1/2, a/b'


def test_the_trace_of_a_failed_step_is_for_administrators_and_names_no_directory(app, as_user, monkeypatch):
    case = start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    task = only_task(township, "乡镇初审")
    assert township.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    monkeypatch.setattr(work, "_advanced", _failing_step)
    data = {"decision": "approve", "opinion": "同意", "approved_amount": "200.50"}
    failed = township.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert failed.status_code == 422

    clerk_view = township.get(f"/api/instances/{case['id']}").get_json()
    error = [e for e in clerk_view["history"] if e["action"] == "error"]
    assert len(error) == 1 and "trace" not in error[0]["detail"]
    assert SECRET_DIRECTORY not in township.get(f"/api/instances/{case['id']}").get_data(as_text=True)

    admin_view = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()
    [event] = [e for e in admin_view["history"] if e["action"] == "error"]
    trace = event["detail"]["trace"]
    assert "test_step_errors.py" in trace and "_read_config" in trace and "/" not in trace and "\\" not in trace
    assert event["detail"]["error"] == "FileNotFoundError: [Errno 2] No such file or directory: 'pay.key'"
    assert admin_view["last_error"] == event["detail"]["error"]


def test_traces_recorded_before_paths_were_cut_are_shown_without_them(app, as_user):
    case = start_at_village(as_user)
    with app.app_context():
        db.session.add(
            AuditEvent(
                instance_id=case["id"],
                at=clock.now(),
                action="error",
                detail={
                    "error": "KeyError: 'x'",
                    "trace": 'Traceback (most recent call last):\n  File "/opt/yibao/engine/tasks/work.py", line 9\n',
                },
            )
        )
        db.session.commit()
    admin_view = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()
    [event] = [e for e in admin_view["history"] if e["action"] == "error"]
    assert event["detail"]["trace"] == 'Traceback (most recent call last):\n  File "work.py", line 9\n'
    clerk_view = as_user("qujiang.township_clerk").get(f"/api/instances/{case['id']}").get_json()
    [event] = [e for e in clerk_view["history"] if e["action"] == "error"]
    assert event["detail"] == {"error": "KeyError: 'x'"}


def test_a_failed_retry_is_recorded_like_a_failed_step(app, as_user, monkeypatch):
    case = start_at_village(as_user)
    with app.app_context():
        db.session.get(CaseInstance, case["id"]).last_error = "KeyError: 'x'"
        db.session.commit()
    monkeypatch.setattr(admin.snapshot, "load_state", _failing_step)
    response = as_user(ADMIN).post(f"/api/admin/instances/{case['id']}/retry")
    assert response.status_code == 422 and "重试仍然出错" in response.get_json()["message"]
    admin_view = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()
    event = [e for e in admin_view["history"] if e["action"] == "error"][-1]
    assert "_read_config" in event["detail"]["trace"] and SECRET_DIRECTORY not in str(event["detail"])
    assert admin_view["last_error"] == "FileNotFoundError: [Errno 2] No such file or directory: 'pay.key'"
