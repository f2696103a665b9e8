"""Shared fixtures: one application per test session on a migrated database.

SQLite (a temporary file) by default; DATABASE_URL selects another store, e.g. PostgreSQL in CI.
Each test starts from the demo organisation with the shipped diagrams deployed and no cases;
`probe` makes item fc-t-10 run the deadline probe diagram.
"""

import os
import shutil
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from engine import workcalendar
from engine.bpmn import deployment
from engine.cases import acceptance
from engine.catalogue.flows import Flow
from engine.core.clock import clock
from engine.core.models import Base
from engine.org import accounts
from engine.org.permissions import SYSTEM
from server.app import create_app
from server.extensions import db

ORGANISATION_TABLES = {"org_unit", "app_user", "role_grant"}
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bpmn"


def _reset_schema() -> None:
    """Drop whatever an earlier run left in an external database, then migrate from scratch."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    # a cheap password hash: seeding the demo organisation hashes every demo user's password
    overrides = {"TESTING": True, "DEPLOY_ON_START": False, "PASSWORD_HASH_METHOD": "scrypt:16:8:1"}
    if not os.environ.get("DATABASE_URL"):
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(overrides)
    with app.app_context():
        _reset_schema()
        accounts.seed_demo(db.session)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def fresh(app):
    """No cases and the shipped diagrams deployed; the clock back on the wall."""
    with app.app_context():
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ORGANISATION_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
        deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
    yield app
    clock.thaw()
    with app.app_context():
        db.session.remove()


@pytest.fixture
def writable_holidays(app, tmp_path, monkeypatch):
    """A copy of the project's holiday files that a test may load a year's notice into; the calendar reads it, and
    the project's own again afterwards."""
    directory = tmp_path / "holidays"
    shutil.copytree(app.config["HOLIDAYS_DIR"], directory)
    monkeypatch.setattr(workcalendar, "holidays_dir", directory)
    monkeypatch.setitem(app.config, "HOLIDAYS_DIR", str(directory))
    workcalendar.reload_default_calendar()
    yield directory
    monkeypatch.undo()
    workcalendar.reload_default_calendar()


@pytest.fixture
def probe(app, monkeypatch):
    """Item fc-t-10 (初审 ≤20 of ≤30 working days) runs the probe diagram."""
    with app.app_context():
        deployment.deploy(db.session, SYSTEM, (FIXTURES / "deadline_probe.bpmn").read_bytes(), "deadline_probe.bpmn")
    monkeypatch.setattr(acceptance, "flow_for", lambda item: Flow("deadline_probe", None, 2))


@pytest.fixture
def soon(app, monkeypatch):
    """Item fc-t-10 runs a diagram whose 初审 has a 即将超期 marker 2 s and a 超期 (催办) 3 s after it starts, on the
    wall clock: for timer workers that must fire on time."""
    with app.app_context():
        deployment.deploy(db.session, SYSTEM, (FIXTURES / "timer_soon.bpmn").read_bytes(), "timer_soon.bpmn")
    monkeypatch.setattr(acceptance, "flow_for", lambda item: Flow("timer_soon", None, 2))


_tokens: dict[str, str] = {}


@pytest.fixture
def as_user(app, client):
    """`as_user("qujiang.township_clerk").post(...)`: requests carrying that user's bearer token (a user not of
    the demo organisation: `as_user(name, password)`)."""

    class Caller:
        test_client = client  # for helpers that call as a program, not a user (tests/scenarios.settle)

        def __init__(self, username, password="yibao2026"):
            if username not in _tokens:
                response = client.post("/api/auth/token", json={"username": username, "password": password})
                assert response.status_code == 200, response.get_json()
                _tokens[username] = response.get_json()["token"]
            self.headers = {"Authorization": f"Bearer {_tokens[username]}"}

        def get(self, url, **kw):
            return client.get(url, headers=self.headers, **kw)

        def post(self, url, **kw):
            return client.post(url, headers=self.headers, **kw)

    return Caller
