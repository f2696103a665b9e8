"""Who is calling: Flask-Login around the engine's user, from a session cookie (pages) or a bearer token (REST)."""

from flask import current_app
from flask_login import current_user
from flask_smorest import abort
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from engine.core.models import User
from engine.org import accounts
from server.extensions import db, login_manager

TOKEN_MAX_AGE = 12 * 3600


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


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="api-token")


def issue_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id})


@login_manager.user_loader
def load_session_user(user_id: str):
    user = accounts.active_user(db.session, int(user_id))
    return Principal(user) if user else None


@login_manager.request_loader
def load_bearer_user(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        payload = _serializer().loads(header[7:], max_age=TOKEN_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    user = accounts.active_user(db.session, payload.get("uid"))
    return Principal(user) if user else None


@login_manager.unauthorized_handler
def unauthorized():
    abort(401, message="请先登录")


def require_login():
    """before_request hook for every protected blueprint."""
    if not current_user.is_authenticated:
        abort(401, message="请先登录")


def current_account() -> User:
    """The engine user behind the request (the acting user every engine call takes)."""
    return current_user.user
