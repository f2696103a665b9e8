"""Presentation helpers for templates: masked identity numbers, dates in Chinese style, role names."""

from datetime import datetime

from flask import Flask

from engine.cases.applicants import masked_id_number
from engine.catalogue.labels import item_labels
from engine.core.clock import SHANGHAI
from engine.core.reference import reference
from engine.tasks import step_limits


def mask_id(number: str | None) -> str:
    """The applicant's ID number as every page and notice shows it (`engine.cases.applicants`)."""
    return masked_id_number(number)


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return ""
    return moment.astimezone(SHANGHAI).strftime(pattern)


def role_name(code: str) -> str:
    return reference().role_name(code)


def step_limit(task: object) -> str:
    """A task's limit as clerks read it: 时限 2 个工作日（默认时限）, with 推定 where no source gives the figure."""
    days, source = getattr(task, "limit_days", None), getattr(task, "limit_source", None)
    if days is None or source is None:
        return ""
    inferred = "，推定" if getattr(task, "limit_inferred", False) else ""
    return f"时限 {days} 个工作日（{step_limits.LABELS[source]}{inferred}）"


def case_count(total: int, capped: bool = False) -> str:
    """How many cases a listing found: beyond the count's cap (`cases.queries.COUNT_CAP`) "10,000+"."""
    return f"{total:,}+" if capped else str(total)


def register(app: Flask) -> None:
    app.add_template_filter(case_count)
    app.add_template_filter(step_limit)
    app.add_template_filter(mask_id)
    app.add_template_filter(item_labels)
    app.add_template_filter(local_time)
    app.add_template_filter(role_name)
