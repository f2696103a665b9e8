"""Accepting a case (受理) at a window, and reading a case with its tasks and history.

`start_case` is one unit of work: it commits the new case with its first tasks and timers, or
nothing of it.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.attachments.service import attach_at_acceptance
from engine.bpmn import deployment
from engine.cases import history, lifecycle, mandates, money, promises, transfers
from engine.cases.step import write_step
from engine.catalogue.deferrable import rules_of
from engine.catalogue.flows import catalog, flow_for
from engine.catalogue.items import Item
from engine.catalogue.offering import ensure_offered_at
from engine.core.clock import clock
from engine.core.errors import DomainError, Invalid, NotFound, StepFailed
from engine.core.models import AuditEvent, CaseInstance, JSONObject, OrgUnit, Task, Transfer, User
from engine.core.uow import unit_of_work
from engine.org.permissions import ensure_may_accept, may_see_case
from engine.org.routing import level_of
from engine.tasks import continuation, step_limits
from engine.workflow import snapshot
from forms.registry import FormInvalid, clean

log = logging.getLogger("yibao.steps")


def missing_materials(item: Item, received: Iterable[str], scanned: Iterable[str] | None = None) -> list[str]:
    """What the 一次性告知 must ask for: every mandatory material not received, and every
    "具备一项即可" group none of whose materials was received (named by the group with its choices).

    Where the item's list has the point upload its materials (`Item.scans_required`), a mandatory
    material counts as received only with a scan; `scanned` names the materials that have one
    (None: scans are not known here, the ticks decide).
    """
    ticked = set(received)
    if item.scans_required and scanned is not None:
        ticked &= set(scanned)
    missing = [m.name for m in item.materials if m.required and m.name not in ticked]
    groups: dict[str, list[str]] = {}
    for material in item.materials:
        if material.one_of and not material.required:
            groups.setdefault(material.one_of, []).append(material.name)
    for group, names in groups.items():
        if not ticked.intersection(names):
            missing.append(f"{group}（以下具备一项即可：{'；'.join(names)}）")
    return missing


_UNIT_BY_CODE = select(OrgUnit).where(OrgUnit.code == bindparam("code"))


def start_case(
    session: Session,
    user: User,
    payload: JSONObject,
    scans: Sequence[tuple[str, str, bytes]] | None = None,
    claim_next: bool = False,
) -> CaseInstance:
    """Accept an application at the caller's window and run its flow up to the first person.

    `scans` are the scans taken at the window, (material, file name, bytes) each; None where the caller
    offers none (the REST API: scans are attached afterwards), so that the ticks alone decide what is missing.
    `claim_next`: a first task for the acceptor's own unit and role (their 一次性告知) is claimed for them.
    """
    with unit_of_work(session):
        return _accept(session, user, payload, scans, claim_next)


def _accept(
    session: Session,
    user: User,
    payload: JSONObject,
    scans: Sequence[tuple[str, str, bytes]] | None = None,
    claim_next: bool = False,
) -> CaseInstance:
    today = clock.now().date()
    data, details, item, unit = _checked_application(session, user, payload, today)
    flow = flow_for(item)

    definition = deployment.latest_definition(session, flow.process_key, item.region)
    spec, subprocess_specs = deployment.specs_of(definition)
    now = clock.now()
    limit = item.limit_at(level_of(unit))
    case_due = workcalendar.default_calendar().due(now, limit) if limit is not None else None
    deferred = data["deferred"]
    promised_on = date.fromisoformat(data["promise_date"]) if data.get("promise_date") else None
    promises.check_deferral(item, data["materials"], deferred, promised_on)
    case = CaseInstance(
        item_id=item.id,
        item_name=item.name,
        region=item.region,
        definition_id=definition.id,
        definition=definition,
        org_id=unit.id,
        org=unit,
        status=lifecycle.RUNNING,
        applicant=data["applicant"],
        applicant_name=data["applicant"].get("name"),
        applicant_id_number=data["applicant"].get("id_number"),
        applicant_mobile=data["applicant"].get("mobile"),
        state=b"",
        started_by_id=user.id,
        started_at=now,
        due_at=case_due.due_at if case_due else None,
        clock_from=now,
        limit_days=limit,
    )
    session.add(case)
    session.flush()
    case.case_no = f"{unit.code[:6]}-{now:%Y%m%d}-{case.id:06d}"
    if data.get("mandate"):
        mandates.record(session, user, case, data["mandate"])
    scanned = attach_at_acceptance(session, user, case, scans) if scans is not None else None
    missing = [name for name in missing_materials(item, data["materials"], scanned) if name not in deferred]
    if deferred and promised_on is not None:
        promises.make_promise(session, case, deferred, promised_on)
    money.claim_invoices(session, case, details)
    workflow = snapshot.new_workflow(
        spec,
        subprocess_specs,
        {
            "case_no": case.case_no,
            "item_id": item.id,
            "item_name": item.name,
            "applicant": data["applicant"],
            "materials": data["materials"],
            "missing": missing,
            "proxy": data["proxy"],
            "details": details,
            "accepted_on": now.date().isoformat(),
            "accepted_level": level_of(unit),
            "limits": step_limits.stage_limits_of(session, item, step_limits.flow_steps(spec, subprocess_specs)),
            "case_due": case_due.due_at.isoformat() if case_due else None,
            "warn_days": flow.warn_days,
            "settles": flow.settles,
            "deferred": deferred,
            "supplement": rules_of(item).period.as_data(),
            "deadline_days": None,
            "params": flow.params,
        },
    )
    try:
        workflow.do_engine_steps()
    except DomainError:
        raise
    except Exception as exc:
        log.warning("case start failed: item %s at %s: %s: %s", item.id, unit.code, type(exc).__name__, exc)
        raise StepFailed("流程在受理后执行出错，未能受理，已记录错误，请联系管理员") from exc
    first_tasks = write_step(session, case, item, workflow)
    history.record(
        session,
        case,
        "accepted",
        user,
        detail={
            "materials": data["materials"],
            "missing": missing,
            "deferred": deferred,
            "promise_date": promised_on.isoformat() if promised_on else None,
            "proxy": data["proxy"],
            "details": details,
            "due_at": case_due.due_at.isoformat() if case_due else None,
            "provisional": bool(case_due and case_due.provisional),
        },
    )
    if claim_next:
        continuation.claim_for(session, user, first_tasks)
    return case


def _checked_application(
    session: Session, user: User, payload: JSONObject, today: date
) -> tuple[JSONObject, JSONObject, Item, OrgUnit]:
    """The body, its item's own start form (`details`), the item and the accepting unit.

    Where first: a unit that may not accept the item is told so, not asked for the item's details. Then the body
    and the start form are checked together, so that every field error of the 受理 is told at once (the
    applicant's, the invoices', the total), the start form's under `details`.
    """
    errors: dict[str, Any] = {}
    data: JSONObject = {}
    try:
        data = clean("case_start", payload, today=today)
    except FormInvalid as exc:
        errors = dict(exc.errors)
        if not isinstance(payload, dict):
            raise
    try:
        item: Item | None = catalog().get(str(payload.get("item")))
    except KeyError:
        item = None
    unit = session.scalars(_UNIT_BY_CODE, {"code": str(payload.get("org"))}).first()
    if item is not None and unit is not None:
        ensure_may_accept(user, unit)
        ensure_offered_at(item, unit)
    details: JSONObject = {}
    start_form = flow_for(item).start_form if item is not None else None
    raw = payload.get("details") or {}
    if start_form and "details" not in errors and isinstance(raw, dict):
        try:
            details = clean(start_form, raw, today=today)
        except FormInvalid as exc:
            errors["details"] = exc.errors
    if errors:
        raise FormInvalid("case_start", errors)
    if item is None:
        raise Invalid("事项不存在", {"item": [f"未知事项：{data['item']}"]})
    if unit is None:
        raise Invalid("受理单位不存在", {"org": [f"未知单位编码：{data['org']}"]})
    return data, details, item, unit


@dataclass
class CaseView:
    case: CaseInstance
    open_tasks: list[Task]
    events: list[AuditEvent]
    transfers: list[Transfer]


def case_view(session: Session, user: User, case_id: int) -> CaseView:
    case = session.get(CaseInstance, case_id)
    if case is None:
        raise NotFound("办件不存在")
    tasks = session.scalars(select(Task).where(Task.instance_id == case.id).order_by(Task.created_at)).all()
    if not may_see_case(user, case.org_id, {t.org_id for t in tasks}):
        raise NotFound("办件不存在")
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == case.id).order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return CaseView(
        case, [t for t in tasks if t.state == lifecycle.TASK_OPEN], list(events), transfers.transfers_of(session, case)
    )
