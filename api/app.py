"""Application factory."""
from pathlib import Path

from flask import Flask

from api import config
from api.extensions import api, csrf, db, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(config.PROJECT_ROOT / "instance"))
    app.config.update(config.settings(Path(app.instance_path)))
    app.config.update(overrides or {})

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.PROJECT_ROOT / "migrations"))
    api.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)

    from api import blueprints, commands

    blueprints.register(app)
    commands.register(app)
    return app
