"""The same user claiming one task many times at once (a double click, a retrying client, several tabs) is told
every time that the task is theirs, and the history records one claim. Runs on the session's store: SQLite, or
PostgreSQL with DATABASE_URL."""

import threading

import pytest

from tests.scenarios import only_task, start_at_village

pytestmark = pytest.mark.usefixtures("fresh")

CLAIMS = 20
ROUNDS = 4


def _claim_at_once(app, headers, task_id: str, times: int) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(times)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def claim():
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/tasks/{task_id}/claim", headers=headers)
        with lock:
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=claim) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_holder_claiming_one_task_at_once_always_gets_it(app, as_user, round_):
    case = start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    task = only_task(township, "乡镇初审")

    answers = _claim_at_once(app, township.headers, task["id"], CLAIMS)

    refused = [answer for answer in answers if answer[0] != 200]
    assert not refused, refused
    assert {body["assignee"]["username"] for _, body in answers} == {"qujiang.township_clerk"}
    history = township.get(f"/api/instances/{case['id']}").get_json()["history"]
    assert [e["action"] for e in history].count("claimed") == 1
    mine = township.get("/api/tasks?view=mine").get_json()["items"]
    assert [t["id"] for t in mine] == [task["id"]]
