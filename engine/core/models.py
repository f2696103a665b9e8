"""Persistent records of the engine (SQLAlchemy 2, no Flask).

The workflow state of a case lives in `CaseInstance.state`; `Task` is a projection of its
open user tasks so that inboxes never deserialise workflows.

Links from a record to the records it refers to are for reading (`viewonly`): they are written
through their id columns, so a flush never has to walk them.
"""

import json
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import NullType, TypeDecorator, TypeEngine

from engine.core.clock import SHANGHAI

JSONObject = dict[str, Any]
"""A JSON object column's value: whatever the JSON holds under string keys."""
JSONArray = list[Any]


class Instant(TypeDecorator[datetime]):
    """An aware instant stored as UTC, read back in Asia/Shanghai, the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(SHANGHAI)


class StateBytes(TypeDecorator[bytes]):
    """A workflow state as stored (engine/workflow/stored.py): bytes, `bytea` on PostgreSQL.

    SQLite keeps the TEXT column of earlier releases, whose cells hold blobs and old text alike; old text
    reads back as its UTF-8 bytes.
    """

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(NullType() if dialect.name == "sqlite" else LargeBinary())

    def process_result_value(self, value: bytes | str | None, dialect: Dialect) -> bytes | None:
        return value.encode() if isinstance(value, str) else value


_REGION_OF_CASE = text("SELECT region FROM case_instance WHERE id = :id")


def _region_of_rows_case(context: Any) -> str | None:
    """The region of the case the row being inserted belongs to, read from its case row (already written)."""
    region: str | None = context.connection.scalar(
        _REGION_OF_CASE, {"id": context.get_current_parameters()["instance_id"]}
    )
    return region


def case_region() -> Any:
    """The `region` column of a table holding case data: its case's region, filled as the row is written, so that
    every such table distributes by region with its case (docs/architecture.md, "Regions in the schema")."""
    return mapped_column(String(100), default=_region_of_rows_case, comment="the case's region (distribution column)")


# JSON columns as compact UTF-8: a Chinese character takes 3 bytes, not the 6 of a \uXXXX escape, and no space
# follows a separator. The history's details, task data and external-task variables are mostly Chinese text.
stored_json = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


# Conditions of partial indexes. A query reaches one only when it states the same condition with a constant
# (`sqlalchemy.literal(..., literal_execute=True)`): neither planner can match a bound parameter to it.
RUNNING_CASES = "status = 'running'"
CONCLUDED_LATE = "completed_at >= due_at"
OPEN_TASKS = "state = 'open'"


def only_where(condition: str) -> dict[str, Any]:
    """A partial index's arguments, the same on PostgreSQL and SQLite."""
    return {"postgresql_where": text(condition), "sqlite_where": text(condition)}


class Base(DeclarativeBase):
    type_annotation_map = {datetime: Instant(), dict: JSON, list: JSON, JSONObject: JSON, JSONArray: JSON}


class OrgUnit(Base):
    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    station_type: Mapped[str | None] = mapped_column(
        String(20), comment="a 医保服务站's kind (processes/catalog/vocabulary.toml station_types)"
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))

    parent: Mapped["OrgUnit | None"] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Sign-in protection: failed attempts since the last success, and until when the account is locked.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    password_changed_at: Mapped[datetime | None]

    org: Mapped[OrgUnit] = relationship(viewonly=True)
    role_grants: Mapped[list["RoleGrant"]] = relationship(cascade="all, delete-orphan")

    @property
    def roles(self) -> set[str]:
        return {grant.role for grant in self.role_grants}


class RoleGrant(Base):
    __tablename__ = "role_grant"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class ProcessDefinition(Base):
    """One deployed version of a BPMN diagram, identified by its content and the versions it calls.

    `content_hash` is that version identity (see engine/definitions.py).
    """

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("process_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    region: Mapped[str | None] = mapped_column(
        String(100),
        index=True,
        comment="the region (a unit's name) whose items run this version; none: the national base",
    )
    calls: Mapped[JSONObject | None] = mapped_column(
        JSON, comment="process key → version identity of each process of another file it calls"
    )
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    forms: Mapped[JSONObject | None] = mapped_column(
        JSON, comment="form key → description of each vendor form the diagram describes (engine/bpmn/vendor_forms.py)"
    )
    source_name: Mapped[str] = mapped_column(String(200))
    deployed_by: Mapped[str] = mapped_column(String(60))
    deployed_at: Mapped[datetime]


class CaseInstance(Base):
    """A case (办件): one run of an item's flow, with its serialised workflow state."""

    __tablename__ = "case_instance"
    __table_args__ = (
        # Listings (engine/cases/queries.py): newest first, and overdue now as one range in its listing's order.
        # The partial indexes hold running cases (or late ones) only, so a concluded case adds no entry to them.
        Index("ix_case_instance_started", "started_at", "id"),
        Index("ix_case_instance_overdue", "next_deadline", "id", **only_where(RUNNING_CASES)),
        # 考核's overdue cases (engine/reporting/assessment.py): running past their limit, concluded after it.
        Index("ix_case_instance_running_due", "due_at", "id", **only_where(RUNNING_CASES)),
        Index("ix_case_instance_concluded_late", "due_at", "id", **only_where(CONCLUDED_LATE)),
        Index("ix_case_instance_region", "region", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    item_id: Mapped[str] = mapped_column(String(40), index=True)
    item_name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100), comment="the item's region (丰城市): the distribution column")
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    applicant: Mapped[JSONObject]
    # The applicant's name, ID number and mobile copied out of `applicant` at 受理, for search.
    applicant_name: Mapped[str | None] = mapped_column(String(60), index=True)
    applicant_id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    applicant_mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    state: Mapped[bytes] = mapped_column(StateBytes, deferred=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    started_at: Mapped[datetime]
    # Not indexed alone: the planner would walk such an index for 考核's late cases, misjudging how few its partial
    # indexes hold (it cannot estimate completed_at >= due_at).
    due_at: Mapped[datetime | None]
    next_deadline: Mapped[datetime | None] = mapped_column(
        comment="the earliest pending deadline, the case's or an open task's (engine/cases/overdue.py); none once ended"
    )
    clock_from: Mapped[datetime | None]
    limit_days: Mapped[int | None]
    completed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    definition: Mapped[ProcessDefinition] = relationship(viewonly=True)
    org: Mapped[OrgUnit] = relationship(viewonly=True)

    __mapper_args__ = {"version_id_col": version}


class Task(Base):
    """Projection of a user task of a case, for inboxes and permission checks."""

    __tablename__ = "task"
    __table_args__ = (
        # Inboxes in their order (engine/tasks/work.py: earliest due first, none last, then oldest), role and
        # holder read from the index, so a deep page skips index entries only. Open tasks only: a done task
        # leaves them.
        Index("ix_task_inbox", "org_id", "due_at", "created_at", "role", "assignee_id", "id", **only_where(OPEN_TASKS)),
        Index("ix_task_assignee", "assignee_id", "due_at", "created_at", "id", **only_where(OPEN_TASKS)),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id"), index=True)
    region: Mapped[str] = case_region()
    spec_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    form_key: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # The step's limit when it opened (engine/tasks/step_limits.py): working days, and whether the item's list,
    # a default (inferred: chosen by the reviewers) or an administrator's adjustment gave it.
    limit_days: Mapped[int | None] = mapped_column(Integer)
    limit_source: Mapped[str | None] = mapped_column(String(10))
    limit_inferred: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    instance: Mapped[CaseInstance] = relationship(lazy="joined", viewonly=True)
    org: Mapped[OrgUnit] = relationship(lazy="joined", viewonly=True)
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], viewonly=True)  # mostly the caller


class AuditEvent(Base):
    """Who did what, when, at which unit: the history of a case."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id"), index=True)
    region: Mapped[str] = case_region()
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_title: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[JSONObject]

    user: Mapped[User | None] = relationship(lazy="joined", viewonly=True)
    org: Mapped[OrgUnit | None] = relationship(lazy="joined", viewonly=True)


# --- 好差评 (ratings) -------------------------------------------------------------------------


class Rating(Base):
    """The applicant's 好差评 of a concluded case: one per case, and the 整改 case a 差评 opened.

    `channel` is `window` (staff recorded it from the 评价器, `recorded_by`) or `online` (the applicant on the
    public page, no account); `stage` is the step rated and `responsible_org` the unit that worked it.
    Deleting a case deletes its rating; deleting a 整改 case only unlinks it.
    """

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("instance_id", name="uq_rating_instance"),
        UniqueConstraint("rectification_id", name="uq_rating_rectification"),
        Index("ix_rating_level_recorded", "level", "recorded_at"),
        Index("ix_rating_org_recorded", "responsible_org_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"))
    region: Mapped[str] = case_region()
    level: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    channel: Mapped[str] = mapped_column(String(10), default="window", server_default="window")
    stage: Mapped[str | None] = mapped_column(String(200))
    responsible_org_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    rectification_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id", ondelete="SET NULL"))

    instance: Mapped[CaseInstance] = relationship(foreign_keys=[instance_id], lazy="joined", viewonly=True)
    rectification: Mapped[CaseInstance | None] = relationship(
        foreign_keys=[rectification_id], lazy="joined", viewonly=True
    )
    recorded_by: Mapped[User | None] = relationship(lazy="joined", viewonly=True)
    responsible_org: Mapped[OrgUnit | None] = relationship(lazy="joined", viewonly=True)


# --- timers ------------------------------------------------------------------------------------


class Timer(Base):
    """A BPMN timer waiting in a case, indexed by when it fires so a sweep reads only due ones."""

    __tablename__ = "timer"
    __table_args__ = (
        Index("ix_timer_due", "state", "fire_at"),
        # The timer workers' next wake-up among incidents (engine/timers/wakeups.py): few rows, read often.
        Index(
            "ix_timer_retry",
            "retry_at",
            sqlite_where=text("state = 'waiting' AND retry_at IS NOT NULL"),
            postgresql_where=text("state = 'waiting' AND retry_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = case_region()
    task_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str | None] = mapped_column(String(20))
    marker: Mapped[bool] = mapped_column(
        default=False,
        server_default=sa_false(),
        comment="fires without loading the workflow: a 即将超期 whose path only ends (engine/timers/markers.py)",
    )
    title: Mapped[str] = mapped_column(String(200))
    fire_at: Mapped[datetime]
    armed_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    fired_at: Mapped[datetime | None]

    instance: Mapped[CaseInstance] = relationship(viewonly=True)


# --- transfers (移交) and archiving (归档) --------------------------------------------------------


class Transfer(Base):
    """Materials of a case handed from one unit to the next (移交), and their 归档 once confirmed."""

    __tablename__ = "transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = case_region()
    task_id: Mapped[str] = mapped_column(String(36))
    materials: Mapped[JSONArray]
    method: Mapped[str] = mapped_column(String(20))
    tracking_no: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(500))
    from_org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    to_org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    handed_over_at: Mapped[datetime]
    handed_over_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    archive_no: Mapped[str | None] = mapped_column(String(50))
    archive_location: Mapped[str | None] = mapped_column(String(100))
    archived_at: Mapped[datetime | None]
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    from_org: Mapped[OrgUnit] = relationship(foreign_keys=[from_org_id], lazy="joined", viewonly=True)
    to_org: Mapped[OrgUnit] = relationship(foreign_keys=[to_org_id], lazy="joined", viewonly=True)
    handed_over_by: Mapped[User] = relationship(foreign_keys=[handed_over_by_id], lazy="joined", viewonly=True)
    archived_by: Mapped[User | None] = relationship(foreign_keys=[archived_by_id], lazy="joined", viewonly=True)


# --- the case file (办件卷宗): scans and claimed invoices --------------------------------------------


class Attachment(Base):
    """A scanned material (附件) of a case: its bytes live in the object store under `sha256`."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = case_region()
    material: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pages: Mapped[int | None] = mapped_column(Integer)
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    task_id: Mapped[str | None] = mapped_column(String(36), comment="the task open when attached; none at 受理")
    stage: Mapped[str] = mapped_column(String(200), comment="受理, 补正, or the title of the task")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    uploaded_at: Mapped[datetime]

    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id], lazy="joined", viewonly=True)


class ClaimedInvoice(Base):
    """An invoice (number and issuing institution) claimed by a case, so that it is paid once.

    `released_at` is set when the claim can no longer be paid (the case was rejected or terminated);
    at most one unreleased claim per invoice, which the database enforces against concurrent 受理.
    """

    __tablename__ = "claimed_invoice"
    __table_args__ = (
        Index(
            "ux_claimed_invoice_open",
            "number",
            "institution",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = case_region()
    number: Mapped[str] = mapped_column(String(40))
    institution: Mapped[str] = mapped_column(String(100))
    released_at: Mapped[datetime | None]


# --- security: revoked tokens and the security log ------------------------------------------------


class RevokedToken(Base):
    """A bearer token given back at logout (or revoked by an administrator) before it expired."""

    __tablename__ = "revoked_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    revoked_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True, comment="after this the token is refused anyway")


class SecurityEvent(Base):
    """A security-relevant event (sign-in, failure, lock-out, role change, deactivation, refused scope)."""

    __tablename__ = "security_event"
    __table_args__ = (Index("ix_security_event_at", "at"), Index("ix_security_event_action_at", "action", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(40))
    username: Mapped[str | None] = mapped_column(String(60), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[JSONObject]


# --- external tasks (Camunda 7 external-task REST) and worker credentials --------------------------------


class WorkerCredential(Base):
    """A program (an external-task worker) allowed to call /engine-rest for the cases of one unit's subtree.

    The secret is shown once when issued; only its hash is kept. `key_id` is the public part of the secret,
    so that a secret sent alone (`Authorization: Bearer …`) finds its credential without a scan.
    """

    __tablename__ = "worker_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    key_id: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), comment="the top of the worker's scope")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(60))
    revoked_at: Mapped[datetime | None]

    org: Mapped[OrgUnit] = relationship(lazy="joined", viewonly=True)


class ExternalTask(Base):
    """A service task of a case waiting for an external worker (Camunda's external task), with its lock.

    A projection of the workflow like `Task`: written by the step writer, completed through it. A row is
    locked by a worker until `lock_expires_at`; with `retries` 0 it is an incident for administrators.
    """

    __tablename__ = "external_task"
    __table_args__ = (
        Index("ix_external_task_fetch", "topic", "state", "lock_expires_at"),
        Index("ix_external_task_incident", "state", "retries"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = case_region()
    business_key: Mapped[str | None] = mapped_column(String(40), index=True, comment="the case's 办件编号")
    process_key: Mapped[str] = mapped_column(String(100))
    activity_id: Mapped[str] = mapped_column(String(100))
    activity_name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    variables: Mapped[JSONObject] = mapped_column(comment="the task data when the task started waiting")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(255))
    lock_expires_at: Mapped[datetime | None]
    retries: Mapped[int | None] = mapped_column(Integer)
    retry_at: Mapped[datetime | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]

    instance: Mapped[CaseInstance] = relationship(viewonly=True)


# --- messages to cases ----------------------------------------------------------------------------


class MessageWait(Base):
    """A message a running case waits for: a receive task, a message catch or boundary event, or the message
    start of an event sub-process. Rewritten by the step writer after each step, so a message finds the cases
    waiting for it with one indexed query instead of reading every workflow state."""

    __tablename__ = "message_wait"
    __table_args__ = (Index("ix_message_wait_name", "name", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = case_region()
    name: Mapped[str] = mapped_column(String(200), comment="the BPMN message name")
    element_id: Mapped[str] = mapped_column(String(100), comment="the waiting element's BPMN id")
    title: Mapped[str] = mapped_column(String(200), comment="the waiting element's name, for people")
    kind: Mapped[str] = mapped_column(String(30), comment="engine.cases.waits: receive, catch, boundary…")
    task_id: Mapped[str | None] = mapped_column(String(36), comment="the waiting task; none for an event sub-process")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), comment="the unit holding the waiting step")
    form_key: Mapped[str | None] = mapped_column(String(60), comment="the form the message's variables must pass")
    since: Mapped[datetime]

    org: Mapped[OrgUnit | None] = relationship(lazy="joined", viewonly=True)


# --- vendor candidate groups mapped to roles, per region ----------------------------------------------


class GroupRole(Base):
    """What a vendor diagram's candidate group (`candidateGroups="deptLeader"`) means in one region: the role whose
    lane its tasks go in. The national defaults are reviewed data (engine/data/vendor_import.toml [groups])."""

    __tablename__ = "group_role"
    __table_args__ = (UniqueConstraint("region", "group_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(
        String(100), index=True, comment="a region's name (丰城市), as ProcessDefinition.region"
    )
    group_name: Mapped[str] = mapped_column(
        String(100), comment="the group as diagrams write it, compared without case"
    )
    role: Mapped[str] = mapped_column(String(40), comment="a role code of engine/data/roles.toml, or a lane alias's")
    set_by: Mapped[str] = mapped_column(String(60))
    set_at: Mapped[datetime]


# --- 首问负责 referrals ---------------------------------------------------------------------------


class Referral(Base):
    """An enquiry or application a window could not serve, recorded when it sent the applicant to the unit that
    can (首问负责). The referred unit may lie in another region; both units read it."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_org_recorded", "org_id", "recorded_at"),
        Index("ix_referral_referred_recorded", "referred_to_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), comment="the window unit that was asked first")
    referred_to_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), comment="the unit the applicant was sent to")
    item_id: Mapped[str | None] = mapped_column(String(40), comment="a catalogue item; none for a plain enquiry")
    item_name: Mapped[str | None] = mapped_column(String(200))
    applicant_name: Mapped[str] = mapped_column(String(30))
    id_number: Mapped[str] = mapped_column(String(18))
    mobile: Mapped[str | None] = mapped_column(String(11))
    question: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime]

    org: Mapped[OrgUnit] = relationship(foreign_keys=[org_id], lazy="joined", viewonly=True)
    referred_to: Mapped[OrgUnit] = relationship(foreign_keys=[referred_to_id], lazy="joined", viewonly=True)
    recorded_by: Mapped[User] = relationship(lazy="joined", viewonly=True)


# --- 统一窗口出件 (collection) and 帮办代办 (proxy mandates) --------------------------------------------


class Collection(Base):
    """How the accepting window handed a case's result to the applicant (出件), the step before 办结."""

    __tablename__ = "collection"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = case_region()
    task_id: Mapped[str] = mapped_column(String(36))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), comment="the window that handed the result out")
    method: Mapped[str] = mapped_column(String(20))
    tracking_no: Mapped[str | None] = mapped_column(String(40))
    recipient: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(String(500))
    collected_at: Mapped[datetime]
    collected_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))

    org: Mapped[OrgUnit] = relationship(lazy="joined", viewonly=True)
    collected_by: Mapped[User] = relationship(lazy="joined", viewonly=True)


class ProxyMandate(Base):
    """The 委托 under which someone applied for the applicant (帮办代办): the agent, their relation to the
    applicant, and who accepted it where; the signed authorisation itself is a scan of the case."""

    __tablename__ = "proxy_mandate"
    __table_args__ = (Index("ix_proxy_mandate_org_accepted", "org_id", "accepted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), unique=True)
    region: Mapped[str] = case_region()
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), comment="the accepting unit, whose 代办 it counts")
    agent_name: Mapped[str] = mapped_column(String(30))
    agent_id_number: Mapped[str] = mapped_column(String(18))
    agent_mobile: Mapped[str | None] = mapped_column(String(11))
    relation: Mapped[str] = mapped_column(String(30))
    accepted_at: Mapped[datetime]
    accepted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))


# --- SMS notices to applicants (短信通知): the outbox ------------------------------------------------


class SmsMessage(Base):
    """A text to an applicant, written in the transaction of the step it tells of and sent later by
    `flask sms send`. `key` goes to the gateway with it, so a resend after a crash is recognisable."""

    __tablename__ = "sms_message"
    __table_args__ = (Index("ix_sms_message_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = case_region()
    kind: Mapped[str] = mapped_column(String(30), comment="a message kind of engine/data/sms.toml")
    mobile: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), comment="pending, sending, sent or failed")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    gateway_ref: Mapped[str | None] = mapped_column(String(100), comment="the gateway's id of the delivery")
    last_error: Mapped[str | None] = mapped_column(Text)

    case: Mapped[CaseInstance] = relationship(lazy="joined", viewonly=True)


# --- step limits: an administrator's adjustment of a default (默认时限 → 已调整) -------------------------------


class StepLimitOverride(Base):
    """An item's limit for one step of its flow, set by an administrator of the item's region in place of the
    default of engine/tasks/step_limits.py; cases opening that step afterwards use it."""

    __tablename__ = "step_limit_override"
    __table_args__ = (UniqueConstraint("item_id", "process_key", "step", name="uq_step_limit_override"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(100), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    process_key: Mapped[str] = mapped_column(String(100))
    step: Mapped[str] = mapped_column(String(300), comment="the step's path from the process, e.g. hand_over/hand_over")
    days: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime]


# --- 容缺受理 promises --------------------------------------------------------------------------------


class Promise(Base):
    """Materials a window accepted a case without (容缺受理), on the applicant's written promise to bring them by
    `promised_on`; the case cannot conclude while it is open. Chased (催补) once when `due_at` passes."""

    __tablename__ = "promise"
    __table_args__ = (Index("ix_promise_open_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), unique=True)
    region: Mapped[str] = case_region()
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True, comment="the accepting window")
    materials: Mapped[list[str]] = mapped_column(JSON, comment="deferred materials, as the item names them")
    outstanding: Mapped[list[str]] = mapped_column(JSON, comment="those not yet brought in")
    promised_on: Mapped[date]
    due_at: Mapped[datetime] = mapped_column(comment="24:00 of the promised day")
    state: Mapped[str] = mapped_column(String(20), comment="open | fulfilled | lapsed (the application was refused)")
    created_at: Mapped[datetime]
    chased_at: Mapped[datetime | None] = mapped_column(comment="when 催补 went out (the promised day passed)")
    fulfilled_at: Mapped[datetime | None]

    instance: Mapped[CaseInstance] = relationship(viewonly=True)


# --- listing scopes: the units a case is listed under -------------------------------------------------


class CaseScope(Base):
    """A unit whose listings hold a case, so that a clerk's or an administrator's scope is one index range.

    `subtree` false: the unit accepted the case or holds or held one of its tasks (what its clerks see);
    true: that, or a unit under it, did (what the unit's administrators see). Written by the step writer
    (engine/cases/scopes.py) and never changed: `started_at` is the case's, for the listing's order.
    """

    __tablename__ = "case_scope"
    __table_args__ = (Index("ix_case_scope_listing", "org_id", "subtree", "started_at", "instance_id"),)

    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = case_region()
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    subtree: Mapped[bool] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]


class CaseScopeDeadline(Base):
    """A running case's next deadline under each of its `CaseScope` rows, so that a scope's overdue cases are one
    index range (engine/cases/overdue.py writes them). Only running cases with a deadline have rows: the deadline
    changes at most steps, and rows kept apart from `case_scope` leave its indexes free of the old versions;
    a concluded case's rows are deleted, so their pages are reused.
    """

    __tablename__ = "case_scope_deadline"
    __table_args__ = (Index("ix_case_scope_deadline_overdue", "org_id", "subtree", "deadline", "instance_id"),)

    instance_id: Mapped[int] = mapped_column(ForeignKey("case_instance.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = case_region()
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    subtree: Mapped[bool] = mapped_column(primary_key=True)
    deadline: Mapped[datetime]


# --- SLA and 考核 aggregates: counts per day (and month) x unit x item x stage ---------------------------


class SlaCount(Base):
    """What the SLA and 考核 figures count, summed per Asia/Shanghai day and per month, unit, item and stage, so
    that a period's figures read its whole months' rows and the days of its partial months, a few thousand
    rows. Kept as steps happen and rebuilt from the raw rows (engine/cases/tallies.py says what each count is).

    `span` is 'day' (`day` is that day) or 'month' (`day` is its first day); `stage` is a task's title for its
    stage's counts and '' for the case's own (closure, 补正, 不予受理).
    """

    __tablename__ = "sla_count"
    # A county's or a township's figures: its units' rows of the period, not the whole region's.
    __table_args__ = (Index("ix_sla_count_unit", "span", "org_id", "day"),)

    span: Mapped[str] = mapped_column(String(5), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    stage: Mapped[str] = mapped_column(String(200), primary_key=True)
    closed: Mapped[int] = mapped_column(default=0, server_default="0")
    closed_on_time: Mapped[int] = mapped_column(default=0, server_default="0")
    closed_late: Mapped[int] = mapped_column(default=0, server_default="0")
    rectified: Mapped[int] = mapped_column(default=0, server_default="0")
    rectified_on_time: Mapped[int] = mapped_column(default=0, server_default="0")
    rectified_late: Mapped[int] = mapped_column(default=0, server_default="0")
    stage_done: Mapped[int] = mapped_column(default=0, server_default="0")
    stage_on_time: Mapped[int] = mapped_column(default=0, server_default="0")
    stage_late: Mapped[int] = mapped_column(default=0, server_default="0")
    stage_working_days: Mapped[int] = mapped_column(default=0, server_default="0")
    approved: Mapped[int] = mapped_column(default=0, server_default="0")
    rejected: Mapped[int] = mapped_column(default=0, server_default="0")
    supplement: Mapped[int] = mapped_column(default=0, server_default="0")
    not_accepted: Mapped[int] = mapped_column(default=0, server_default="0")
    proxy: Mapped[int] = mapped_column(default=0, server_default="0", comment="applications accepted under a 委托")


class OpenTaskCount(Base):
    """How many open tasks each unit holds per stage, item and due instant, kept as tasks open and leave the open
    state (engine/tasks/open_counts.py), so that the open tasks past their limit now are summed from a few thousand
    rows rather than counted among a province's million open tasks. Limits fall at 00:00 after a working day, so
    a unit's stage has one row per day its tasks fall due; a row whose count reaches zero is removed."""

    __tablename__ = "open_task_count"

    due_at: Mapped[datetime] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(200), primary_key=True, comment="the tasks' title")
    item_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tasks: Mapped[int] = mapped_column(default=0, server_default="0")
