"""Authentication: bearer tokens for the REST API, resolved to the engine's user record."""

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint, abort
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from marshmallow import Schema, fields

from api.extensions import db, login_manager
from engine.core.models import User
from engine.org import accounts

TOKEN_MAX_AGE = 12 * 3600

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="登录与令牌")


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
    return current_user.user


class TokenRequest(Schema):
    username = fields.String(required=True, metadata={"title": "用户名"})
    password = fields.String(required=True, load_only=True, metadata={"title": "密码"})


class TokenResponse(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    username = fields.String()
    roles = fields.List(fields.String())
    org = fields.String()


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequest())
@blp.response(200, TokenResponse)
def token(credentials):
    """Exchange a username and password for a bearer token."""
    user = accounts.authenticate(db.session, credentials["username"], credentials["password"])
    if user is None:
        abort(401, message="用户名或密码错误")
    return {
        "token": issue_token(user),
        "token_type": "Bearer",
        "expires_in": TOKEN_MAX_AGE,
        "username": user.username,
        "roles": sorted(user.roles),
        "org": user.org.code,
    }
