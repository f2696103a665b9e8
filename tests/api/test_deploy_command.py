"""`flask processes deploy`: every line says which version is deployed, whether this run created it or the
database already held the same diagram (the app deploys processes/bpmn/ on start, so `make db` meets the
second case on a new database and must still read 已部署 v1)."""

import re
from pathlib import Path

import pytest

from api.commands.processes import processes
from engine.core.models import Base
from server.extensions import db
from tests.conftest import ORGANISATION_TABLES

pytestmark = pytest.mark.usefixtures("fresh")


def deploy(app):
    result = app.test_cli_runner().invoke(processes, ["deploy"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def test_a_first_deploy_reads_deployed_v1_and_a_repeat_says_nothing_changed(app):
    with app.app_context():
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ORGANISATION_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
    folder = Path(app.config["BPMN_DIR"])
    shipped = sorted(path.name for path in (folder / "shared").glob("*.bpmn")) + sorted(
        path.name for path in folder.glob("*.bpmn")
    )

    first = deploy(app)
    assert [line.split(":")[0] for line in first] == shipped
    assert all(re.fullmatch(r"\S+\.bpmn: \S+ 已部署 v1（新版本）", line) for line in first), first

    again = deploy(app)
    assert all(re.fullmatch(r"\S+\.bpmn: \S+ 已部署 v1（与库中版本相同）", line) for line in again), again
