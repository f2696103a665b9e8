"""容缺受理: a case accepted with 可容缺 materials missing on the applicant's promise (承诺), held before 办结
until they are in, chased (催补) when the promised day passes.

The window names the deferred materials and the promised date at 受理 (`check_deferral`, `make_promise`); the
flow proceeds as if they were in. A step that would complete the flow while the promise is open is refused
(`ensure_may_conclude`, from the step writer). The window records 容缺补交 (`supply`). The timer service calls
`chase_due`, which records one `promise_chased` event per promise whose day passed: the hook for reminders.
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import history, lifecycle
from engine.catalogue.deferrable import end_of, rules_of
from engine.catalogue.flows import catalog
from engine.catalogue.items import Item
from engine.core.clock import clock
from engine.core.errors import Conflict, Invalid, NotFound
from engine.core.models import CaseInstance, JSONObject, Promise, Task, User
from engine.core.uow import unit_of_work
from engine.org.permissions import ensure_may_supply_deferred, may_see_case
from forms.registry import clean

OPEN, FULFILLED, LAPSED = "open", "fulfilled", "lapsed"
REFUSED = "reject"  # the review decision that refuses the application (forms/review.py)
CHASED = "promise_chased"
"""The audit action of 催补: a promise's day passed with materials still outstanding (hook for reminders)."""
SUPPLIED = "deferred_supplied"


def check_deferral(item: Item, received: Iterable[str], deferred: list[str], promised_on: date | None) -> None:
    """Refuse (422, by field) deferred materials the item does not let be 容缺, and a promised date that is
    missing, past, or later than the data allows (`promise_max_days` after today)."""
    if not deferred:
        if promised_on is not None:
            raise Invalid("未选择容缺材料", {"promise_date": ["未选择容缺材料时不填承诺补交日期"]})
        return
    rules = rules_of(item)
    received = set(received)
    problems = [
        f"“{name}”已在已收材料中" if name in received else f"“{name}”不是本事项的可容缺材料"
        for name in deferred
        if name in received or name not in rules.deferrable
    ]
    if problems:
        allowed = "、".join(rules.deferrable) or "无"
        raise Invalid("容缺材料有误", {"deferred": [*problems, f"本事项可容缺材料：{allowed}"]})
    today = clock.now().date()
    latest = today + timedelta(days=rules.promise_max_days)
    if promised_on is None:
        raise Invalid("缺少承诺补交日期", {"promise_date": ["容缺受理须填写申请人承诺补交的日期"]})
    if promised_on < today:
        raise Invalid("承诺补交日期有误", {"promise_date": ["承诺补交日期不能早于今天"]})
    if promised_on > latest:
        raise Invalid("承诺补交日期有误", {"promise_date": [f"承诺补交日期不能晚于{latest.isoformat()}"]})


def make_promise(session: Session, case: CaseInstance, deferred: list[str], promised_on: date) -> Promise:
    promise = Promise(
        instance_id=case.id,
        org_id=case.org_id,
        materials=list(deferred),
        outstanding=list(deferred),
        promised_on=promised_on,
        due_at=end_of(promised_on),
        state=OPEN,
        created_at=clock.now(),
    )
    session.add(promise)
    return promise


def promise_of(session: Session, case_id: int) -> Promise | None:
    return session.scalars(select(Promise).where(Promise.instance_id == case_id)).first()


def ensure_may_conclude(session: Session, case: CaseInstance, flow_data: Mapping[str, object]) -> None:
    """A case accepted 容缺 does not conclude before the deferred materials are in (409 naming them). A refused
    application needs nothing more from the applicant: its promise lapses and the refusal is handed out."""
    promise = promise_of(session, case.id)
    if promise is None or promise.state != OPEN:
        return
    if flow_data.get("decision") == REFUSED:
        promise.state = LAPSED
        return
    missing = "、".join(promise.outstanding)
    raise Conflict(f"容缺受理的材料尚未补交：{missing}。请先在受理窗口登记容缺补交，再办结")


def supply(session: Session, user: User, case_id: int, payload: JSONObject) -> Promise:
    """容缺补交 recorded by the accepting window (the `supplement` form): the named materials are in; the promise
    is kept once none is outstanding. One unit of work."""
    values = clean("supplement", payload, today=clock.now().date())
    received: list[str] = values["received"]
    with unit_of_work(session):
        case = session.get(CaseInstance, case_id)
        task_units = set(session.scalars(select(Task.org_id).where(Task.instance_id == case_id)))
        if case is None or not may_see_case(user, case.org_id, task_units):
            raise NotFound("办件不存在")
        promise = promise_of(session, case_id)
        if promise is None:
            raise NotFound("该办件没有容缺受理的承诺")
        ensure_may_supply_deferred(user, case.org)
        lifecycle.ensure_allowed(case, "complete")
        if promise.state != OPEN:
            raise Conflict("容缺材料已全部补交")
        unknown = [name for name in received if name not in promise.outstanding]
        if unknown:
            raise Invalid("补交材料有误", {"received": [f"“{name}”不是待补交的容缺材料" for name in unknown]})
        promise.outstanding = [name for name in promise.outstanding if name not in received]
        if not promise.outstanding:
            promise.state, promise.fulfilled_at = FULFILLED, clock.now()
        detail = {"received": received, "outstanding": promise.outstanding, "note": values.get("note")}
        history.record(session, case, SUPPLIED, user, detail=detail)
        return promise


def chase_due(session: Session, limit: int = 1000) -> int:
    """催补: mark every open promise of a running case whose promised day has passed, once, with an event."""
    with unit_of_work(session):
        due = session.scalars(
            select(Promise)
            .join(CaseInstance, CaseInstance.id == Promise.instance_id)
            .where(
                Promise.state == OPEN,
                Promise.chased_at.is_(None),
                Promise.due_at <= clock.now(),
                CaseInstance.status == lifecycle.RUNNING,
            )
            .order_by(Promise.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Promise)
        ).all()
        for promise in due:
            promise.chased_at = clock.now()
            history.record(
                session,
                promise.instance,
                CHASED,
                detail={"outstanding": promise.outstanding, "promised_on": promise.promised_on.isoformat()},
            )
        return len(due)


def deferrable_materials(item_id: str) -> list[str]:
    """What the 受理 page offers to accept 容缺 for an item."""
    return list(rules_of(catalog().get(item_id)).deferrable)
