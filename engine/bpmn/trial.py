"""A dry run of a deployed version up to the first person: what a case started on it would reach, without a case.

The workflow starts on the version's specs with stand-in start data, as `cases.acceptance` would start it, and
runs its automatic steps; its first task waiting for a person is routed from an accepting unit like a case's. Nothing
is written: the survey of a folder of diagrams (`flask processes survey`) and the conformance tests use it to tell
whether a deployed diagram would run, and why not.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import deployment, error_texts
from engine.catalogue.offering import region_of
from engine.core.clock import clock
from engine.core.errors import DomainError
from engine.core.models import OrgUnit, ProcessDefinition
from engine.org.routing import ancestry, level_of, route, window_role
from engine.sandbox.functions import sample_task_data
from engine.workflow import snapshot

PERSON = "person"  # reached a task waiting for a person, routed to a unit
ENDED = "ended"  # ran to its end without waiting for anyone
WAITING = "waiting"  # waits on a timer, message or other event before any person
FAILED = "failed"  # an automatic step failed, or the first person's lane cannot be routed


@dataclass(frozen=True)
class Trial:
    outcome: str
    message: str
    task: str | None = None


# Where a trial case is accepted, best first: a village window reaches every level above it.
_ACCEPTING_LEVELS = ("village", "township", "station")


def accepting_unit(session: Session, region: str | None) -> OrgUnit | None:
    """The unit a trial case is accepted at: a unit with a window of `region` (else of any region), a village
    before a township before a station before the rest, the deepest, then the first by code."""
    units = [unit for unit in session.scalars(select(OrgUnit).order_by(OrgUnit.code)) if window_role(unit)]
    own = [unit for unit in units if region is None or region_of(unit) == region] or units

    def preference(unit: OrgUnit) -> tuple[int, int]:
        level = level_of(unit)
        rank = _ACCEPTING_LEVELS.index(level) if level in _ACCEPTING_LEVELS else len(_ACCEPTING_LEVELS)
        return rank, -len(list(ancestry(unit)))

    return min(own, key=preference, default=None)


def first_person(session: Session, definition: ProcessDefinition, accepting: OrgUnit) -> Trial:
    """Start `definition` as if `accepting` had accepted a case and run it up to its first person."""
    spec, subprocess_specs = deployment.specs_of(definition)
    workflow = snapshot.new_workflow(spec, subprocess_specs, _start_data(accepting))
    try:
        workflow.do_engine_steps()
    except DomainError as failure:
        return Trial(FAILED, f"启动后自动执行出错：{failure.message}")
    except Exception as failure:
        return Trial(FAILED, f"启动后自动执行出错：{error_texts.of_exception(failure)}")
    ready, _waiting = snapshot.pending_tasks(workflow)
    if ready:
        task = ready[0].task_spec
        title = task.bpmn_name or task.name
        try:
            _role, unit = route(session, task.lane, accepting)
        except DomainError as refused:
            return Trial(FAILED, f"首个人工任务“{title}”无法分派：{refused.message}", title)
        return Trial(PERSON, f"到达首个人工任务“{title}”（{task.lane}，{unit.name}）", title)
    if workflow.is_completed():
        return Trial(ENDED, "启动后直接结束，没有等待经办人的环节")
    return Trial(WAITING, "启动后等待计时器、消息等事件，尚未到达人工任务")


def _start_data(accepting: OrgUnit) -> dict[str, object]:
    """Stand-ins for what `cases.acceptance` gives every flow at its start."""
    today = clock.now().date().isoformat()
    return {
        **sample_task_data(),
        "case_no": "TRIAL",
        "item_id": "trial",
        "item_name": "试运行",
        "applicant": {"name": "试运行", "id_number": "", "mobile": ""},
        "materials": [],
        "missing": [],
        "proxy": False,
        "details": {},
        "accepted_on": today,
        "accepted_level": level_of(accepting),
    }
