"""The menu of the logged-in user: only entries whose engine permission check passes."""

from collections.abc import Callable

from flask import Flask
from flask_login import current_user

from engine.core.errors import Forbidden
from engine.org.permissions import ADMIN, DESIGNER, ensure_admin, ensure_may_accept, ensure_may_refer, sla_scope


def _passes(check: Callable[[], object]) -> bool:
    try:
        check()
    except Forbidden:
        return False
    return True


def menu() -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the header."""
    user = current_user.user
    if user.must_change_password:
        return []  # only the change-password page answers until then
    entries = []
    if user.roles - {ADMIN, DESIGNER}:
        entries.append(("clerk.inbox", "我的工作台"))
    if _passes(lambda: ensure_may_accept(user, user.org)):
        entries += [("clerk.pick_item", "受理"), ("clerk.accepted", "我受理的办件"), ("supplements.page", "待补正")]
    if _passes(lambda: ensure_may_refer(user)):
        entries.append(("first_contact.page", "首问登记"))
    if _passes(lambda: sla_scope(user, None)):
        entries += [("manage.instances", "办件监控"), ("dashboard.sla_page", "时效统计")]
    if _passes(lambda: ensure_admin(user)):
        entries += [
            ("calendar_admin.years", "工作日历"),
            ("people.users", "用户与单位"),
            ("group_table.table", "候选组对照"),
            ("step_limit_table.page", "环节时限"),
            ("privacy.views", "个人信息查看记录"),
            ("security.events", "安全日志"),
        ]
    if DESIGNER in user.roles:
        entries.append(("design.processes", "流程设计"))
    return entries


def register(app: Flask) -> None:
    @app.context_processor
    def _menu():
        return {"menu": menu if current_user and current_user.is_authenticated else (lambda: [])}
