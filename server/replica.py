"""Reads that may be a moment behind go to a read replica when `DATABASE_REPLICA_URL` names one.

The rule, kept here only: what may be stale is what nobody acts on at once — the administrators' case listings
(`GET /api/instances`, 办件监控) and the SLA and 考核 figures (`GET /api/sla` and its workbook, 时效统计). There a
case completed a moment ago may still show at its previous step for the replica's lag. Never a step: every unit of
work, every read a step or its permission check decides on, the case and task pages and the inboxes a clerk works
from read the primary through `db.session`.

The replica's connections are read-only (PostgreSQL `default_transaction_read_only`, SQLite `mode=ro`), so a read
routed here that tried to write would fail instead of writing past the primary. Without a replica `stale_ok()` is
`db.session` itself.
"""

from typing import Any

from flask import Flask, g
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from engine.core.models import stored_json
from server.extensions import db

ENGINE_KEY = "replica_engine"


def init_app(app: Flask) -> None:
    """Open the replica's engine, if one is configured, and close each request's replica session after it."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if url:
        app.extensions[ENGINE_KEY] = create_engine(url, json_serializer=stored_json, **read_only_options(url))

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("replica_session", None)
        if session is not None:
            session.close()


def stale_ok() -> Session:
    """The session for a read the rule above allows to be stale: the replica's, else the primary's."""
    from flask import current_app

    engine: Engine | None = current_app.extensions.get(ENGINE_KEY)
    if engine is None:
        return db.session()
    if "replica_session" not in g:
        g.replica_session = Session(bind=engine, autoflush=False)
    session: Session = g.replica_session
    return session


def read_only_options(url: str) -> dict[str, Any]:
    """Engine options that make every connection of the replica read-only."""
    if url.startswith("postgresql"):
        return {"pool_pre_ping": True, "connect_args": {"options": "-c jit=off -c default_transaction_read_only=on"}}
    return {}  # SQLite: name the file read-only in the URL, sqlite:///file:PATH?mode=ro&uri=true
