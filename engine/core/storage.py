"""Database engine settings that belong to the store, not to any one query."""

from sqlite3 import Connection
from typing import Any

from sqlalchemy import Engine, event


def tune_sqlite(engine: Engine) -> None:
    """The embedded default: write-ahead log, no fsync per commit, wait for a busy writer.

    WAL with synchronous=NORMAL survives an application crash; only an OS crash or power cut
    can lose the last commits, acceptable for the demo store (production runs on PostgreSQL).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
