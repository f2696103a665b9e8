"""Presentation helpers for templates: masked identity numbers, dates in Chinese style, role names."""

from datetime import datetime

from flask import Flask

from engine.core.clock import SHANGHAI
from engine.core.reference import reference

ID_KEEP_HEAD = 4
ID_KEEP_TAIL = 4


def mask_id(number: str | None) -> str:
    """3622**********1234: enough to match a person at the window, not enough to copy the number."""
    if not number:
        return ""
    if len(number) <= ID_KEEP_HEAD + ID_KEEP_TAIL:
        return "*" * len(number)
    return number[:ID_KEEP_HEAD] + "*" * (len(number) - ID_KEEP_HEAD - ID_KEEP_TAIL) + number[-ID_KEEP_TAIL:]


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return ""
    return moment.astimezone(SHANGHAI).strftime(pattern)


def role_name(code: str) -> str:
    return reference().role_name(code)


def register(app: Flask) -> None:
    app.add_template_filter(mask_id)
    app.add_template_filter(local_time)
    app.add_template_filter(role_name)
