"""Which step facts send which message: the one table of them.

A fact is what a step recorded — an audit action of the case's history (`accepted`, `completed` with the
form of the completed task, `concluded`, `timer_fired`, ...) or `opened` for a task the step created — with
its detail. Every matching trigger sends its kind of message; a fact no trigger matches sends nothing. A fact may also
make a scheduled message pointless (`CANCELS`).
"""

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

Detail = Mapping[str, Any]


@dataclass(frozen=True)
class Fact:
    action: str
    form_key: str | None = None
    detail: Detail = field(default_factory=dict)


@dataclass(frozen=True)
class Trigger:
    action: str
    form_key: str | None
    """None: a task of any form (or none)."""
    kind: str
    when: Callable[[Detail], bool] = lambda _detail: True
    deadline: str | None = None
    """The kind of the case's waiting timer whose instant is the deadline the text names (`due_at`)."""


@cache
def _rejecting_decisions() -> frozenset[str]:
    """The decisions that end an application, as the notices read them (engine/data/notices.toml)."""
    notices = Path(__file__).resolve().parents[1] / "data" / "notices.toml"
    return frozenset(tomllib.loads(notices.read_text(encoding="utf-8"))["rejection_by_decision"])


def _rejects(detail: Detail) -> bool:
    return detail.get("decision") in _rejecting_decisions()


SUPPLEMENT_TIMER = "supplement"
"""The `deadline` of the 补正期满 timer in notice_supplement.bpmn."""

TRIGGERS: tuple[Trigger, ...] = (
    # 受理 with every material in; with some missing the 一次性告知 tells the applicant instead.
    Trigger("accepted", None, "accepted", lambda detail: not detail.get("missing")),
    # The 一次性告知 opened the 补正 wait, whose due instant is the 补正 deadline; the reminder is sent before it.
    Trigger("opened", "supplement", "missing_materials", deadline=SUPPLEMENT_TIMER),
    Trigger("opened", "supplement", "supplement_reminder", deadline=SUPPLEMENT_TIMER),
    # A suspension withdrew it; resuming or a holiday notice moved the deadline: scheduled again from the timer.
    Trigger("resumed", None, "supplement_reminder", deadline=SUPPLEMENT_TIMER),
    Trigger("deadline_recomputed", None, "supplement_reminder", deadline=SUPPLEMENT_TIMER),
    Trigger("promise_chased", None, "promise_reminder"),
    Trigger("completed", None, "rejected", _rejects),
    Trigger("not_accepted", None, "not_accepted"),
    Trigger("opened", "collection", "collection"),
    Trigger("completed", "collection", "posted", lambda detail: bool(detail.get("tracking_no"))),
    Trigger("concluded", None, "concluded"),
)

CANCELS: tuple[Trigger, ...] = (
    # What the applicant no longer needs to be told: a reminder of a 补正 that came in, of a case that ended or
    # stopped, or of a deadline that moved (the reminder is scheduled again above).
    Trigger("completed", "supplement", "supplement_reminder"),
    *(
        Trigger(fact, None, "supplement_reminder")
        for fact in ("concluded", "not_accepted", "terminated", "suspended", "deadline_recomputed")
    ),
)

RESULT_KINDS = frozenset({"rejected", "not_accepted", "concluded"})
"""An applicant is told the result once: the first of these a case sends is the only one."""


def triggered_by(fact: Fact) -> list[Trigger]:
    """The triggers `fact` sets off, in the table's order: one message each."""
    return [trigger for trigger in TRIGGERS if _matches(trigger, fact)]


def cancelled_by(fact: Fact) -> list[str]:
    """The kinds of scheduled message `fact` makes pointless."""
    return [trigger.kind for trigger in CANCELS if _matches(trigger, fact)]


def _matches(trigger: Trigger, fact: Fact) -> bool:
    return trigger.action == fact.action and trigger.form_key in (None, fact.form_key) and trigger.when(fact.detail)
