"""Every HTTP blueprint of the product, registered in one place."""
from flask import Flask

from api.extensions import api


def register(app: Flask) -> None:
    from api.health import blp as health

    for blp in (health,):
        api.register_blueprint(blp)
