"""Worker credentials for /engine-rest: `flask workers create|list|revoke`, a secret shown once and kept as a
hash, HTTP Basic or a bearer secret, and the worker's scope (its unit's subtree)."""

import hashlib

import pytest
from sqlalchemy import select

from engine.core.models import CaseInstance, WorkerCredential
from engine.org import workers
from engine.org.permissions import cases_in_scope, scope_root
from server.extensions import db
from tests.scenarios import start_at_village

pytestmark = pytest.mark.usefixtures("fresh")


def issue(app, name: str, scope: str) -> str:
    """The secret of a new credential `name` for the unit `scope`, as `flask workers create` prints it."""
    result = app.test_cli_runner().invoke(args=["workers", "create", name, "--scope", scope])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_the_secret_is_printed_once_and_only_its_hash_is_kept(app):
    secret = issue(app, "settlement-fc", "360981")
    assert secret.startswith("ybw.")
    with app.app_context():
        stored = db.session.scalars(select(WorkerCredential).where(WorkerCredential.name == "settlement-fc")).one()
        assert secret not in stored.secret_hash and stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    listed = app.test_cli_runner().invoke(args=["workers", "list"])
    assert "settlement-fc" in listed.output and "丰城市" in listed.output and secret not in listed.output


def test_basic_and_bearer_both_identify_the_worker_and_a_revoked_one_is_refused(app):
    secret = issue(app, "w1", "360981")
    with app.app_context():
        assert workers.authenticate(db.session, secret).username == "w1"
        assert workers.authenticate(db.session, secret, "w1").username == "w1"
        assert workers.authenticate(db.session, secret, "w2") is None
        assert workers.authenticate(db.session, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
        assert workers.authenticate(db.session, "ybw.unknown.secret") is None
        assert workers.authenticate(db.session, "garbage") is None
    revoked = app.test_cli_runner().invoke(args=["workers", "revoke", "w1"])
    assert revoked.exit_code == 0, revoked.output
    with app.app_context():
        assert workers.authenticate(db.session, secret) is None


def test_bad_names_and_unknown_units_are_refused(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["workers", "create", "a:b", "--scope", "360981"]).exit_code == 2
    unknown = runner.invoke(args=["workers", "create", "w", "--scope", "999999"])
    assert unknown.exit_code == 2 and "未知单位编码" in unknown.output
    issue(app, "twice", "360981")
    assert runner.invoke(args=["workers", "create", "twice", "--scope", "360981"]).exit_code == 2
    assert runner.invoke(args=["workers", "revoke", "nobody"]).exit_code == 2


def test_a_worker_scope_is_its_units_subtree(app, as_user):
    case = start_at_village(as_user)
    fengcheng, fuzhou = issue(app, "fc", "360981"), issue(app, "fz", "350100")
    with app.app_context():
        worker = workers.authenticate(db.session, fengcheng)
        assert scope_root(worker).code == "360981"
        assert db.session.scalars(select(CaseInstance.id).where(cases_in_scope(worker))).all() == [case["id"]]
        other = workers.authenticate(db.session, fuzhou)
        assert db.session.scalars(select(CaseInstance.id).where(cases_in_scope(other))).all() == []
