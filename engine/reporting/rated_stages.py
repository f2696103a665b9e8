"""The stages of a case an applicant may rate, and the unit that worked each.

A 差评 is about someone's work, so its 整改 goes to the unit whose stage was rated, not simply to the
unit that concluded the case: the applicant picks the stage (受理, then each step worked, as the audit trail
orders them), the last one when they do not say. A step worked twice (a 补正 round) is one stage, at the
unit that worked it last; the units' own supervision (催办, 通报) is no stage of the application.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.cases.lifecycle import TASK_COMPLETED
from engine.core.errors import Invalid
from engine.core.models import AuditEvent, CaseInstance, OrgUnit, Task
from engine.org.permissions import SUPERVISOR

ACCEPTANCE = "受理"

_WORKED = (
    select(Task.title, OrgUnit)
    .join(AuditEvent, AuditEvent.task_id == Task.id)
    .join(OrgUnit, OrgUnit.id == Task.org_id)
    .where(
        AuditEvent.instance_id == bindparam("case_id"),
        AuditEvent.action == "completed",
        Task.state == TASK_COMPLETED,
        Task.role != SUPERVISOR,
    )
    .order_by(AuditEvent.at, AuditEvent.id)
)


@dataclass(frozen=True)
class RatedStage:
    """A stage as the applicant reads it: its title (乡镇初审) and the unit that worked it."""

    title: str
    unit: OrgUnit


def stages_of(session: Session, case: CaseInstance) -> tuple[RatedStage, ...]:
    """受理 at the accepting unit, then every stage worked, in the order each was last worked."""
    last: dict[str, OrgUnit] = {ACCEPTANCE: case.org}
    for title, unit in session.execute(_WORKED, {"case_id": case.id}):
        last.pop(title, None)
        last[title] = unit
    return tuple(RatedStage(title, unit) for title, unit in last.items())


def pick(stages: tuple[RatedStage, ...], title: str | None) -> RatedStage:
    """The stage named `title`, the last one if none is named; 422 naming the choices otherwise."""
    wanted = (title or "").strip()
    if not wanted:
        return stages[-1]
    for stage in stages:
        if stage.title == wanted:
            return stage
    choices = "、".join(stage.title for stage in stages)
    raise Invalid("请选择被评价的办理环节", {"stage": [f"该办件没有“{wanted[:40]}”环节，可选：{choices}"]})
