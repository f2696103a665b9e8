"""好差评 in 考核: per unit whose stage was rated, the ratings given and what became of the 差评.

永医保发〔2022〕15号 asks for 差评回访率 and 处置率 of 100%: of the 差评 recorded within the period, the share
whose 回访 is done (`follow_up_rate`) and whose 整改 is done (`handled_rate`), each as of now. 好评率
(`good_rate`) counts 非常满意, 满意 and 基本满意 as 好评 (GB/T 39735-2020). A unit with no 差评 has nothing left
to visit or handle: both of its rates are 1. Ratings recorded before the rated stage was kept count at the
accepting unit.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, Exists, and_, case, exists, func, select, true
from sqlalchemy.orm import Session

from engine.cases.lifecycle import TASK_COMPLETED
from engine.core.models import CaseInstance, Rating, Task
from engine.reporting.ratings import FOLLOW_UP_STEP, POOR_LEVELS, RECTIFY_STEP

Counts = dict[int, dict[str, int | float]]


def _step_done(step: str) -> Exists:
    return exists().where(
        Task.instance_id == Rating.rectification_id, Task.spec_name == step, Task.state == TASK_COMPLETED
    )


def counts(
    session: Session, *, since: datetime | None, until: datetime | None, org_ids: list[int] | None = None
) -> Counts:
    """org id → ratings, poor_ratings, good_rate, follow_up_rate, handled_rate for ratings within [since, until)."""
    unit = func.coalesce(Rating.responsible_org_id, CaseInstance.org_id)
    poor = Rating.level.in_(POOR_LEVELS)
    conditions: list[ColumnElement[bool]] = [true()]
    if since is not None:
        conditions.append(Rating.recorded_at >= since)
    if until is not None:
        conditions.append(Rating.recorded_at < until)
    if org_ids is not None:
        conditions.append(unit.in_(org_ids))
    rows = session.execute(
        select(
            unit,
            func.count(),
            func.sum(case((poor, 1), else_=0)),
            func.sum(case((and_(poor, _step_done(FOLLOW_UP_STEP)), 1), else_=0)),
            func.sum(case((and_(poor, _step_done(RECTIFY_STEP)), 1), else_=0)),
        )
        .join(CaseInstance, CaseInstance.id == Rating.instance_id)
        .where(*conditions)
        .group_by(unit)
    )
    result: Counts = {}
    for org_id, given, poor_count, visited, handled in rows:
        poor_count, visited, handled = int(poor_count or 0), int(visited or 0), int(handled or 0)
        result[org_id] = {
            "ratings": given,
            "poor_ratings": poor_count,
            "good_rate": round((given - poor_count) / given, 4),
            "follow_up_rate": round(visited / poor_count, 4) if poor_count else 1.0,
            "handled_rate": round(handled / poor_count, 4) if poor_count else 1.0,
        }
    return result
