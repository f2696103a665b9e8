"""Two completions of one task at the same instant: exactly one wins, the case advances once;
a step written over a case another unit of work changed meanwhile is refused."""

import threading

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.bpmn import deployment
from engine.cases.step import write_step
from engine.core.models import CaseInstance
from engine.workflow import snapshot
from server.extensions import db
from tests.scenarios import APPROVE, only_task, start_at_village

pytestmark = pytest.mark.usefixtures("fresh")


def test_concurrent_double_completion_has_exactly_one_winner(app, as_user):
    case = start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    task = only_task(township, "乡镇初审")
    assert township.post(f"/api/tasks/{task['id']}/claim").status_code == 200

    barrier = threading.Barrier(2)
    statuses = []

    def complete():
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/tasks/{task['id']}/complete", json={"data": APPROVE}, headers=township.headers)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 409]
    detail = township.get(f"/api/instances/{case['id']}").get_json()
    assert [t["title"] for t in detail["tasks"]] == ["移交医保中心"]
    completions = [e for e in detail["history"] if e["action"] == "completed"]
    assert len(completions) == 1


def test_a_step_on_a_case_changed_since_it_was_read_is_refused_and_writes_nothing(app, as_user):
    case_id = start_at_village(as_user)["id"]
    with app.app_context():
        stale = db.session.get(CaseInstance, case_id)
        state_before = stale.state
        workflow = snapshot.load_state(state_before, *deployment.specs_of(stale.definition))
        with Session(db.engine) as other:  # another unit of work changes the case meanwhile
            other.get(CaseInstance, case_id).last_error = "changed elsewhere"
            other.commit()
        with pytest.raises(StaleDataError):
            write_step(db.session, stale, None, workflow)
        db.session.rollback()
        db.session.expire_all()
        assert db.session.get(CaseInstance, case_id).state == state_before
