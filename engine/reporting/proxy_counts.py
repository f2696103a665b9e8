"""帮办代办 counted for 考核 (seeds 001 §三.3, 附件2): the applications each unit's agents made under a 委托.

Summed from the daily counts (`engine.reporting.daily`, the `proxy` count the mandate adds as it is recorded) by
the accepting unit, the unit whose 代办 work the 委托 was.
"""

from datetime import date, datetime

from sqlalchemy.orm import Session

from engine.reporting import daily


def counts(
    session: Session, *, since: date | datetime, until: date | datetime, org_ids: list[int] | None = None
) -> dict[int, dict[str, int]]:
    """org id → {"proxy": applications accepted there under a 委托} on the days from `since` (inclusive) to `until`
    (exclusive; an instant stands for its day in Asia/Shanghai). Units with none are left out; `org_ids` limits
    the units counted (None: every unit)."""
    first, last = daily.days(since, until)
    found = daily.sums(session, ("proxy",), first=first, last=last, org_ids=org_ids, by=("org_id",))
    return {org_id: {"proxy": proxy} for (org_id,), (proxy,) in found.items()}
