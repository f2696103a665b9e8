"""Input no store can take answers 4xx with a message, never a 500: ids and page numbers past 64 bits, negative
limits, diagrams in other encodings than UTF-8."""

import io
from pathlib import Path

import pytest

from engine.core.models import ProcessDefinition
from server.args import MAX_PAGE, PAGE_MESSAGE, PER_PAGE_MESSAGE
from server.converters import MAX_ID
from server.extensions import db
from tests.scenarios import ADMIN, start_at_village
from tests.web_login import page_login

pytestmark = pytest.mark.usefixtures("fresh")

HUGE = "11651520847896826085376"
PAST_64_BITS = str(MAX_ID + 1)  # 9223372036854775808
BPMN = Path(__file__).resolve().parents[2] / "processes" / "bpmn"


@pytest.mark.parametrize(
    "path",
    [
        "/api/instances/{id}",
        "/api/instances/{id}/rating",
        "/api/instances/{id}/attachments",
        "/api/attachments/{id}",
        "/api/instances/{id}/documents/receipt",
    ],
)
@pytest.mark.parametrize("number", [PAST_64_BITS, HUGE, "9" * 5000])
def test_an_id_past_64_bits_is_not_found(as_user, path, number):
    response = as_user(ADMIN).get(path.format(id=number))
    assert response.status_code == 404


def test_the_largest_id_is_looked_up_and_not_found(as_user):
    assert as_user(ADMIN).get(f"/api/instances/{MAX_ID}").status_code == 404
    for action in ("suspend", "resume", "terminate", "retry"):
        assert as_user(ADMIN).post(f"/api/admin/instances/{PAST_64_BITS}/{action}").status_code == 404


def test_pages_ids_past_64_bits_are_not_found(fresh):
    client, _ = page_login(fresh, ADMIN)
    for path in (f"/cases/{PAST_64_BITS}", f"/admin/instances/{HUGE}", f"/attachments/{PAST_64_BITS}"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("url", ["/api/instances", "/api/instances/accepted", "/api/tasks"])
def test_page_numbers_are_bounded_with_a_field_message(as_user, url):
    caller = as_user("qujiangcun.village_agent")
    for page in (HUGE, PAST_64_BITS, str(MAX_PAGE + 1), "0", "-1", "x"):
        response = caller.get(f"{url}?page={page}")
        assert response.status_code == 422, (page, response.get_json())
        assert response.get_json()["errors"]["query"] == {"page": [PAGE_MESSAGE]}
    for per_page in (HUGE, "0", "201"):
        response = caller.get(f"{url}?per_page={per_page}")
        assert response.status_code == 422
        assert response.get_json()["errors"]["query"] == {"per_page": [PER_PAGE_MESSAGE]}
    assert caller.get(f"{url}?page={MAX_PAGE}&per_page=200").status_code == 200


def test_pages_read_an_out_of_range_page_as_the_nearest_one(fresh, as_user):
    start_at_village(as_user)
    client, _ = page_login(fresh, "qujiang.township_clerk")
    for url in (f"/inbox?page={HUGE}", "/inbox?page=-5", f"/inbox?q=张三&page={HUGE}", f"/cases/accepted?page={HUGE}"):
        assert client.get(url).status_code == 200, url
    admin, _ = page_login(fresh, ADMIN)
    assert admin.get(f"/admin/instances?page={HUGE}").status_code == 400


@pytest.mark.parametrize("limit", ["-1", "0", HUGE, "x"])
def test_a_timer_limit_out_of_range_is_a_field_error(as_user, limit):
    response = as_user(ADMIN).get(f"/api/timers?limit={limit}")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["query"]) == ["limit"]


def upload(caller, data: bytes, name="flow.bpmn"):
    return caller.post("/api/definitions", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _in(encoding: str) -> bytes:
    """The shipped 即办 flow, its declaration naming `encoding`, saved in it (characters it lacks as references)."""
    text = (BPMN / "instant.bpmn").read_text("utf-8").replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
    if "encoding=" not in text.splitlines()[0]:
        text = text.replace("?>", f' encoding="{encoding}"?>', 1)
    return text.encode(encoding, errors="xmlcharrefreplace")


@pytest.mark.parametrize("encoding", ["UTF-16", "UTF-16-BE", "ISO-8859-1", "GB18030"])
def test_a_diagram_in_another_encoding_is_deployed_and_stored_as_utf8(app, as_user, encoding):
    response = upload(as_user("fengcheng.designer"), _in(encoding), "instant.bpmn")
    assert response.status_code in (200, 201), response.get_json()
    with app.app_context():
        stored = db.session.get(ProcessDefinition, response.get_json()["id"]).bpmn_xml
    assert stored.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "即办" in stored or "&#" in stored


@pytest.mark.parametrize(
    "data, named",
    [
        (b'<?xml version="1.0" encoding="UTF-7"?><bpmn:definitions/>', "UTF-7"),
        (b'<?xml version="1.0" encoding="EBCDIC-CP-US"?><x/>', "EBCDIC-CP-US"),
        (b'<?xml version="1.0" encoding="UTF-16"?><x/>', "UTF-16"),  # says UTF-16, is not
        (b'<?xml version="1.0"?>\n<x>\xff\xfe\xfa</x>', "UTF-8"),  # no declaration: UTF-8, and is not
    ],
)
def test_a_diagram_in_an_unreadable_encoding_is_refused_naming_it(as_user, data, named):
    response = upload(as_user("fengcheng.designer"), data)
    assert response.status_code == 422
    message = response.get_json()["problems"][0]["message"]
    assert named in message and "UTF-8" in message
