"""Application factory: the composition root, the one module of server/ that imports api/ and web/."""

import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import inspect

from engine import workcalendar
from engine.attachments import store as attachment_store
from engine.bpmn import deployment
from engine.catalogue import imported_lists
from engine.core.clock import clock
from engine.core.storage import tune_sqlite
from engine.org import passwords
from engine.org.permissions import SYSTEM
from forms import validators
from server import config, errors
from server.extensions import api, csrf, db, limiter, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(config.PROJECT_ROOT / "instance"))
    app.config.update(config.settings(Path(app.instance_path)))
    app.config.update(overrides or {})
    _log_to_stderr(app.config["LOG_LEVEL"])

    # forms check "not after today" on the engine's one clock when an engine caller gives no day
    validators.today_from(lambda: clock.now().date())
    # the engine reads no environment: its settings come from here
    workcalendar.configure(app.config["HOLIDAYS_DIR"])
    passwords.configure(app.config["PASSWORD_HASH_METHOD"])
    attachment_store.configure(
        app.config["ATTACHMENT_STORE"],
        directory=app.config["ATTACHMENT_DIR"],
        bucket=app.config["S3_BUCKET"],
        endpoint_url=app.config["S3_ENDPOINT_URL"],
        region=app.config["S3_REGION"],
        access_key_id=app.config["S3_ACCESS_KEY_ID"],
        secret_access_key=app.config["S3_SECRET_ACCESS_KEY"],
        prefix=app.config["S3_PREFIX"],
    )
    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
        imported_lists.bind(db.engine)
    migrate.init_app(app, db, directory=str(config.PROJECT_ROOT / "migrations"))
    api.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    import web
    from api import blueprints, commands
    from server import login  # noqa: F401  (the user and request loaders)

    blueprints.register(app)
    commands.register(app)
    web.register(app)
    errors.register(app)
    if app.config["DEPLOY_ON_START"]:
        _deploy_shipped_diagrams(app)
    return app


def _log_to_stderr(level: str) -> None:
    """One line per step failure, incident, sweep and deploy (loggers `yibao.*`), on standard error
    where gunicorn and the timer workers' supervisors collect it."""
    logger = logging.getLogger("yibao")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


def _deploy_shipped_diagrams(app: Flask) -> None:
    """Deploy processes/bpmn/ once the schema exists (before `db upgrade` there is nothing to do)."""
    with app.app_context():
        if not inspect(db.engine).has_table("process_definition"):
            return
        try:
            deployment.deploy_directory(db.session, SYSTEM, app.config["BPMN_DIR"])
        except deployment.InvalidDiagram as exc:
            app.logger.error("processes/bpmn/ holds a diagram that does not validate: %s", exc.problems)
        finally:
            db.session.remove()
