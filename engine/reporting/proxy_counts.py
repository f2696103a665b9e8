"""帮办代办 counted for 考核 (seeds 001 §三.3, 附件2): the applications each unit's agents made under a 委托.

One grouped query over `proxy_mandate` by the accepting unit, the unit whose 代办 work the 委托 was.
"""

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.queries import day_start
from engine.core.models import ProxyMandate


def counts(
    session: Session, *, since: date | datetime, until: date | datetime, org_ids: list[int] | None = None
) -> dict[int, dict[str, int]]:
    """org id → {"proxy": applications accepted there under a 委托} from `since` (inclusive) to `until`
    (exclusive); a day stands for its 00:00 in Asia/Shanghai. Units with none are left out; `org_ids` limits
    the units counted (None: every unit)."""
    query = (
        select(ProxyMandate.org_id, func.count())
        .where(ProxyMandate.accepted_at >= _instant(since), ProxyMandate.accepted_at < _instant(until))
        .group_by(ProxyMandate.org_id)
    )
    if org_ids is not None:
        query = query.where(ProxyMandate.org_id.in_(org_ids))
    return {org_id: {"proxy": n} for org_id, n in session.execute(query).all()}


def _instant(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else day_start(value)
