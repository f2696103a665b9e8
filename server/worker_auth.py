"""Who is calling /engine-rest: an external-task worker with its credential (`engine.org.workers`).

Camunda's clients send either HTTP Basic (`name:secret`) or `Authorization: Bearer <secret>`; both are read.
Sessions and the users' bearer tokens do not count here: a worker is a program with its own credential, and a
person's token opens only /api/. `require_worker` is the before_request hook of every /engine-rest blueprint;
a request without a valid credential is 401 with Camunda's error body (`api.engine_rest.errors` style, built
here so that server/ does not import api/).
"""

from flask import g, request

from engine.org import workers
from engine.org.permissions import WorkerActor
from server.extensions import db

PLEASE_AUTHENTICATE = "请提供有效的接口凭据（HTTP Basic 名称:密钥，或 Bearer 密钥）"
MAX_SECRET_LENGTH = 200


class WorkerUnauthorized(Exception):
    """No valid worker credential; the blueprint's error handler answers 401."""


def _presented() -> tuple[str | None, str] | None:
    """(name or None, secret) from the Authorization header, or None when there is none usable."""
    auth = request.authorization
    if auth is None:
        return None
    if auth.type == "basic" and auth.password:
        return auth.username, auth.password
    if auth.type == "bearer" and auth.token:
        return None, auth.token
    return None


def require_worker() -> None:
    """before_request hook: the request must carry a valid, unrevoked worker credential."""
    presented = _presented()
    if presented is None or len(presented[1]) > MAX_SECRET_LENGTH:
        raise WorkerUnauthorized(PLEASE_AUTHENTICATE)
    worker = workers.authenticate(db.session, presented[1], presented[0])
    if worker is None:
        raise WorkerUnauthorized(PLEASE_AUTHENTICATE)
    g.worker = worker


def current_worker() -> WorkerActor:
    """The worker behind the request (the actor every engine call of /engine-rest takes); its scope is its unit's
    subtree (`engine.org.permissions.scope_root`)."""
    worker: WorkerActor = g.worker
    return worker
