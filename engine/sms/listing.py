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


def outbox_of(session: Session, user: Actor, state: str | None = None, limit: int = 50) -> Outbox:
    """The scope's counts, and its latest messages (of `state` when given), newest first."""
    states = texts.state_labels()
    if state is not None and state not in states:
        raise Invalid(
            "短信状态无效", {"state": [f"可选：{'、'.join(f'{code}（{label}）' for code, label in states.items())}"]}
        )
    scope = sms_outbox_filter(user)
    in_scope = select(SmsMessage).join(CaseInstance, CaseInstance.id == SmsMessage.instance_id).where(scope)
    counted = dict(
        session.execute(
            select(SmsMessage.state, func.count())
            .join(CaseInstance, CaseInstance.id == SmsMessage.instance_id)
            .where(scope)
            .group_by(SmsMessage.state)
        ).all()
    )
    if state is not None:
        in_scope = in_scope.where(SmsMessage.state == state)
    listed = session.scalars(in_scope.order_by(SmsMessage.id.desc()).limit(min(limit, MAX_LISTED))).all()
    return Outbox({code: int(counted.get(code, 0)) for code in states}, list(listed))
