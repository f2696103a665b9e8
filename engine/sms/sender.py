"""The sender: claims due messages in batches, hands each to the gateway, records what happened.

Several senders may run against one database. A batch is claimed with one UPDATE of rows chosen with
`FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite runs the statement under its single write lock), which stamps
them `sending` with this claim's token and a lease; each outcome is recorded in its own transaction and only
by the claim holding the row, and a sender stops a batch whose lease ran out. A sender killed mid-batch leaves at most the message it was handing over
`sending`: once the lease expires another claim takes it and sends it again under the same key, for the
gateway to recognise. A failure waits `backoff * 2^(attempts-1)` (capped) before the next try; after
`max_attempts` tries, or as many lost leases, the message is `failed` for administrators to see.
"""

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from engine.core.clock import clock
from engine.core.models import SmsMessage
from engine.core.uow import unit_of_work
from engine.sms.gateways import Gateway, GatewayError
from engine.sms.outbox import FAILED, PENDING, SENDING, SENT

LOST_LEASES = "发送进程多次中断，已停止重试"


@dataclass(frozen=True)
class Policy:
    batch: int = 20
    max_attempts: int = 6
    backoff_seconds: float = 60.0
    max_backoff_seconds: float = 6 * 3600.0
    lease_seconds: float = 150.0
    """Longer than a whole batch may take at the gateway's timeout, or a live sender's rows are taken over."""

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th failed try."""
        return timedelta(seconds=min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempts - 1)))


@dataclass
class Round:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    mobile: str
    body: str
    attempts: int


def sender_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def send_due(session: Session, gateway: Gateway, policy: Policy, sender: str | None = None) -> Round:
    """Claim one batch of due messages and send it; an empty round means nothing was due."""
    result = Round()
    token = f"{sender or sender_name()}:{uuid.uuid4().hex[:8]}"
    claimed = claim(session, policy, token)
    for message in claimed.messages:
        if clock.now() >= claimed.until:
            break  # a slow batch outlived its lease: what is left may be another sender's by now
        try:
            reference = gateway.send(message.key, message.mobile, message.body)
        except GatewayError as exc:
            if _record_failure(session, policy, token, message, str(exc)) == FAILED:
                result.failed += 1
            else:
                result.retried += 1
            result.errors.append(f"短信 {message.id}（第{message.attempts}次）：{exc}")
            continue
        if _record(session, token, message.id, {"state": SENT, "sent_at": clock.now(), "gateway_ref": reference}):
            result.sent += 1
    return result


@dataclass(frozen=True)
class Claim:
    messages: list[Claimed]
    until: datetime


def claim(session: Session, policy: Policy, token: str) -> Claim:
    """Take up to a batch of due messages for the claim `token`, skipping rows another sender holds."""
    with unit_of_work(session):
        now = clock.now()
        until = now + timedelta(seconds=policy.lease_seconds)
        session.execute(_GIVE_UP_LOST, {"now": now, "max_attempts": policy.max_attempts})
        due = (
            select(SmsMessage.id)
            .where(
                or_(
                    and_(SmsMessage.state == PENDING, SmsMessage.next_attempt_at <= now),
                    and_(SmsMessage.state == SENDING, SmsMessage.claimed_until < now),
                ),
                SmsMessage.attempts < policy.max_attempts,
            )
            .order_by(SmsMessage.next_attempt_at, SmsMessage.id)
            .limit(policy.batch)
            .with_for_update(skip_locked=True)
        )
        session.execute(
            update(SmsMessage)
            .where(SmsMessage.id.in_(due.scalar_subquery()))
            .values(
                state=SENDING,
                claimed_by=token,
                claimed_until=until,
                attempts=SmsMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(
            select(SmsMessage.id, SmsMessage.key, SmsMessage.mobile, SmsMessage.body, SmsMessage.attempts)
            .where(SmsMessage.claimed_by == token, SmsMessage.state == SENDING)
            .order_by(SmsMessage.id)
        ).all()
    return Claim([Claimed(*row) for row in rows], until)


_GIVE_UP_LOST = (
    update(SmsMessage)
    .where(
        SmsMessage.state == SENDING,
        SmsMessage.claimed_until < bindparam("now"),
        SmsMessage.attempts >= bindparam("max_attempts"),
    )
    .values(state=FAILED, last_error=LOST_LEASES)
    .execution_options(synchronize_session=False)
)


def _record_failure(session: Session, policy: Policy, token: str, message: Claimed, error: str) -> str:
    if message.attempts >= policy.max_attempts:
        _record(session, token, message.id, {"state": FAILED, "last_error": error})
        return FAILED
    retry_at = clock.now() + policy.backoff(message.attempts)
    _record(session, token, message.id, {"state": PENDING, "next_attempt_at": retry_at, "last_error": error})
    return PENDING


def _record(session: Session, token: str, message_id: int, values: dict[str, Any]) -> bool:
    """Write a message's outcome if this claim still holds it (a lease taken over leaves it to the new claim)."""
    with unit_of_work(session):
        written = session.execute(
            update(SmsMessage)
            .where(SmsMessage.id == message_id, SmsMessage.claimed_by == token, SmsMessage.state == SENDING)
            .values(claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )
    return cast(CursorResult[Any], written).rowcount == 1
