"""SpiffWorkflow's timers on the engine's clock.

SpiffWorkflow evaluates a timer expression once, stores the instant in the task, and compares it
with `datetime.now` read inside its timer module. `bind()` replaces that module's `datetime` with
one whose `now()` is `engine.core.clock`, so a frozen clock in tests or `timers run --now` decides
when a timer fires. `engine.workflow.snapshot` calls it on import, before any workflow is built or
loaded; calling it again changes nothing.
"""

from datetime import datetime, tzinfo
from typing import Self

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.core.clock import clock


class ClockDatetime(datetime):
    """`datetime` whose `now()` is the engine's clock: what SpiffWorkflow's timer module reads."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Self:
        instant = clock.now()
        local = instant.astimezone(tz) if tz else instant.replace(tzinfo=None)
        return cls.combine(local.date(), local.timetz())


def bind() -> None:
    """Make SpiffWorkflow's timer module read the engine's clock."""
    spiff_timer.datetime = ClockDatetime
