"""Attaching, listing, opening and withdrawing the scans of a case.

Who may attach: whoever holds an open task of the case, or the accepting unit while the case runs
(`permissions.may_attach`); a scan records the task it was attached under and its title as the stage, or
the stage 受理. Everyone who may see the case may list and open its scans, and every opening of a full file
is an event of the case's history (an applicant's ID card is personal data). A scan is withdrawn by the unit
that uploaded it while its stage lasts: its task is still open, or, for a scan without a task, no task of
the case has been completed since it was uploaded.

The bytes go to the object store (`engine.attachments.store`) before the row commits; bytes written by a
unit of work that then rolls back are removed again, and a withdrawn scan's bytes once no row names them.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, event, func, or_, select
from sqlalchemy.orm import Session, SessionTransaction

from engine.attachments import store
from engine.attachments.checks import IMAGES, check_case_total, check_file, clean_file_name
from engine.attachments.thumbnails import THUMBNAIL_TYPE, thumbnail
from engine.cases import history, lifecycle, mandates
from engine.core.clock import clock
from engine.core.errors import Conflict, Forbidden, Invalid, NotFound
from engine.core.models import Attachment, CaseInstance, Task, User
from engine.core.uow import unit_of_work
from engine.org.permissions import attaching_task, may_attach, may_see_case, may_withdraw_attachment

ACCEPTANCE_STAGE = "受理"
ADDED = "attachment_added"
VIEWED = "attachment_viewed"
DELETED = "attachment_deleted"

CASE_NOT_FOUND = "办件不存在"
ATTACHMENT_NOT_FOUND = "附件不存在"
NO_THUMBNAIL = "该附件没有缩略图"
OBJECT_MISSING = "附件的文件已不在存储中，请联系系统管理员"
MAY_NOT_ATTACH = "您没有为该办件上传附件的权限：只有办理该办件当前环节的人员或受理单位可以上传"
MAY_NOT_WITHDRAW = "只有上传该附件的单位可以删除它"
NOT_RUNNING = "办件不在办理中，附件不能删除"
STAGE_OVER = "该附件所在环节已办理完毕，下一环节已开始，不能再删除"

log = logging.getLogger("yibao.attachments")


@dataclass(frozen=True)
class Scan:
    """An attachment as a reader sees it, with whether the reader may withdraw it now."""

    id: int
    material: str
    file_name: str
    content_type: str
    size: int
    pages: int | None
    stage: str
    uploaded_by: User
    uploaded_at: datetime
    has_thumbnail: bool
    deletable: bool


@dataclass(frozen=True)
class ScanFile:
    """The bytes of a scan (or of its thumbnail), with the type its bytes were found to be."""

    data: bytes
    content_type: str
    file_name: str


_TASKS_OF_CASE = select(Task).where(Task.instance_id == bindparam("case_id")).order_by(Task.created_at)
_SCANS_OF_CASE = (
    select(Attachment)
    .where(Attachment.instance_id == bindparam("case_id"))
    .order_by(Attachment.uploaded_at, Attachment.id)
)
_CASE_TOTAL = select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.instance_id == bindparam("case_id"))
_REFERENCES = (
    select(func.count())
    .select_from(Attachment)
    .where(or_(Attachment.sha256 == bindparam("key"), Attachment.thumbnail_sha256 == bindparam("key")))
)


# --- attaching -----------------------------------------------------------------------------------


def attach(session: Session, user: User, case_id: int, material: str, file_name: str, data: bytes) -> Scan:
    """Attach one scan of `material` to a running case the caller works (or accepted)."""
    with unit_of_work(session):
        case, tasks = _visible_case(session, user, case_id)
        task = attaching_task(user, [t for t in tasks if t.state == lifecycle.TASK_OPEN])
        if not may_attach(user, case.org_id, case.status == lifecycle.RUNNING, task):
            raise Forbidden(MAY_NOT_ATTACH)
        already = session.execute(_CASE_TOTAL, {"case_id": case.id}).scalar_one()
        attachment = _add(session, user, case, task, material, file_name, data, already)
        return _listed(user, case, tasks, attachment)


def attach_at_acceptance(
    session: Session, user: User, case: CaseInstance, scans: Sequence[tuple[str, str, bytes]]
) -> set[str]:
    """Attach the scans taken at 受理 — (material, file name, bytes) each — inside the acceptance's unit of
    work, once the case row is flushed; the names of the materials that got a scan.

    A refused scan refuses the acceptance: its message names the material and the file.
    """
    if not may_attach(user, case.org_id, case.status == lifecycle.RUNNING, None):
        raise Forbidden(MAY_NOT_ATTACH)
    scanned: set[str] = set()
    already = 0
    for material, file_name, data in scans:
        try:
            attachment = _add(session, user, case, None, material, file_name, data, already)
        except Invalid as exc:
            named = {
                field: [f"{material}（{file_name}）：{m}" for m in messages] for field, messages in exc.errors.items()
            }
            raise Invalid(f"{material}的扫描件未能上传：{exc.message}", named) from None
        already += attachment.size
        scanned.add(material)
    return scanned


def _add(
    session: Session,
    user: User,
    case: CaseInstance,
    task: Task | None,
    material: str,
    file_name: str,
    data: bytes,
    already: int,
) -> Attachment:
    """Check a scan, store its bytes (and thumbnail), add its row and its history event."""
    _ensure_material(session, case, material)
    checked = check_file(data)
    check_case_total(already, len(data))
    small = thumbnail(data, checked.content_type) if checked.content_type in IMAGES else None
    key = _put(session, data, checked.content_type)
    thumbnail_key = _put(session, small, THUMBNAIL_TYPE) if small is not None else None
    attachment = Attachment(
        instance_id=case.id,
        material=material,
        file_name=clean_file_name(file_name, checked.content_type),
        content_type=checked.content_type,
        size=len(data),
        sha256=key,
        pages=checked.pages,
        thumbnail_sha256=thumbnail_key,
        task_id=task.id if task else None,
        stage=task.title if task else ACCEPTANCE_STAGE,
        uploaded_by_id=user.id,
        uploaded_org_id=user.org_id,
        uploaded_at=clock.now(),
    )
    session.add(attachment)
    session.flush()
    history.record(session, case, ADDED, user, task, detail=_detail(attachment) | {"size": attachment.size})
    return attachment


def _ensure_material(session: Session, case: CaseInstance, material: str) -> None:
    if not material:
        raise Invalid("请选择附件对应的材料", {"material": ["请选择附件对应的材料"]})
    names = mandates.case_materials(session, case)
    if material not in names:
        raise Invalid("该事项没有这项材料", {"material": [f"该事项没有这项材料：{material}"]})


# --- reading -------------------------------------------------------------------------------------


def attachments_of(session: Session, user: User, case_id: int) -> list[Scan]:
    """The scans of a case the caller may see, oldest first."""
    case, tasks = _visible_case(session, user, case_id)
    rows = session.scalars(_SCANS_OF_CASE, {"case_id": case.id}).all()
    return [_listed(user, case, tasks, row) for row in rows]


def attachable_materials(session: Session, user: User, case_id: int) -> list[str]:
    """The materials the caller may attach a scan of now: the item's, if they may attach; else none."""
    case, tasks = _visible_case(session, user, case_id)
    task = attaching_task(user, [t for t in tasks if t.state == lifecycle.TASK_OPEN])
    if not may_attach(user, case.org_id, case.status == lifecycle.RUNNING, task):
        return []
    return mandates.case_materials(session, case)


def open_attachment(session: Session, user: User, attachment_id: int, thumbnail: bool = False) -> ScanFile:
    """The bytes of a scan, or of its thumbnail; opening the full file is recorded in the case's history."""
    if thumbnail:
        attachment, _case, _tasks = _visible_attachment(session, user, attachment_id)
        if attachment.thumbnail_sha256 is None:
            raise NotFound(NO_THUMBNAIL)
        stem = attachment.file_name.rsplit(".", 1)[0]
        return ScanFile(_get(attachment.thumbnail_sha256), THUMBNAIL_TYPE, f"{stem}-缩略图.jpg")
    with unit_of_work(session):
        attachment, case, _tasks = _visible_attachment(session, user, attachment_id)
        data = _get(attachment.sha256)
        history.record(session, case, VIEWED, user, detail=_detail(attachment))
        return ScanFile(data, attachment.content_type, attachment.file_name)


# --- withdrawing ---------------------------------------------------------------------------------


def delete_attachment(session: Session, user: User, attachment_id: int) -> None:
    """Withdraw a scan: by the unit that uploaded it, while its stage lasts."""
    with unit_of_work(session):
        attachment, case, tasks = _visible_attachment(session, user, attachment_id)
        if not may_withdraw_attachment(user, attachment.uploaded_org_id):
            raise Forbidden(MAY_NOT_WITHDRAW)
        if case.status != lifecycle.RUNNING:
            raise Conflict(NOT_RUNNING)
        if not _stage_lasts(attachment, tasks):
            raise Conflict(STAGE_OVER)
        keys = [key for key in (attachment.sha256, attachment.thumbnail_sha256) if key]
        session.delete(attachment)
        session.flush()
        history.record(session, case, DELETED, user, detail=_detail(attachment))
        unreferenced = [key for key in keys if not session.execute(_REFERENCES, {"key": key}).scalar_one()]
    for key in unreferenced:
        try:
            store.current().delete(key)
        except store.StoreFailure as exc:  # the row is gone: the bytes are only garbage now
            log.warning("could not delete the bytes of a withdrawn scan %s: %s", key, exc)


def _stage_lasts(attachment: Attachment, tasks: Iterable[Task]) -> bool:
    """The stage a scan was attached in has not ended: its task is still open, or (without a task) no task
    of the case has been completed since the scan was uploaded."""
    if attachment.task_id is not None:
        return any(t.id == attachment.task_id and t.state == lifecycle.TASK_OPEN for t in tasks)
    return not any(
        t.state == lifecycle.TASK_COMPLETED and t.completed_at is not None and t.completed_at >= attachment.uploaded_at
        for t in tasks
    )


# --- shared --------------------------------------------------------------------------------------


def _visible_case(session: Session, user: User, case_id: int) -> tuple[CaseInstance, list[Task]]:
    """The case with all its tasks, if the caller may see it; else 404 as if it did not exist."""
    case = session.get(CaseInstance, case_id)
    if case is None:
        raise NotFound(CASE_NOT_FOUND)
    tasks = list(session.scalars(_TASKS_OF_CASE, {"case_id": case.id}).all())
    if not may_see_case(user, case.org_id, {t.org_id for t in tasks}):
        raise NotFound(CASE_NOT_FOUND)
    return case, tasks


def _visible_attachment(
    session: Session, user: User, attachment_id: int
) -> tuple[Attachment, CaseInstance, list[Task]]:
    """The attachment, its case and the case's tasks, if the caller may see the case; else 404."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(ATTACHMENT_NOT_FOUND)
    try:
        case, tasks = _visible_case(session, user, attachment.instance_id)
    except NotFound:
        raise NotFound(ATTACHMENT_NOT_FOUND) from None
    return attachment, case, tasks


def _listed(user: User, case: CaseInstance, tasks: Sequence[Task], attachment: Attachment) -> Scan:
    return Scan(
        id=attachment.id,
        material=attachment.material,
        file_name=attachment.file_name,
        content_type=attachment.content_type,
        size=attachment.size,
        pages=attachment.pages,
        stage=attachment.stage,
        uploaded_by=attachment.uploaded_by,
        uploaded_at=attachment.uploaded_at,
        has_thumbnail=attachment.thumbnail_sha256 is not None,
        deletable=case.status == lifecycle.RUNNING
        and may_withdraw_attachment(user, attachment.uploaded_org_id)
        and _stage_lasts(attachment, tasks),
    )


def _detail(attachment: Attachment) -> dict[str, object]:
    return {"attachment_id": attachment.id, "material": attachment.material, "file_name": attachment.file_name}


# --- the store, from a unit of work ---------------------------------------------------------------

_WRITTEN = "attachments.written"
"""session.info key: content keys this transaction wrote to the store that were not there before."""


def _put(session: Session, data: bytes, content_type: str) -> str:
    """Store `data` under its content key (once: identical bytes are already there) and remember a new
    object so that a rollback of the unit of work removes it again."""
    key = store.content_key(data)
    target = store.current()
    try:
        if target.exists(key):
            return key
        target.put(key, data, content_type)
    except store.StoreFailure as exc:
        log.error("attachment store failed: %s", exc)
        raise store.StoreUnavailable() from exc
    session.info.setdefault(_WRITTEN, []).append(key)
    return key


def _get(key: str) -> bytes:
    try:
        return store.current().get(key)
    except store.MissingObject:
        log.error("attachment object %s is missing from the store", key)
        raise NotFound(OBJECT_MISSING) from None
    except store.StoreFailure as exc:
        log.error("attachment store failed: %s", exc)
        raise store.StoreUnavailable() from exc


@event.listens_for(Session, "after_commit")
def _kept(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is not None:  # a savepoint: the outer transaction may still commit them
        return
    for key in session.info.pop(_WRITTEN, []):
        try:
            store.current().delete(key)
        except store.StoreFailure as exc:
            log.warning("could not remove the bytes of a rolled-back scan %s: %s", key, exc)
