"""Presentation helpers for templates: masked identity numbers, dates in Chinese style, role names."""

from datetime import datetime

from flask import Flask

from engine.cases.applicants import masked_id_number
from engine.core.clock import SHANGHAI
from engine.core.reference import reference


def mask_id(number: str | None) -> str:
    """The applicant's ID number as every page and notice shows it (`engine.cases.applicants`)."""
    return masked_id_number(number)


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
