"""The security log (安全日志): sign-ins, failures, lock-outs, password changes, log-outs, account changes and
refused access, for administrators to read.

`record` adds one event to the caller's unit of work (it never commits: the event belongs to the change it
describes, and a refused change leaves no event unless the caller records one in a unit of work of its own,
as `record_alone` does). `events` lists them for administrators, newest first, filtered by action, user
name and day range, and always kept to the administrator's scope: the events of accounts of the units of their
subtree (`permissions.unit_scope_condition`). An event naming no account (a failed sign-in under an unknown
name) belongs to no unit, so only the system level reads it.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from engine.core.clock import SHANGHAI, clock
from engine.core.models import OrgUnit, SecurityEvent, User
from engine.core.reference import reference
from engine.core.uow import unit_of_work
from engine.org.permissions import Actor, ensure_admin, unit_scope_condition

LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGIN_BLOCKED = "login_blocked"
LOCKED = "locked"
UNLOCKED = "unlocked"
LOGOUT = "logout"
PASSWORD_CHANGED = "password_changed"
PASSWORD_CHANGE_FAILED = "password_change_failed"
PASSWORD_RESET = "password_reset"
USER_CREATED = "user_created"
USER_DEACTIVATED = "user_deactivated"
ROLE_CHANGED = "role_changed"
SCOPE_REFUSED = "scope_refused"

ACTION_LABELS = {
    LOGIN: "登录成功",
    LOGIN_FAILED: "登录失败",
    LOGIN_BLOCKED: "锁定期间尝试登录",
    LOCKED: "账号锁定",
    UNLOCKED: "账号解锁",
    LOGOUT: "退出登录",
    PASSWORD_CHANGED: "修改密码",
    PASSWORD_CHANGE_FAILED: "修改密码失败",
    PASSWORD_RESET: "重置密码",
    USER_CREATED: "创建用户",
    USER_DEACTIVATED: "停用用户",
    ROLE_CHANGED: "角色变更",
    SCOPE_REFUSED: "越权访问被拒",
}

DETAIL_LABELS = {
    "via": "途径",
    "reason": "原因",
    "failures": "连续失败次数",
    "minutes": "锁定分钟数",
    "by": "操作人",
    "roles": "角色",
    "scope": "范围",
}
VALUE_LABELS = {
    "via": {"page": "网页", "api": "接口"},
    "reason": {"password": "密码错误", "unknown_user": "用户名不存在", "inactive": "账号已停用"},
}

USERNAME_LENGTH = 60  # SecurityEvent.username: a longer name typed at the login form is cut
ADDRESS_LENGTH = 45


def record(
    session: Session,
    action: str,
    *,
    user: Actor | None = None,
    username: str | None = None,
    remote_addr: str | None = None,
    **detail: Any,
) -> SecurityEvent:
    """Add one event to the caller's unit of work. `user` is whom it concerns (a `User`, or the system);
    `username` names someone who has no account (a login with an unknown name) or overrides the user's;
    `detail` is what else an administrator should read (who acted, which roles, a reason), JSON-ready."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown security event: {action}")
    account = user if isinstance(user, User) else None
    name = username if username is not None else (user.username if user is not None else None)
    event = SecurityEvent(
        at=clock.now(),
        action=action,
        username=name[:USERNAME_LENGTH] if name else None,
        user_id=account.id if account is not None else None,
        org_id=account.org_id if account is not None else None,
        remote_addr=remote_addr[:ADDRESS_LENGTH] if remote_addr else None,
        detail=detail,
    )
    session.add(event)
    return event


def record_alone(session: Session, action: str, **kwargs: Any) -> None:
    """Record one event in a unit of work of its own: for a refusal, whose own change rolled back."""
    with unit_of_work(session):
        record(session, action, **kwargs)


@dataclass(frozen=True)
class EventFilter:
    actions: Collection[str] = ()
    username: str | None = None
    since: date | None = None  # first day, inclusive (Asia/Shanghai)
    until: date | None = None  # last day, inclusive


@dataclass(frozen=True)
class ListedEvent:
    """An event as administrators read it: with the name of the unit of the account it concerns."""

    id: int
    at: datetime
    action: str
    action_label: str
    username: str | None
    user_id: int | None
    org_code: str | None
    org_name: str | None
    remote_addr: str | None
    detail: dict[str, Any]
    described: list[str]  # the detail in words, e.g. ["途径：网页", "原因：密码错误"]


@dataclass(frozen=True)
class EventPage:
    items: list[ListedEvent]
    total: int
    page: int
    per_page: int


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _conditions(wanted: EventFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.actions:
        conditions.append(SecurityEvent.action.in_(sorted(wanted.actions)))
    if wanted.username:
        conditions.append(SecurityEvent.username == wanted.username)
    if wanted.since:
        conditions.append(SecurityEvent.at >= _day_start(wanted.since))
    if wanted.until:
        conditions.append(SecurityEvent.at < _day_start(wanted.until + timedelta(days=1)))
    return conditions


def described(detail: dict[str, Any]) -> list[str]:
    """An event's detail as administrators read it: labels in Chinese, role codes as role names."""
    lines = []
    for key, value in detail.items():
        if key == "roles" and isinstance(value, list):
            value = "、".join(reference().role_name(role) for role in value)
        elif isinstance(value, list):
            value = "、".join(map(str, value))
        else:
            value = VALUE_LABELS.get(key, {}).get(str(value), value)
        lines.append(f"{DETAIL_LABELS.get(key, key)}：{value}")
    return lines


def events(session: Session, admin: Actor, wanted: EventFilter, page: int = 1, per_page: int = 50) -> EventPage:
    """The security log for administrators, newest first, one page of it with the count of all that match."""
    ensure_admin(admin)
    conditions = [*_conditions(wanted), unit_scope_condition(admin, SecurityEvent.org_id)]
    listing = (
        select(SecurityEvent, OrgUnit.code, OrgUnit.name)
        .outerjoin(OrgUnit, OrgUnit.id == SecurityEvent.org_id)
        .where(*conditions)
        .order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    total = session.scalar(select(func.count()).select_from(SecurityEvent).where(*conditions)) or 0
    items = [
        ListedEvent(
            id=event.id,
            at=event.at,
            action=event.action,
            action_label=ACTION_LABELS.get(event.action, event.action),
            username=event.username,
            user_id=event.user_id,
            org_code=code,
            org_name=name,
            remote_addr=event.remote_addr,
            detail=event.detail or {},
            described=described(event.detail or {}),
        )
        for event, code, name in session.execute(listing)
    ]
    return EventPage(items, total, page, per_page)
