"""The unit of work: one `with` block per action, which commits on success and rolls back otherwise.

Store failures become domain errors here, once for every path: a write refused by a version check
(`StaleDataError`) or a uniqueness race is a conflict (409); a store that cannot be reached (a lost
connection, a database locked past its timeout) is `Unavailable` (503), never reported as a conflict.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import URL, Connection, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import NullPool

from engine.core.errors import Conflict, Unavailable
from engine.core.models import stored_json

CONFLICT_MESSAGE = "办件已被他人同时办理，请刷新后重试"
UNAVAILABLE_MESSAGE = "数据库暂时不可用，请稍后重试"


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit what the block wrote, or nothing of it; translate store failures to domain errors."""
    try:
        yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict(CONFLICT_MESSAGE) from exc
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(CONFLICT_MESSAGE) from exc
    except DBAPIError as exc:
        session.rollback()
        raise Unavailable(UNAVAILABLE_MESSAGE) from exc
    except BaseException:
        session.rollback()
        raise


@contextmanager
def rehearsal(url: str | URL) -> Iterator[Session]:
    """A session on the database at `url` whose units of work commit only to savepoints of one transaction that is
    rolled back at the end: engine code runs as it would, and nothing it writes is stored (`flask processes survey`).

    SQLite's Python driver opens transactions only when it sees a write and so would let the first savepoint's
    release commit; on SQLite the transaction is therefore begun explicitly.
    """
    engine = create_engine(url, poolclass=NullPool, json_serializer=stored_json)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    try:
        with engine.connect() as connection:
            outer = connection.begin()
            session = Session(bind=connection, join_transaction_mode="create_savepoint")
            try:
                yield session
            finally:
                session.close()
                outer.rollback()
    finally:
        engine.dispose()
