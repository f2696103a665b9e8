"""Deploying a diagram, loading a holiday notice and importing a catalogue check the acting user in the engine.

Pages, REST and the command line (which acts as `permissions.SYSTEM`) therefore share one rule each.
"""

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.bpmn import deployment, vendor
from engine.catalogue import imported_lists
from engine.catalogue.flows import reviewed_catalog
from engine.core.errors import Forbidden
from engine.core.models import User
from engine.org.permissions import SYSTEM, SystemActor
from engine.workcalendar import upkeep
from server.extensions import db

DIAGRAM = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "deadline_probe.bpmn"


def user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def test_only_designers_and_the_system_deploy(fresh):
    with fresh.app_context():
        with pytest.raises(Forbidden):
            deployment.deploy(db.session, user("fengcheng.admin"), DIAGRAM.read_bytes(), DIAGRAM.name)
        with pytest.raises(Forbidden):
            vendor.deploy_vendor_diagram(db.session, user("qujiang.township_clerk"), DIAGRAM.read_bytes(), DIAGRAM.name)
        definition, _ = deployment.deploy(db.session, SYSTEM, DIAGRAM.read_bytes(), DIAGRAM.name)
        assert definition.region is None
        assert deployment.deploy(db.session, SYSTEM, DIAGRAM.read_bytes(), DIAGRAM.name) == (definition, False)
        # 丰城's designer deploying the base's very diagram: 丰城 already runs it, nothing new
        assert deployment.deploy(db.session, user("fengcheng.designer"), DIAGRAM.read_bytes(), DIAGRAM.name) == (
            definition,
            False,
        )


def test_only_administrators_and_the_system_load_a_notice_or_import_a_catalogue(fresh, tmp_path):
    with fresh.app_context():
        clerk = user("qujiang.township_clerk")
        with pytest.raises(Forbidden):
            upkeep.load_notice(db.session, clerk, fresh.config["HOLIDAYS_DIR"], tmp_path / "2027.toml")
        with pytest.raises(Forbidden):
            imported_lists.import_table(db.session, clerk, tmp_path / "list.tsv", reviewed_catalog())


def test_the_system_acts_with_administrator_and_designer_rights_under_a_name():
    assert SYSTEM.username == "system" and {"admin", "designer"} <= SYSTEM.roles
    assert SystemActor("alice").username == "alice"
