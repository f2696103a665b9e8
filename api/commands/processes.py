"""`flask processes deploy`: deploy every diagram under processes/bpmn/."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.bpmn import deployment
from engine.org.permissions import SYSTEM
from server.extensions import db


@click.group("processes", help="流程部署")
def processes():
    pass


@processes.command("deploy")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
@with_appcontext
def deploy(directory):
    """Deploy each .bpmn of DIRECTORY (default processes/bpmn/); unchanged files create nothing."""
    folder = Path(directory or current_app.config["BPMN_DIR"])
    failed = False
    for path in sorted(folder.glob("*.bpmn")):
        try:
            definition, created = deployment.deploy(db.session, SYSTEM, path.read_bytes(), path.name)
        except deployment.InvalidDiagram as exc:
            failed = True
            for problem in exc.problems:
                where = f"{path}:{problem['line']}" if problem.get("line") else str(path)
                element = f" [{problem['element_id']}]" if problem.get("element_id") else ""
                click.echo(f"{where}{element}: {problem['message']}", err=True)
            continue
        state = "新版本" if created else "未变化"
        click.echo(f"{path.name}: {definition.process_key} v{definition.version} {state}")
    if failed:
        raise SystemExit(2)
