"""Compact storage (issue 16): the workflow state is stored compressed, a state an earlier release wrote as plain
JSON still loads, an ended case keeps a slimmed state and no cancelled timer rows, and everything a clerk or an
administrator opens of a concluded case — case file, history, notices, diagram — still shows."""

import json

import pytest
from sqlalchemy import select, text

from engine.cases import retention
from engine.core.models import CaseInstance, ExternalTask, Timer
from engine.workflow import snapshot, stored
from server.extensions import db
from tests.scenarios import ADMIN, APPROVE, concluded_case, start_at_village, work
from tests.web_login import page_login

pytestmark = pytest.mark.usefixtures("fresh")
BROWSER = {"Accept": "text/html"}
AGENT = "qujiangcun.village_agent"


def stored_state(app, case_id: int) -> bytes:
    with app.app_context():
        state = db.session.scalar(select(CaseInstance.state).where(CaseInstance.id == case_id))
        db.session.remove()
    return state


def timer_states(app, case_id: int) -> list[str]:
    with app.app_context():
        states = sorted(db.session.scalars(select(Timer.state).where(Timer.instance_id == case_id)))
        db.session.remove()
    return states


def diagram(app, case_id: int) -> dict:
    client, _ = page_login(app, ADMIN)
    response = client.get(f"/admin/instances/{case_id}/diagram.json")
    assert response.status_code == 200
    return response.get_json()


def test_a_step_stores_the_state_compressed(app, as_user):
    case = start_at_village(as_user)
    state = stored_state(app, case["id"])
    assert state.startswith(stored.ZSTD_MAGIC)
    plain = json.loads(stored.decode(state))
    assert plain["tasks"][plain["root"]]["data"]["case_no"] == case["case_no"], "the start data, on the start task"


def test_a_state_written_as_plain_json_by_an_earlier_release_loads_and_the_case_runs_on(app, as_user):
    case = start_at_village(as_user)
    plain = stored.decode(stored_state(app, case["id"]))
    with app.app_context():
        # As the earlier release left it: text on SQLite, its UTF-8 bytes in the bytea column on PostgreSQL.
        old = plain if db.engine.dialect.name == "sqlite" else plain.encode()
        db.session.execute(
            text("UPDATE case_instance SET state = :state WHERE id = :id"), {"state": old, "id": case["id"]}
        )
        db.session.commit()
        assert db.session.get(CaseInstance, case["id"]).state == plain.encode()
        db.session.remove()
    assert "township_review" in diagram(app, case["id"])["active"]

    work(as_user("qujiang.township_clerk"), "乡镇初审", APPROVE)

    assert stored_state(app, case["id"]).startswith(stored.ZSTD_MAGIC)
    assert "township_review" in diagram(app, case["id"])["completed"]


def test_a_concluded_case_keeps_only_what_its_diagram_draws_and_no_cancelled_timer_rows(app, as_user):
    case = concluded_case(as_user)
    state = json.loads(stored.decode(stored_state(app, case["id"])))
    assert list(state) == [snapshot.ENDED_KEY], "no task tree, data or events"
    assert set(state[snapshot.ENDED_KEY]) == {"completed", "taken", "calls"}
    assert len(stored_state(app, case["id"])) < 1024, "its task tree without data took 2.6 KB"
    assert "cancelled" not in timer_states(app, case["id"])


def without_data(tasks: dict) -> dict:
    """A task tree as an earlier release slimmed an ended case's: every task kept, its data emptied."""
    return {key: {**task, "data": {}, "delta": {}, "internal_data": {}} for key, task in tasks.items()}


def test_a_terminated_case_keeps_no_cancelled_timer_rows(app, as_user):
    case = start_at_village(as_user)
    assert timer_states(app, case["id"]) == ["waiting"] * 3, "乡镇初审 arms 即将超期, 超期 and 超期通报"
    admin = as_user(ADMIN)
    assert (
        admin.post(f"/api/admin/instances/{case['id']}/terminate", json={"reason": "申请人撤回申请"}).status_code == 200
    )
    assert timer_states(app, case["id"]) == []


def test_json_columns_hold_compact_utf8_and_escaped_rows_written_before_still_read(app, as_user):
    case = start_at_village(as_user)
    with app.app_context():
        raw = db.session.scalar(
            text("SELECT CAST(detail AS TEXT) FROM audit_event WHERE instance_id = :id AND action = 'accepted'"),
            {"id": case["id"]},
        )
        assert "医保" in raw and "\\u" not in raw and '", "' not in raw, raw[:200]
        escaped = json.dumps({"opinion": "同意"})  # as an earlier release wrote it
        db.session.execute(
            text("UPDATE audit_event SET detail = :d WHERE instance_id = :id AND action = 'accepted'"),
            {"d": escaped, "id": case["id"]},
        )
        db.session.commit()
        db.session.remove()
    history = as_user(ADMIN).get(f"/api/instances/{case['id']}").get_json()["history"]
    assert [event["detail"] for event in history if event["action"] == "accepted"] == [{"opinion": "同意"}], history


def test_an_ended_external_task_keeps_no_variables(app, as_user):
    case = concluded_case(as_user)
    with app.app_context():
        rows = db.session.execute(
            select(ExternalTask.state, ExternalTask.variables).where(ExternalTask.instance_id == case["id"])
        ).all()
        db.session.remove()
    assert rows and all(state == "completed" and variables == {} for state, variables in rows), rows


def test_a_concluded_case_draws_the_same_diagram_from_what_it_keeps(app, as_user, monkeypatch):
    kept = concluded_case(as_user)
    with monkeypatch.context() as whole_state:
        whole_state.setattr(retention, "is_slim", lambda case: False)
        whole = concluded_case(as_user)
    whole_state = json.loads(stored.decode(stored_state(app, whole["id"])))
    assert whole_state["tasks"][whole_state["root"]]["data"], "the comparison case kept its workflow"

    assert diagram(app, kept["id"]) == diagram(app, whole["id"])
    drawn = diagram(app, kept["id"])
    assert {"township_review", "centre_review", "settle", "pay_out", "collect"} <= set(drawn["completed"])
    assert drawn["active"] == [] and drawn["taken"]

    # an ended case an earlier release stored as its task tree without data draws the same
    earlier = {**whole_state, "data": {}, "bpmn_events": [], "tasks": without_data(whole_state["tasks"])}
    earlier["subprocesses"] = {
        key: {**sub, "data": {}, "tasks": without_data(sub["tasks"])}
        for key, sub in whole_state["subprocesses"].items()
    }
    with app.app_context():
        db.session.execute(
            text("UPDATE case_instance SET state = :s WHERE id = :id"),
            {"s": stored.encode(json.dumps(earlier)), "id": kept["id"]},
        )
        db.session.commit()
        db.session.remove()
    assert diagram(app, kept["id"]) == drawn


def test_a_concluded_case_shows_its_file_history_and_notices_after_slimming(app, as_user):
    case = concluded_case(as_user)
    body = as_user(AGENT).get(f"/api/instances/{case['id']}").get_json()
    assert body["status"] == "concluded"
    steps = [event["task"] for event in body["history"] if event["action"] == "completed"]
    assert steps == ["乡镇初审", "移交医保中心", "医保中心复核", "拨付", "出件"]
    assert body["collection"]["method"] == "现场领取"

    client, _ = page_login(app, AGENT)
    page = client.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "已办结" in page and "200.50" in page
    for kind in ("receipt", "conclusion"):
        notice = client.get(f"/api/instances/{case['id']}/documents/{kind}", headers=BROWSER)
        assert notice.status_code == 200
    assert "200.50" in client.get(f"/api/instances/{case['id']}/documents/conclusion", headers=BROWSER).get_data(
        as_text=True
    )

    admin, _ = page_login(app, ADMIN)
    shown = admin.get(f"/admin/instances/{case['id']}")
    assert shown.status_code == 200 and "拨付" in shown.get_data(as_text=True)


def test_on_postgresql_the_state_is_bytea_kept_uncompressed_by_the_store_and_hot_tables_leave_room(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("storage settings of PostgreSQL")
        column = db.session.execute(
            text(
                "SELECT format_type(atttypid, atttypmod), attstorage FROM pg_attribute "
                "WHERE attrelid = 'case_instance'::regclass AND attname = 'state'"
            )
        ).one()
        options = dict(
            db.session.execute(
                text("SELECT relname, reloptions FROM pg_class WHERE relname IN ('case_instance', 'task', 'timer')")
            ).all()
        )
        toast = db.session.scalar(
            text(
                "SELECT t.reloptions FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.relname = 'case_instance'"
            )
        )
        db.session.remove()
    assert tuple(column) == ("bytea", "e"), "the engine compresses; the store keeps the frame out of line as it is"
    assert "fillfactor=80" in options["case_instance"] and "fillfactor=90" in options["task"]
    assert "autovacuum_vacuum_scale_factor=0.02" in options["timer"]
    assert toast == ["autovacuum_vacuum_scale_factor=0.02"]
