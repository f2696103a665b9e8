"""Who is calling: Flask-Login around the engine's user, from a session cookie (pages) or a bearer token (REST).

Under /api/ only a bearer token counts: a browser sends the session cookie with any request another site makes
it send (a form, `text/plain`, a multipart upload), so the cookie there would need a CSRF check the API cannot
ask of its clients. The one exception is what the pages link to under /api/ and open in the browser: the
printed notices and the 考核 workbook (GET only, `COOKIE_API_ENDPOINTS`).

Page sessions end after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS after signing in; tokens
after API_TOKEN_HOURS. Both carry an id (`sid`, `jti`) that log-out revokes (`signin.revoke_token`), and both
stop working when the password changes after they were issued. Their lifetimes count on the wall clock
(`wall_time`), not on the business clock that tests and `timers run --now` move.
"""

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from flask_smorest import abort
from itsdangerous import BadSignature, URLSafeSerializer

from engine.core.models import User
from engine.org import accounts, signin
from server.extensions import db, login_manager

COOKIE_API_ENDPOINTS = {"documents.document", "sla.export"}
SAFE_METHODS = {"GET", "HEAD"}
SEEN_RESOLUTION = 30  # seconds: how stale the session's last-seen stamp may get before it is written again
PLEASE_LOG_IN = "请先登录"
CHANGE_PASSWORD_FIRST = signin.MUST_CHANGE + "：请通过 POST /api/auth/password 修改密码"


def wall_time() -> float:
    return time.time()


class Principal:
    """What Flask-Login needs around an engine user."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User):
        self.user = user

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return str(self.user.id)


# --- Bearer tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    user_id: int
    jti: str
    issued_at: float
    expires_at: int


def token_max_age() -> int:
    return int(current_app.config["API_TOKEN_HOURS"]) * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-token")


def issue_token(user: User) -> str:
    now = wall_time()
    payload = {"uid": user.id, "jti": secrets.token_hex(16), "iat": now, "exp": int(now) + token_max_age()}
    return _serializer().dumps(payload)


def read_token(raw: str) -> Token | None:
    """The token's claims when it is ours and not expired (revocation is checked by the loader)."""
    try:
        payload = _serializer().loads(raw)
        token = Token(int(payload["uid"]), str(payload["jti"]), float(payload["iat"]), int(payload["exp"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    return token if token.expires_at > wall_time() else None


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _changed_password_since(user: User, issued_at: float) -> bool:
    return user.password_changed_at is not None and issued_at < user.password_changed_at.timestamp()


@login_manager.request_loader
def load_bearer_user(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = read_token(header[7:].strip())
    if token is None or signin.is_revoked(db.session, token.jti):
        return None
    user = accounts.active_user(db.session, token.user_id)
    if user is None or _changed_password_since(user, token.issued_at):
        return None
    g.api_token = token
    return Principal(user)


def revoke_current_token() -> None:
    """`POST /api/auth/logout`: the token of this request is refused from now on."""
    token: Token = g.api_token
    signin.revoke_token(
        db.session,
        current_account(),
        token.jti,
        _instant(token.expires_at),
        _instant(wall_time()),
        request.remote_addr,
        via="api",
    )


# --- Page sessions -----------------------------------------------------------------------------------


def _cookie_counts() -> bool:
    """Whether this request may be authenticated by the session cookie (see the module's note)."""
    if not request.path.startswith("/api/"):
        return True
    return request.endpoint in COOKIE_API_ENDPOINTS and request.method in SAFE_METHODS


def _session_expired(now: float) -> bool:
    signed_in, seen = session.get("iat"), session.get("seen")
    if not isinstance(signed_in, int | float) or not isinstance(seen, int | float):
        return True  # a session from before these stamps, or tampered with: sign in again
    config = current_app.config
    return now - signed_in > config["SESSION_MAX_HOURS"] * 3600 or now - seen > config["SESSION_IDLE_MINUTES"] * 60


@login_manager.user_loader
def load_session_user(user_id: str):
    if not _cookie_counts():
        return None
    now = wall_time()
    if _session_expired(now) or signin.is_revoked(db.session, str(session.get("sid", ""))):
        session.clear()
        return None
    user = accounts.active_user(db.session, int(user_id))
    if user is None or _changed_password_since(user, session["iat"]):
        return None
    if now - session["seen"] > SEEN_RESOLUTION:
        session["seen"] = now
    return Principal(user)


def start_session(user: User) -> None:
    """Sign a page user in: a fresh session (nothing of the anonymous one carried over) with its id and stamps."""
    session.clear()
    login_user(Principal(user))
    now = wall_time()
    session.update(sid=secrets.token_hex(16), iat=now, seen=now)


def restamp_session() -> None:
    """After the user changed their password in this session: it stays, sessions issued before end."""
    session["iat"] = session["seen"] = wall_time()


def end_session() -> None:
    """Page log-out: the session's id is revoked (a copy of the cookie no longer works) and the cookie emptied."""
    if current_user.is_authenticated and session.get("sid"):
        expires = float(session.get("iat", wall_time())) + current_app.config["SESSION_MAX_HOURS"] * 3600
        signin.revoke_token(
            db.session,
            current_account(),
            str(session["sid"]),
            _instant(expires),
            _instant(wall_time()),
            request.remote_addr,
            via="page",
        )
    logout_user()
    session.clear()


# --- Guards -------------------------------------------------------------------------------------------


@login_manager.unauthorized_handler
def unauthorized():
    abort(401, message=PLEASE_LOG_IN)


def require_token():
    """A signed-in caller, even one who must still change an initial password (log-out, the change itself)."""
    if not current_user.is_authenticated:
        abort(401, message=PLEASE_LOG_IN)


def require_login():
    """before_request hook for every protected blueprint."""
    require_token()
    if current_user.user.must_change_password:
        abort(403, message=CHANGE_PASSWORD_FIRST)


def current_account() -> User:
    """The engine user behind the request (the acting user every engine call takes)."""
    return current_user.user
