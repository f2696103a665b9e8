"""The REST API fuzzed from its own OpenAPI document (schemathesis): no input answers a server error, and what it
answers matches what the document says, for a clerk and for an administrator.

Bounded so that it runs with every suite (and CI's PostgreSQL run): a few examples per operation, a deadline per
call, and a time budget for the whole run after which the remaining examples are generated but not sent.
Operations that would end the caller's own session or password are left out: they answer for one caller only
and would leave the rest of the run, and later tests, logged out.
"""

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.extensions import limiter
from tests.scenarios import ADMIN, start_at_village

EXAMPLES = 12
DEADLINE_MS = 3000
BUDGET_SECONDS = 25  # per caller: two callers stay within a minute
CALLERS = {"clerk": "qujiang.township_clerk", "admin": ADMIN}
_started: dict[str, float] = {}

CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}})


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4.32 labels its sub-tests through `node._nodeid`, which pytest 9.2 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def api_schema(fresh, as_user):
    """The document as the app serves it, with a case in the store so that lists and ids find something."""
    start_at_village(as_user)
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", fresh, config=CONFIG)
    limiter.reset()  # the public progress lookup counts its tries per address: leave later tests a fresh count


def _headers(client, name: str) -> dict[str, str]:
    """Bearer headers of a token of the fuzzing's own (not the suite's shared ones), and the budget's start."""
    response = client.post("/api/auth/token", json={"username": CALLERS[name], "password": "yibao2026"})
    assert response.status_code == 200, response.get_json()
    _started.setdefault(name, time.monotonic())
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def clerk(client):
    return _headers(client, "clerk")


@pytest.fixture
def admin(client):
    return _headers(client, "admin")


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=r"^/api/auth/(logout|password)$")
FUZZING = settings(
    max_examples=EXAMPLES,
    deadline=DEADLINE_MS,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _call(case, name: str, headers: dict[str, str]) -> None:
    if time.monotonic() - _started[name] > BUDGET_SECONDS:
        return  # over the budget: the rest of this run's examples are not sent
    case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])


@schema.parametrize()
@FUZZING
def test_no_input_from_a_clerk_answers_a_server_error(case, clerk):
    _call(case, "clerk", clerk)


@schema.parametrize()
@FUZZING
def test_no_input_from_an_administrator_answers_a_server_error(case, admin):
    _call(case, "admin", admin)


# Operations whose whole input is the path and the caller: they read no body, so the document shows none.
BODILESS = {
    "POST /api/auth/logout",
    "POST /api/tasks/{task_id}/claim",
    "POST /api/tasks/{task_id}/unclaim",
    "POST /api/instances/{case_id}/personal-data",
    "POST /api/admin/instances/{case_id}/resume",
    "POST /api/admin/instances/{case_id}/retry",
    "DELETE /api/attachments/{attachment_id}",
    "DELETE /api/group-roles/{entry_id}",
    "DELETE /api/step-limits/{override_id}",
    "POST /engine-rest/external-task/{task_id}/unlock",
}


def test_every_operation_that_reads_a_body_documents_it(client):
    """What fuzzers and client generators see: a request body for every operation that takes one."""
    document = client.get("/api/openapi.json").get_json()
    writes = {
        f"{method.upper()} {path}": operation
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch", "delete")
    }
    undocumented = sorted(name for name, operation in writes.items() if "requestBody" not in operation)
    assert undocumented == sorted(BODILESS), "document the body, or list the operation as reading none"
    upload = writes["POST /api/definitions"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["required"] == ["file"] and "application/xml" in upload
