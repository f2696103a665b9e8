"""The outbox as administrators see it: how many messages wait, were sent, were given up, and which."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.errors import Invalid
from engine.core.models import CaseInstance, SmsMessage
from engine.org.permissions import Actor, sms_outbox_filter
from engine.sms import texts

MAX_LISTED = 200


@dataclass(frozen=True)
class Outbox:
    counts: dict[str, int]
    """Messages of the scope by state, every state named (0 where none)."""
    messages: list[SmsMessage]


def counts_of(session: Session, user: Actor) -> dict[str, int]:
    """The scope's messages by state, every state named (0 where none), for 办件监控."""
    counted = dict(
        session.execute(
            select(SmsMessage.state, func.count())
            .join(CaseInstance, CaseInstance.id == SmsMessage.instance_id)
            .where(sms_outbox_filter(user))
            .group_by(SmsMessage.state)
        ).all()
    )
    return {code: int(counted.get(code, 0)) for code in texts.state_labels()}


def outbox_of(session: Session, user: Actor, state: str | None = None, limit: int = 50) -> Outbox:
    """The scope's counts, and its latest messages (of `state` when given), newest first."""
    states = texts.state_labels()
    if state is not None and state not in states:
        choices = "、".join(f"{code}（{label}）" for code, label in states.items())
        raise Invalid("短信状态无效", {"state": [f"可选：{choices}"]})
    listed = (
        select(SmsMessage)
        .join(CaseInstance, CaseInstance.id == SmsMessage.instance_id)
        .where(sms_outbox_filter(user), *([SmsMessage.state == state] if state else []))
        .order_by(SmsMessage.id.desc())
        .limit(min(limit, MAX_LISTED))
    )
    return Outbox(counts_of(session, user), list(session.scalars(listed)))
