"""Signing in and passwords: the password rules, lock-out after repeated failures, changing and resetting a
password, and bearer tokens given back before they expire.

Settings come from the app (`configure`: LOGIN_MAX_FAILURES, LOGIN_LOCKOUT_MINUTES, PASSWORD_MIN_LENGTH).

A sign-in never tells whether a user name exists: an unknown name, a wrong password and a deactivated
account get the same message and cost the same password hash (a dummy one for an unknown name), and an
unknown name is locked out like an account, counted from the security log, so that a lock-out does not
tell either. Every outcome is a security event (`engine/org/security_log.py`).
"""

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.core.clock import clock
from engine.core.errors import Invalid
from engine.core.models import RevokedToken, SecurityEvent, User
from engine.core.reference import DATA_DIR
from engine.core.uow import unit_of_work
from engine.org import passwords, security_log

REFUSED = "用户名或密码错误，或账号已停用"
LOCKED_MESSAGE = "账号已锁定，请 {minutes} 分钟后再试或联系管理员"
MUST_CHANGE = "首次登录或密码被重置后，须先修改密码才能继续使用"
MAX_PASSWORD_LENGTH = 128


@dataclass
class Settings:
    max_failures: int = 5
    lockout_minutes: int = 15
    min_password_length: int = 10


settings = Settings()


def configure(max_failures: int, lockout_minutes: int, min_password_length: int) -> None:
    if max_failures < 1 or lockout_minutes < 1 or min_password_length < 8:
        raise ValueError("sign-in settings: at least 1 failure, 1 minute and 8 characters")
    settings.max_failures = max_failures
    settings.lockout_minutes = lockout_minutes
    settings.min_password_length = min_password_length


# --- Password rules ----------------------------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """The reviewed list of passwords too common to allow (engine/data/common_passwords.txt), lower case."""
    lines = (DATA_DIR / "common_passwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str, username: str) -> list[str]:
    """What a new password breaks, in the words the person reads; empty when it is allowed.

    At least PASSWORD_MIN_LENGTH (10) characters and two kinds of letters, digits and other characters;
    not containing the user name; not one of the common passwords.
    """
    problems = []
    if len(password) < settings.min_password_length:
        problems.append(f"密码至少 {settings.min_password_length} 位")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"密码不能超过 {MAX_PASSWORD_LENGTH} 位")
    kinds = [any(c.isalpha() for c in password), any(c.isdigit() for c in password)]
    kinds.append(any(not c.isalnum() for c in password))
    if password and sum(kinds) < 2:
        problems.append("密码须包含字母、数字、符号中的至少两类")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    if password.lower() in common_passwords():
        problems.append("密码过于常见，请换一个")
    return problems


# Letters and digits a clerk reads aloud or types from a slip without mistaking one for another (no 0/O, 1/l/I).
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_LENGTH = 12


def temporary_password(username: str) -> str:
    """A random password for an administrator's reset that keeps the password rules; shown once, and its
    owner must replace it at the next sign-in."""
    length = max(TEMPORARY_LENGTH, settings.min_password_length)
    while True:
        password = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(length))
        if not password_problems(password, username):
            return password


def ensure_password_allowed(password: str, username: str, field: str = "password") -> None:
    problems = password_problems(password, username)
    if problems:
        raise Invalid("密码不符合要求", {field: problems})


# --- Signing in --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or the message to show (the same for every kind of miss)."""

    user: User | None
    message: str | None = None

    @property
    def must_change_password(self) -> bool:
        return self.user is not None and self.user.must_change_password


@cache
def _dummy_hash(method: str) -> str:
    """A hash at the current cost, checked against when the user name is unknown (the same work as a hit)."""
    return passwords.hash_password(secrets.token_hex(16))


def _locked_message(until: datetime, now: datetime) -> str:
    return LOCKED_MESSAGE.format(minutes=max(1, math.ceil((until - now).total_seconds() / 60)))


def sign_in(
    session: Session, username: str, password: str, remote_addr: str | None = None, via: str = "page"
) -> SignIn:
    """Check a user name and password; count a failure towards a lock-out and record what happened."""
    now = clock.now()
    with unit_of_work(session):
        user = session.scalars(select(User).where(User.username == username)).first() if username else None
        if user is None:
            passwords.verify_password(_dummy_hash(passwords.method), password)
            return _unknown_name(session, username, now, remote_addr, via)
        matches = passwords.verify_password(user.password_hash, password)
        if user.locked_until is not None and user.locked_until > now:
            security_log.record(session, security_log.LOGIN_BLOCKED, user=user, remote_addr=remote_addr, via=via)
            return SignIn(None, _locked_message(user.locked_until, now))
        if not matches or not user.active:
            return _failure(session, user, now, remote_addr, via, "password" if not matches else "inactive")
        user.failed_logins = 0
        user.locked_until = None
        security_log.record(session, security_log.LOGIN, user=user, remote_addr=remote_addr, via=via)
        return SignIn(user)


def _failure(session: Session, user: User, now: datetime, remote_addr: str | None, via: str, reason: str) -> SignIn:
    if user.locked_until is not None:  # a lock-out that has run out: count afresh
        user.locked_until = None
        user.failed_logins = 0
    user.failed_logins = (user.failed_logins or 0) + 1
    security_log.record(session, security_log.LOGIN_FAILED, user=user, remote_addr=remote_addr, via=via, reason=reason)
    if user.failed_logins < settings.max_failures:
        return SignIn(None, REFUSED)
    user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
    security_log.record(
        session,
        security_log.LOCKED,
        user=user,
        remote_addr=remote_addr,
        failures=user.failed_logins,
        minutes=settings.lockout_minutes,
    )
    return SignIn(None, _locked_message(user.locked_until, now))


def _unknown_name(session: Session, username: str, now: datetime, remote_addr: str | None, via: str) -> SignIn:
    """A name without an account: refused like a wrong password, and locked out after as many tries."""
    name = username[: security_log.USERNAME_LENGTH]
    if not name:
        return SignIn(None, REFUSED)
    of_name = (SecurityEvent.username == name, SecurityEvent.user_id.is_(None))
    last_lock = session.scalar(
        select(func.max(SecurityEvent.at)).where(*of_name, SecurityEvent.action == security_log.LOCKED)
    )
    lock_ends = last_lock + timedelta(minutes=settings.lockout_minutes) if last_lock is not None else None
    if lock_ends is not None and lock_ends > now:
        security_log.record(session, security_log.LOGIN_BLOCKED, username=name, remote_addr=remote_addr, via=via)
        return SignIn(None, _locked_message(lock_ends, now))
    failures = select(func.count()).where(*of_name, SecurityEvent.action == security_log.LOGIN_FAILED)
    if last_lock is not None:
        failures = failures.where(SecurityEvent.at > last_lock)
    count = (session.scalar(failures) or 0) + 1
    security_log.record(
        session, security_log.LOGIN_FAILED, username=name, remote_addr=remote_addr, via=via, reason="unknown_user"
    )
    if count < settings.max_failures:
        return SignIn(None, REFUSED)
    security_log.record(
        session,
        security_log.LOCKED,
        username=name,
        remote_addr=remote_addr,
        failures=count,
        minutes=settings.lockout_minutes,
    )
    return SignIn(None, _locked_message(now + timedelta(minutes=settings.lockout_minutes), now))


def record_logout(session: Session, user: User, remote_addr: str | None = None, via: str = "page") -> None:
    security_log.record_alone(session, security_log.LOGOUT, user=user, remote_addr=remote_addr, via=via)


# --- Changing a password --------------------------------------------------------------------------


def set_password(user: User, password: str) -> None:
    """A new password hash; a lock-out and the count of failures end with it."""
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = clock.now()
    user.failed_logins = 0
    user.locked_until = None


def change_password(
    session: Session, user: User, current: str, new: str, remote_addr: str | None = None, via: str = "page"
) -> User:
    """The person changes their own password: the current one, then a new one that keeps the rules and
    differs from it. Ends a forced change; sessions and tokens issued before it stop working."""
    errors: dict[str, list[str]] = {}
    if not passwords.verify_password(user.password_hash, current):
        errors["current_password"] = ["当前密码不正确"]
    problems = password_problems(new, user.username)
    if not problems and new == current:
        problems.append("新密码不能与当前密码相同")
    if problems:
        errors["new_password"] = problems
    if errors:
        if "current_password" in errors:
            security_log.record_alone(
                session, security_log.PASSWORD_CHANGE_FAILED, user=user, remote_addr=remote_addr, via=via
            )
        raise Invalid("密码未修改", errors)
    with unit_of_work(session):
        set_password(user, new)
        user.must_change_password = False
        security_log.record(session, security_log.PASSWORD_CHANGED, user=user, remote_addr=remote_addr, via=via)
    return user


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


# --- Tokens given back ------------------------------------------------------------------------------


def revoke_token(
    session: Session,
    user: User,
    jti: str,
    expires_at: datetime,
    now: datetime,
    remote_addr: str | None = None,
    via: str = "api",
) -> None:
    """A bearer token (or a page session) given back at log-out: refused from now on until it would have
    expired anyway; rows of tokens past their expiry are purged at the same time. `now` is the instant the
    token's expiry is counted on (the app's wall clock, not the business clock tests move)."""
    with unit_of_work(session):
        session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
        if session.get(RevokedToken, jti) is None:
            session.add(RevokedToken(jti=jti, user_id=user.id, revoked_at=now, expires_at=expires_at))
        security_log.record(session, security_log.LOGOUT, user=user, remote_addr=remote_addr, via=via)


def is_revoked(session: Session, jti: str) -> bool:
    return session.get(RevokedToken, jti) is not None


def purge_revoked(session: Session, now: datetime) -> int:
    """Delete the rows of revoked tokens that have expired (they are refused as expired anyway)."""
    with unit_of_work(session):
        result = session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)
