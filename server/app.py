"""Application factory: the composition root, the one module of server/ that imports api/ and web/."""

import logging
from pathlib import Path

from flask import Flask
from flask_talisman import Talisman
from sqlalchemy import inspect

from engine import workcalendar
from engine.attachments import store as attachment_store
from engine.bpmn import deployment, vendor_forms
from engine.catalogue import imported_lists
from engine.core.clock import clock
from engine.core.models import stored_json
from engine.core.storage import tune_sqlite
from engine.org import passwords, signin
from engine.org.permissions import SYSTEM
from forms import validators
from server import config, converters, encoding, errors, replica
from server.extensions import (
    CONTENT_SECURITY_POLICY,
    PERMISSIONS_POLICY,
    api,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(config.PROJECT_ROOT / "instance"))
    app.json = encoding.OrjsonProvider(app)
    converters.register(app)  # path ids the id columns hold (404 past them) and no NUL in any field (422)
    app.config.update(config.settings(Path(app.instance_path)))
    app.config.update(overrides or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "json_serializer": stored_json,
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    _log_to_stderr(app.config["LOG_LEVEL"])

    # forms check "not after today" on the engine's one clock when an engine caller gives no day
    validators.today_from(lambda: clock.now().date())
    # the engine reads no environment: its settings come from here
    workcalendar.configure(app.config["HOLIDAYS_DIR"])
    passwords.configure(app.config["PASSWORD_HASH_METHOD"])
    signin.configure(
        app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_LOCKOUT_MINUTES"], app.config["PASSWORD_MIN_LENGTH"]
    )
    attachment_store.configure(
        app.config["ATTACHMENT_STORE"],
        directory=app.config["ATTACHMENT_DIR"],
        bucket=app.config["S3_BUCKET"],
        endpoint_url=app.config["S3_ENDPOINT_URL"],
        region=app.config["S3_REGION"],
        access_key_id=app.config["S3_ACCESS_KEY_ID"],
        secret_access_key=app.config["S3_SECRET_ACCESS_KEY"],
        prefix=app.config["S3_PREFIX"],
        encryption=app.config["S3_SERVER_SIDE_ENCRYPTION"],
        kms_key_id=app.config["S3_KMS_KEY_ID"],
    )
    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
        imported_lists.bind(db.engine)
        vendor_forms.bind(db.engine)
    replica.init_app(app)
    migrate.init_app(app, db, directory=str(config.PROJECT_ROOT / "migrations"))
    api.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    harden(app)

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


def harden(app: Flask) -> None:
    """HTTP security headers on every answer, pages and API alike (Flask-Talisman): the content security policy
    (no inline script, no framing), nosniff, Referrer-Policy same-origin, and the session cookie HttpOnly and
    SameSite=Lax. FORCE_HTTPS (a site served over TLS) adds the redirect to https, HSTS and a Secure cookie;
    SESSION_COOKIE_SECURE alone marks the cookie."""
    force_https = bool(app.config["FORCE_HTTPS"])
    app.extensions["talisman"] = Talisman(
        app,
        force_https=force_https,
        strict_transport_security=force_https,
        session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
        permissions_policy=PERMISSIONS_POLICY,
        x_content_type_options=True,
    )


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
