"""The read replica (`DATABASE_REPLICA_URL`, server/replica.py): case listings and SLA figures read it, a step never
does, and its connections cannot write.

Tested against the same database under a second, read-only connection: on PostgreSQL a role of its own
(`yibao_replica`, SELECT only, every transaction read-only), on SQLite the file opened `mode=ro`. A streaming
replica would take a second cluster and a base backup of the whole server in the test set-up; the rule tested —
which reads go where — is the same.
"""

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from server import replica
from server.extensions import db
from tests.scenarios import ADMIN, APPROVE, start_at_village, work

pytestmark = pytest.mark.usefixtures("fresh")
REPLICA_ROLE = "yibao_replica"


def replica_url(app) -> str:
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///file:{url.database}?mode=ro&uri=true"
    with app.app_context():
        exists = db.session.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": REPLICA_ROLE})
        if not exists:
            db.session.execute(text(f"CREATE ROLE {REPLICA_ROLE} LOGIN"))
        db.session.execute(text(f"GRANT USAGE ON SCHEMA public TO {REPLICA_ROLE}"))
        db.session.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {REPLICA_ROLE}"))
        db.session.commit()
        db.session.remove()
    return make_url(url).set(username=REPLICA_ROLE, password=None).render_as_string(hide_password=False)


@pytest.fixture
def reads(app, monkeypatch):
    """The statements run on the replica, the test's app reading through one."""
    url = replica_url(app)
    engine = create_engine(url, **replica.read_only_options(url))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *args: statements.append(sql))
    monkeypatch.setitem(app.extensions, replica.ENGINE_KEY, engine)
    yield statements
    engine.dispose()


def test_case_listings_and_sla_figures_read_the_replica(as_user, reads):
    case = start_at_village(as_user)
    reads.clear()

    listed = as_user(ADMIN).get("/api/instances").get_json()
    assert [row["id"] for row in listed["items"]] == [case["id"]]
    assert any("case_instance" in sql for sql in reads)

    reads.clear()
    assert as_user(ADMIN).get("/api/sla?month=2026-10").status_code == 200
    assert reads


def test_a_step_never_reads_the_replica(as_user, reads):
    start_at_village(as_user)
    township = as_user("qujiang.township_clerk")
    reads.clear()

    work(township, "乡镇初审", APPROVE)
    assert as_user(ADMIN).get("/api/tasks?view=candidate").status_code == 200

    assert reads == [], "acceptance, claim, completion and the inbox read the primary"


def test_the_replica_cannot_write(app, as_user, reads):
    case = start_at_village(as_user)
    with app.test_request_context():
        session = replica.stale_ok()
        with pytest.raises(DBAPIError):
            session.execute(text("UPDATE case_instance SET last_error = 'x' WHERE id = :id"), {"id": case["id"]})
        session.rollback()
