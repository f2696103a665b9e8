"""Two completions of one task at the same instant: exactly one wins, the case advances once."""
import threading

import pytest

from tests.test_outpatient_flow import APPROVE, only_task, start_at_village

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
        response = client.post(
            f"/api/tasks/{task['id']}/complete", json={"data": APPROVE}, headers=township.headers
        )
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
