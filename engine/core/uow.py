"""The unit of work: one `with` block per action, which commits on success and rolls back otherwise.

Store failures become domain errors here, once for every path: a write refused by a version check
(`StaleDataError`) or a uniqueness race is a conflict (409); a store that cannot be reached (a lost
connection, a database locked past its timeout) is `Unavailable` (503), never reported as a conflict.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.core.errors import Conflict, Unavailable

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
