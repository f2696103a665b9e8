"""A region's administrators adjust the default limit of one step for one item (默认时限 → 已调整).

Only a step the item's list does not time may be adjusted: a list's stage limit is published policy. Cases
open the step with the new limit from then on; tasks already open keep the limit they opened with.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.catalogue.flows import catalog, flow_for
from engine.catalogue.items import Item
from engine.core.clock import clock
from engine.core.errors import Invalid, NotFound
from engine.core.models import StepLimitOverride
from engine.core.uow import unit_of_work
from engine.org.permissions import Actor, ensure_may_adjust_limits, step_limit_regions
from engine.tasks.step_limits import LIST, Step, StepLimit, default_of, flow_steps, limit_of

MAX_DAYS = 180


@dataclass(frozen=True)
class StepRow:
    """One human step of an item's flow with the limit a case opening it now gets, and the default under it."""

    step: Step
    title: str
    limit: StepLimit | None
    default: StepLimit | None
    override: StepLimitOverride | None

    @property
    def adjustable(self) -> bool:
        return self.limit is None or self.limit.source != LIST


def regions(session: Session, actor: Actor) -> list[str]:
    return step_limit_regions(session, actor, _all_regions())


def items_of(session: Session, actor: Actor) -> list[Item]:
    """The items whose limits the administrator adjusts, in list order."""
    mine = set(regions(session, actor))
    return [item for item in catalog().items if item.region in mine]


def item_in_scope(session: Session, actor: Actor, item_id: str) -> Item:
    try:
        item = catalog().get(item_id)
    except KeyError:
        raise NotFound("事项不存在") from None
    ensure_may_adjust_limits(session, actor, item.region, _all_regions())
    return item


def steps_of(session: Session, actor: Actor, item_id: str) -> tuple[Item, list[StepRow]]:
    """Every human step of the item's flow (the version its region runs) with its limit."""
    item = item_in_scope(session, actor, item_id)
    definition = deployment.latest_definition(session, flow_for(item).process_key, item.region)
    spec, subprocess_specs = deployment.specs_of(definition)
    overrides = {
        (o.process_key, o.step): o
        for o in session.scalars(select(StepLimitOverride).where(StepLimitOverride.item_id == item.id))
    }
    rows = [
        StepRow(
            step,
            drawn.title,
            limit_of(session, item, step, drawn.process_key),
            default_of(step, item.region, drawn.process_key),
            overrides.get((step.process_key, step.path)),
        )
        for step, drawn in flow_steps(spec, subprocess_specs)
    ]
    return item, rows


def set_limit(session: Session, actor: Actor, item_id: str, path: str, days: object) -> StepLimitOverride:
    """Adjust one step's limit for the item (replacing an earlier adjustment); commits."""
    item, rows = steps_of(session, actor, item_id)
    row = next((r for r in rows if r.step.path == path), None)
    errors: dict[str, list[str]] = {}
    if row is None:
        errors["step"] = [f"该事项的流程中没有环节“{path[:60]}”"]
    elif not row.adjustable:
        errors["step"] = ["该环节的时限由事项清单规定，不能调整"]
    number = days if isinstance(days, int) and not isinstance(days, bool) and 0 <= days <= MAX_DAYS else None
    if number is None:
        errors["days"] = [f"时限须为 0 至 {MAX_DAYS} 之间的整数（工作日）"]
    if errors or row is None or number is None:
        raise Invalid("环节时限有误", errors)
    with unit_of_work(session):
        entry = row.override or StepLimitOverride(
            region=item.region, item_id=item.id, process_key=row.step.process_key, step=path
        )
        entry.days, entry.set_by, entry.set_at = number, actor.username, clock.now()
        session.add(entry)
    return entry


def remove(session: Session, actor: Actor, override_id: int) -> StepLimitOverride:
    """Drop an adjustment (the default applies again) and return what it was; another region's is unknown."""
    entry = session.get(StepLimitOverride, override_id)
    if entry is None or entry.region not in regions(session, actor):
        raise NotFound("没有这条时限调整")
    with unit_of_work(session):
        session.delete(entry)
    return entry


def _all_regions() -> list[str]:
    return sorted({catalogue_list.region for catalogue_list in catalog().lists.values()})
