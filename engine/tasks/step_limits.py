"""Every human step's working-day limit: the item's list, else the reviewed defaults, else nothing.

One rule (`limit_of`) for the task projection (due and warning instants of every task, timer or not) and for
the limits a case starts with (`stage_limits_of`, read by the diagrams' stage timers, so the two agree). The
order in which sources are asked is written at the top of processes/step_limits.toml; an administrator's
adjustment (`StepLimitOverride`) comes first, the item's `stage_limits` next, then the defaults.
"""

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.bpmn.validation import form_key_of
from engine.catalogue.flows import PROCESSES_DIR
from engine.catalogue.items import Item
from engine.core.models import StepLimitOverride
from engine.core.typing import ProcessSpec, TaskSpec
from engine.sandbox.functions import working_days_before
from engine.workflow.steps import PATH_SEPARATOR, HumanStep, human_steps

DATA_FILE = PROCESSES_DIR / "step_limits.toml"
LIST, DEFAULT, ADJUSTED = "list", "default", "adjusted"
LABELS = {LIST: "清单时限", DEFAULT: "默认时限", ADJUSTED: "已调整"}


@dataclass(frozen=True)
class StepLimit:
    """A step's limit in working days and where it comes from; `bounded_by_case`: never past the case's deadline."""

    days: int
    source: str
    inferred: bool = False
    bounded_by_case: bool = True
    note: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.source]


@dataclass(frozen=True)
class Step:
    """A human step named as step_limits.toml names it: by the case's process and its path from it."""

    process_key: str
    path: str
    stage: str | None
    form_key: str | None

    @classmethod
    def of(cls, process_key: str, path: str, task_spec: TaskSpec) -> "Step":
        stage = task_spec.extensions.get("properties", {}).get("stage")
        return cls(process_key, path, stage, form_key_of(task_spec))


@cache
def defaults() -> dict[str, Any]:
    """processes/step_limits.toml as written (reviewed data; `tests/unit/test_step_limits_data.py` checks it)."""
    return tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))


def _entry(raw: Mapping[str, Any], source: str = DEFAULT) -> StepLimit:
    return StepLimit(
        int(raw["days"]),
        source,
        bool(raw.get("inferred", False)),
        bool(raw.get("bounded_by_case", True)),
        str(raw.get("source", "")),
    )


def default_of(step: Step, region: str | None, own_process: str | None = None) -> StepLimit | None:
    """The reviewed default of a step: its region's, its pattern's, its sub-flow's, its form's (first found)."""
    data = defaults()
    task_id = step.path.rsplit(PATH_SEPARATOR, 1)[-1]
    candidates = [
        data.get("region", {}).get(region or "", {}).get(step.process_key, {}).get(step.path),
        data.get("process", {}).get(step.process_key, {}).get(step.path),
        data.get("process", {}).get(own_process or "", {}).get(task_id) if own_process else None,
        data.get("form", {}).get(step.form_key or ""),
    ]
    found = next((raw for raw in candidates if raw is not None), None)
    return _entry(found) if found is not None else None


_OVERRIDE = select(StepLimitOverride.days).where(
    StepLimitOverride.item_id == bindparam("item_id"),
    StepLimitOverride.process_key == bindparam("process_key"),
    StepLimitOverride.step == bindparam("step"),
)


def limit_of(session: Session, item: Item | None, step: Step, own_process: str | None = None) -> StepLimit | None:
    """The limit a step opening now gets for `item` (None when nothing gives one)."""
    default = default_of(step, item.region if item else None, own_process)
    if item is not None:
        adjusted = session.scalar(_OVERRIDE, {"item_id": item.id, "process_key": step.process_key, "step": step.path})
        if adjusted is not None:
            bounded = default.bounded_by_case if default else True
            return StepLimit(adjusted, ADJUSTED, bounded_by_case=bounded)
        if step.stage is not None and step.stage in item.stage_limits:
            return StepLimit(item.stage_limits[step.stage], LIST, "stage_limits" in item.inferred)
    if default is None:
        return None
    # An item whose list sets no limit at all (永州) takes every default as the reviewers' choice.
    inferred = default.inferred or (item is not None and item.limit_days is None)
    return StepLimit(default.days, DEFAULT, inferred, default.bounded_by_case, default.note)


def stage_limits_of(session: Session, item: Item, steps: Iterable[tuple[Step, HumanStep]]) -> dict[str, int]:
    """The `limits` a case starts with: each stage of its flow as `limit_of` gives it."""
    limits = dict(item.stage_limits)
    for step, drawn in steps:
        if step.stage is not None:
            found = limit_of(session, item, step, drawn.process_key)
            if found is not None:
                limits[step.stage] = found.days
    return limits


def due_instants(
    limit: StepLimit | None, opened_at: datetime, case_due: datetime | None, warn_days: int
) -> tuple[datetime | None, datetime | None]:
    """(due, warning) of a step with no timer of its own: the limit counted from the day after it opened, to
    24:00, capped by the case's deadline where the step is bounded by it; 即将超期 `warn_days` working days before."""
    if limit is None:
        return case_due, None
    due = workcalendar.default_calendar().due(opened_at, limit.days).due_at
    if limit.bounded_by_case and case_due is not None:
        due = min(due, case_due)
    warn = datetime.fromisoformat(working_days_before(due, warn_days))
    return due, max(min(warn, due), opened_at)


def flow_steps(spec: ProcessSpec, subprocess_specs: Mapping[str, ProcessSpec]) -> list[tuple[Step, HumanStep]]:
    """Every human step of a deployed flow, named for `limit_of`, with where the diagrams draw it."""
    return [(Step.of(spec.name, hs.path, hs.spec), hs) for hs in human_steps(spec, subprocess_specs)]
