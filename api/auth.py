"""Signing in to the REST API: a username and password exchanged for a bearer token (resolved by `server.login`),
the token given back at log-out, and changing one's password (required first after an administrator set it)."""

from flask import request
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from engine.core.models import User
from engine.org import signin
from server.extensions import db
from server.login import current_account, issue_token, require_token, revoke_current_token, token_max_age

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="登录与令牌")


class TokenRequest(Schema):
    username = fields.String(required=True, metadata={"title": "用户名"})
    password = fields.String(required=True, load_only=True, metadata={"title": "密码"})


class PasswordChange(Schema):
    current_password = fields.String(required=True, load_only=True, metadata={"title": "当前密码"})
    new_password = fields.String(
        required=True,
        load_only=True,
        metadata={
            "title": "新密码",
            "description": "至少 10 位（PASSWORD_MIN_LENGTH），含字母、数字、符号中的至少两类，不含用户名，不是常见密码",
        },
    )


class TokenResponse(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "有效秒数（API_TOKEN_HOURS）"})
    username = fields.String()
    roles = fields.List(fields.String())
    org = fields.String()
    must_change_password = fields.Boolean(
        metadata={"description": "为 true 时须先修改密码（POST /api/auth/password），其余接口答 403"}
    )


def _token_for(user: User) -> dict:
    return {
        "token": issue_token(user),
        "token_type": "Bearer",
        "expires_in": token_max_age(),
        "username": user.username,
        "roles": sorted(user.roles),
        "org": user.org.code,
        "must_change_password": user.must_change_password,
    }


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequest())
@blp.response(200, TokenResponse)
@blp.alt_response(401, description="用户名或密码错误、账号已停用，或连续失败后账号已锁定（message 说明几分钟后再试）")
def token(credentials):
    """Exchange a username and password for a bearer token.

    After LOGIN_MAX_FAILURES (5) failures in a row the account is locked for LOGIN_LOCKOUT_MINUTES (15);
    an unknown user name is answered exactly like a wrong password."""
    result = signin.sign_in(
        db.session, credentials["username"], credentials["password"], request.remote_addr, via="api"
    )
    if result.user is None:
        abort(401, message=result.message)
    return _token_for(result.user)


@blp.route("/logout", methods=["POST"])
@blp.response(204)
@blp.alt_response(401, description="没有有效的令牌")
def logout():
    """Give the bearer token of this request back: it is refused (401) from now on."""
    require_token()
    revoke_current_token()


@blp.route("/password", methods=["POST"])
@blp.arguments(PasswordChange())
@blp.response(200, TokenResponse)
@blp.alt_response(422, description="当前密码不正确，或新密码不符合要求（errors 逐项说明）")
def change_password(change):
    """Change one's own password. Tokens issued before stop working: the answer carries a new one."""
    require_token()
    user = signin.change_password(
        db.session,
        current_account(),
        change["current_password"],
        change["new_password"],
        request.remote_addr,
        via="api",
    )
    return _token_for(user)
