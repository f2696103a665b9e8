"""The audit trail of a case: who did what, when, at which unit; and what an event shows to whom (`shown`)."""

import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from engine.cases import tallies
from engine.core.clock import clock
from engine.core.models import AuditEvent, CaseInstance, JSONObject, Task, User
from engine.org.permissions import may_read_step_traces
from engine.sms import outbox
from engine.sms.triggers import Fact

_INSERT_EVENT = cast(Table, AuditEvent.__table__).insert()

ACTION_LABELS = {
    "accepted": "受理",
    "claimed": "认领",
    "released": "释放",
    "completed": "办理",
    "concluded": "办结",
    "error": "流程出错",
    "timer_fired": "时限提醒",
    "clock_paused": "补正期间暂停计时",
    "clock_restarted": "补正后重新计时",
    "deadline_recomputed": "节假日调整后重算时限",
    "rated": "好差评",
    "rectification_opened": "差评整改",
    "attachment_added": "上传附件",
    "attachment_viewed": "查看附件",
    "attachment_deleted": "删除附件",
    "personal_data_viewed": "查看完整证件号",
    "external_completed": "外部任务完成",
    "external_bpmn_error": "外部任务业务错误",
    "incident": "外部任务故障",
    "message_received": "收到消息",
    "not_accepted": "补正期满，不予受理",
    "deferred_supplied": "容缺补交",
    "promise_chased": "催补：容缺材料逾期未补",
}


def record(
    session: Session,
    case: CaseInstance,
    action: str,
    user: User | None = None,
    task: Task | None = None,
    detail: JSONObject | None = None,
) -> None:
    """Append an event to the case's history, inside the caller's unit of work.

    Events are only ever appended, so they go straight to the database as a plain INSERT instead
    of through the session's change tracking, which costs several times more per row. Each event is also
    a fact the applicant may be sent a message of (`engine.sms`), and one the SLA figures may count
    (`engine.cases.tallies`), both written in the same unit of work.
    """
    at = clock.now()
    session.connection().execute(
        _INSERT_EVENT,
        {
            "instance_id": case.id,
            "at": at,
            "action": action,
            "user_id": user.id if user else None,
            "org_id": user.org_id if user else None,
            "task_id": task.id if task else None,
            "task_title": task.title if task else None,
            "detail": detail or {},
        },
    )
    outbox.note(session, case, Fact(action, task.form_key if task else None, detail or {}))
    tallies.note(session, case, action, at, user, task, detail or {})


ERROR = "error"
TRACE_FRAMES = 8
# An absolute path (POSIX or Windows) up to its last separator: what a trace or an error message must not show.
_DIRECTORIES = re.compile(r"""(?:[A-Za-z]:)?[\\/](?:[^\s"'<>|\\/]+[\\/])+(?=[^\s"'<>|\\/])""")


def without_paths(text: str) -> str:
    """`text` with every absolute file path cut to its base name (`File "/srv/app/engine/x.py"` → `File "x.py"`)."""
    return _DIRECTORIES.sub("", text)


def failure(exc: BaseException) -> JSONObject:
    """The detail of an `error` event: the error, and the innermost frames of where it was raised, each named by
    the file's base name (the server's directories are nobody's business, administrators' included)."""
    frames = traceback.extract_tb(exc.__traceback__, limit=-TRACE_FRAMES)
    lines = [f"{without_paths(frame.filename)}:{frame.lineno} in {frame.name}" for frame in frames]
    return {"error": error_text(exc), "trace": "\n".join(lines)}


def error_text(exc: BaseException) -> str:
    """A failed step's one line, as `last_error` and the `error` event keep it."""
    return without_paths(f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Shown:
    """An event as one viewer reads it: the event, with `detail` as `shown` leaves it for them."""

    event: AuditEvent
    detail: JSONObject

    def __getattr__(self, name: str) -> Any:
        return getattr(self.event, name)


def shown(events: Iterable[AuditEvent], viewer: User) -> list[Shown]:
    """The history as `viewer` may read it: the trace of a failed step only for those `may_read_step_traces`
    allows, and no server path in it for anyone (events recorded before paths were cut included)."""
    traces = may_read_step_traces(viewer)
    return [Shown(event, _shown_detail(event, traces)) for event in events]


def _shown_detail(event: AuditEvent, traces: bool) -> JSONObject:
    detail = dict(event.detail or {})
    if event.action != ERROR:
        return detail
    trace = detail.pop("trace", None)
    if isinstance(detail.get("error"), str):
        detail["error"] = without_paths(detail["error"])
    if traces and isinstance(trace, str):
        detail["trace"] = without_paths(trace)
    return detail
