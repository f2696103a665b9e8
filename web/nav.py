"""The menu of the logged-in user: only entries whose engine permission check passes."""
from flask import Flask
from flask_login import current_user

from engine.errors import Forbidden
from engine.permissions import ADMIN, DESIGNER, ensure_may_accept


def menu() -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the header."""
    user = current_user.user
    entries = []
    if user.roles - {ADMIN, DESIGNER}:
        entries.append(("clerk.inbox", "我的工作台"))
    try:
        ensure_may_accept(user, user.org)
        entries.append(("clerk.pick_item", "受理"))
    except Forbidden:
        pass
    if DESIGNER in user.roles:
        entries.append(("design.processes", "流程设计"))
    return entries


def register(app: Flask) -> None:
    @app.context_processor
    def _menu():
        return {"menu": menu if current_user and current_user.is_authenticated else (lambda: [])}
