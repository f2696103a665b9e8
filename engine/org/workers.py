"""Credentials of external-task workers: issued once, kept as a hash, revoked; and who a presented secret is.

A secret reads `ybw.<key id>.<random>`: the key id finds the credential (a worker may send the secret alone, as
a bearer token), the whole secret is checked against its SHA-256 digest. The random part carries 256 bits, so it
cannot be guessed and a slow password hash would add nothing but cost: workers present their secret on every
poll, and an scrypt check per request cost more than the request. The digest keeps a copy of the database from
granting access.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.clock import clock
from engine.core.errors import Conflict, Invalid, NotFound
from engine.core.models import OrgUnit, WorkerCredential
from engine.core.uow import unit_of_work
from engine.org.permissions import Actor, WorkerActor, ensure_admin, unit_in_scope

SECRET_PREFIX = "ybw"
NAME_LENGTH = 60


@dataclass(frozen=True)
class IssuedCredential:
    """A new credential and its secret, which exists nowhere else: print it once."""

    credential: WorkerCredential
    secret: str


def create(session: Session, admin: Actor, name: str, unit_code: str) -> IssuedCredential:
    """Issue a credential NAME for the cases of the unit `unit_code` and the units below it."""
    ensure_admin(admin)
    name = name.strip()
    if not name or len(name) > NAME_LENGTH or any(ch in name for ch in ":\n\r\t "):
        raise Invalid("名称有误", {"name": [f"名称须为 1 至 {NAME_LENGTH} 个字符，不含空格和冒号"]})
    with unit_of_work(session):
        unit = unit_in_scope(session, admin, unit_code, "scope")
        if session.scalar(select(WorkerCredential.id).where(WorkerCredential.name == name)) is not None:
            raise Conflict(f"接口凭据 {name} 已存在")
        key_id = secrets.token_hex(8)
        secret = f"{SECRET_PREFIX}.{key_id}.{secrets.token_urlsafe(32)}"
        credential = WorkerCredential(
            name=name,
            key_id=key_id,
            secret_hash=digest_of(secret),
            org_id=unit.id,
            created_at=clock.now(),
            created_by=admin.username,
        )
        session.add(credential)
    return IssuedCredential(credential, secret)


def listing(session: Session, admin: Actor) -> list[WorkerCredential]:
    ensure_admin(admin)
    return list(session.scalars(select(WorkerCredential).order_by(WorkerCredential.name)))


def revoke(session: Session, admin: Actor, name: str) -> WorkerCredential:
    """Refuse the credential from the next request on (a lock it holds expires as any other)."""
    ensure_admin(admin)
    with unit_of_work(session):
        credential = session.scalars(select(WorkerCredential).where(WorkerCredential.name == name)).first()
        if credential is None:
            raise NotFound(f"接口凭据 {name} 不存在")
        if credential.revoked_at is None:
            credential.revoked_at = clock.now()
    return credential


def digest_of(secret: str) -> str:
    """What is kept of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


_NO_CREDENTIAL = digest_of(secrets.token_urlsafe(32))
"""Compared when no credential matched, so that an unknown key id costs what a wrong secret costs."""


def authenticate(session: Session, secret: str, name: str | None = None) -> WorkerActor | None:
    """The worker a secret (and, with HTTP Basic, a name) stands for; None for anything else, timed alike."""
    parts = secret.split(".")
    key_id = parts[1] if len(parts) == 3 and parts[0] == SECRET_PREFIX else ""
    credential = (
        session.scalars(select(WorkerCredential).where(WorkerCredential.key_id == key_id)).first() if key_id else None
    )
    matches = hmac.compare_digest(credential.secret_hash if credential else _NO_CREDENTIAL, digest_of(secret))
    if credential is None or not matches or credential.revoked_at is not None:
        return None
    if name is not None and not hmac.compare_digest(name.encode(), credential.name.encode()):
        return None
    unit: OrgUnit = credential.org
    return WorkerActor(username=credential.name, org=unit, credential_id=credential.id)
