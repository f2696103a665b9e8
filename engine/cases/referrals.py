"""首问负责: the referrals a window records when it cannot serve an enquiry or application itself.

Whoever is asked first (丰城 001 §二.1, 鼓楼 002 §4, 永州 004 §6) tells the applicant which unit serves them,
gives them a 首问告知单 and records it: the item asked about (none for a plain enquiry), the applicant, the
question and the unit referred to, which may lie in any region. The recording unit and the referred unit both
read it (`permissions.referrals_filter`); the SLA figures count those made and received (`reporting.sla`).
"""

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from engine.cases.queries import unit_by_code
from engine.catalogue.flows import catalog
from engine.catalogue.items import Item
from engine.core.clock import clock
from engine.core.errors import Invalid, NotFound
from engine.core.models import Referral, User
from engine.core.uow import unit_of_work
from engine.org.permissions import ensure_may_refer, referrals_filter
from forms.registry import clean

RECENT = 50


def record_referral(session: Session, user: User, payload: dict[str, Any]) -> Referral:
    """Record what the user's unit was asked and where it sent the applicant. Commits."""
    ensure_may_refer(user)
    values = clean("referral", payload, today=clock.now().date())
    item = _item(values.get("item") or None)
    referred_to = unit_by_code(session, values["referred_to"], "referred_to")
    if referred_to.id == user.org_id:
        raise Invalid("转介单位有误", {"referred_to": ["不能转介到本单位"]})
    referral = Referral(
        org_id=user.org_id,
        referred_to_id=referred_to.id,
        item_id=item.id if item else None,
        item_name=item.name if item else None,
        applicant_name=values["name"],
        id_number=values["id_number"],
        mobile=values.get("mobile") or None,
        question=values["question"],
        recorded_by_id=user.id,
        recorded_at=clock.now(),
    )
    with unit_of_work(session):
        session.add(referral)
    return referral


def recent_referrals(session: Session, user: User, limit: int = RECENT) -> list[Referral]:
    """The referrals the user reads (made or received), newest first."""
    return list(
        session.scalars(
            select(Referral)
            .where(_visible(user))
            .order_by(Referral.recorded_at.desc(), Referral.id.desc())
            .limit(limit)
        )
    )


def referral_of(session: Session, user: User, referral_id: int) -> Referral:
    """One referral the user reads; another's answers as a missing one."""
    referral = session.scalars(select(Referral).where(Referral.id == referral_id, _visible(user))).first()
    if referral is None:
        raise NotFound("首问登记不存在")
    return referral


def item_of(referral: Referral) -> Item | None:
    """The catalogue item a referral names, for the slip's materials; None for an enquiry or a withdrawn item."""
    try:
        return catalog().get(referral.item_id) if referral.item_id else None
    except KeyError:
        return None


def _item(item_id: str | None) -> Item | None:
    if item_id is None:
        return None
    try:
        return catalog().get(item_id)
    except KeyError:
        raise Invalid("事项不存在", {"item": [f"未知事项：{item_id[:40]}"]}) from None


def _visible(user: User) -> ColumnElement[bool]:
    return referrals_filter(user, Referral.org_id, Referral.referred_to_id)
