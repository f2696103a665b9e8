"""The token endpoint: a username and password exchanged for a bearer token (resolved by `server.login`)."""

from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from engine.org import accounts
from server.extensions import db
from server.login import TOKEN_MAX_AGE, issue_token

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="登录与令牌")


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
