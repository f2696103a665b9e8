"""容缺受理, 补正 and 不予受理 counted per accepting unit over a period, for 考核.

`deferred`: cases accepted 容缺 (a promise made); `supplement`: cases told to supplement (一次性告知 given);
`not_accepted`: cases ended 不予受理 because the 补正 period passed. Each is counted when it happened, in
[since, until), at the unit that accepted the case; a case told twice counts on the day of its first notice.
The last two are summed from the daily counts (`engine.reporting.daily`).
"""

from collections.abc import Collection
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.clock import SHANGHAI
from engine.core.models import Promise
from engine.reporting import daily

KEYS = ("deferred", "supplement", "not_accepted")


def counts(
    session: Session, *, since: date | datetime, until: date | datetime, org_ids: Collection[int] | None = None
) -> dict[int, dict[str, int]]:
    """org id → {"deferred", "supplement", "not_accepted"}; units with none of them are left out."""
    start, end = _instant(since), _instant(until)
    found: dict[int, dict[str, int]] = {}
    promised = select(Promise.org_id, func.count()).where(Promise.created_at >= start, Promise.created_at < end)
    if org_ids is not None:
        promised = promised.where(Promise.org_id.in_(list(org_ids)))
    for org_id, n in session.execute(promised.group_by(Promise.org_id)):
        found.setdefault(org_id, dict.fromkeys(KEYS, 0))["deferred"] = n
    first, last = daily.days(since, until)
    told = daily.sums(session, ("supplement", "not_accepted"), first=first, last=last, org_ids=org_ids, by=("org_id",))
    for (org_id,), (supplement, not_accepted) in told.items():
        found.setdefault(org_id, dict.fromkeys(KEYS, 0)).update(supplement=supplement, not_accepted=not_accepted)
    return found


def _instant(value: date | datetime) -> datetime:
    """A day means its 00:00 in Shanghai."""
    return value if isinstance(value, datetime) else datetime.combine(value, time(0), tzinfo=SHANGHAI)
