"""The lifecycle of a case, and the states of its tasks and timers: every status and every transition.

A case runs (办理中) from acceptance; it ends concluded (已办结) when its flow ends or terminated (已终止)
by an administrator, or not accepted (不予受理) when the 补正 period of its 一次性告知 passed (its flow throws
`not_accepted`); an administrator may suspend (挂起) a running case and resume it. Work on a case —
completing a task, firing a timer, retrying a failed step, receiving a message — needs it running. Each
action names itself here, and `ensure_allowed` refuses one the case's status does not allow with a 409.

```mermaid
stateDiagram-v2
    [*] --> running: accept
    running --> concluded: conclude
    running --> not_accepted: not_accept
    running --> suspended: suspend
    suspended --> running: resume
    running --> terminated: terminate
    suspended --> terminated: terminate
```

Tasks (projection rows): open → completed | cancelled; open ⇄ suspended while the case is suspended.
Timers (timer rows): waiting → fired | cancelled; waiting ⇄ held while the case is suspended.
"""

from engine.core.errors import Conflict
from engine.core.models import CaseInstance

RUNNING = "running"
SUSPENDED = "suspended"
CONCLUDED = "concluded"
TERMINATED = "terminated"
NOT_ACCEPTED = "not_accepted"
STATUS_LABELS = {
    RUNNING: "办理中",
    SUSPENDED: "已挂起",
    CONCLUDED: "已办结",
    TERMINATED: "已终止",
    NOT_ACCEPTED: "不予受理",
}
ENDED = frozenset({CONCLUDED, TERMINATED, NOT_ACCEPTED})

TASK_OPEN = "open"
TASK_SUSPENDED = "suspended"
TASK_COMPLETED = "completed"
TASK_CANCELLED = "cancelled"
TASK_PENDING = (TASK_OPEN, TASK_SUSPENDED)  # not yet done: the projection must not add them again

TIMER_WAITING = "waiting"
TIMER_HELD = "held"
TIMER_FIRED = "fired"
TIMER_CANCELLED = "cancelled"

# action: (statuses it may start from, status it leaves the case in; None: as it was)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "conclude": (frozenset({RUNNING}), CONCLUDED),
    "not_accept": (frozenset({RUNNING}), NOT_ACCEPTED),
    "suspend": (frozenset({RUNNING}), SUSPENDED),
    "resume": (frozenset({SUSPENDED}), RUNNING),
    "terminate": (frozenset({RUNNING, SUSPENDED}), TERMINATED),
    "complete": (frozenset({RUNNING}), None),
    "fire_timer": (frozenset({RUNNING}), None),
    "retry": (frozenset({RUNNING}), None),
    "receive_message": (frozenset({RUNNING}), None),
    "recompute": (frozenset({RUNNING, SUSPENDED}), None),
}
REFUSALS = {
    "conclude": "只有办理中的办件可以办结",
    "not_accept": "只有办理中的办件可以不予受理",
    "suspend": "只有办理中的办件可以挂起",
    "resume": "只有已挂起的办件可以恢复",
    "terminate": "已办结或已终止的办件不能终止",
    "complete": "办件不在办理中，不能办理任务",
    "fire_timer": "办件不在办理中，时限提醒不触发",
    "retry": "只有办理中的办件可以重试",
    "receive_message": "办件不在办理中，不接收消息",
    "recompute": "已结束的办件不重算时限",
}


def allows(case: CaseInstance, action: str) -> bool:
    return case.status in TRANSITIONS[action][0]


def ensure_allowed(case: CaseInstance, action: str) -> None:
    """Refuse an action the case's status does not allow (409, with the status in words)."""
    if not allows(case, action):
        label = STATUS_LABELS.get(case.status, case.status)
        raise Conflict(f"{REFUSALS[action]}（当前状态：{label}）")


def transition(case: CaseInstance, action: str) -> None:
    """Move the case to the status the action leads to; the step writer stores it."""
    ensure_allowed(case, action)
    case.status = TRANSITIONS[action][1] or case.status
