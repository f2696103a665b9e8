"""A case drawn on its own diagram version: the steps already done and the steps waiting now (a person's task, or a
step waiting for a message such as 公示 or 等待外伤调查结果)."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.bpmn.drawn import Drawn, drawn
from engine.cases.acceptance import case_view
from engine.cases.waits import CATCH, RECEIVE, waits_listed
from engine.core.models import CaseInstance, User
from engine.workflow import snapshot


@dataclass(frozen=True)
class CaseDiagram:
    bpmn_xml: str
    version: int
    completed: list[str]
    active: list[str]
    taken: list[tuple[str, str]]


def _waiting_steps(session: Session, case_id: int) -> set[str]:
    """Steps that are themselves the wait for a message (not a task's boundary event, drawn on that task)."""
    return {wait.element_id for wait in waits_listed(session, case_id) if wait.kind in (RECEIVE, CATCH)}


def _drawn_of(case: CaseInstance) -> Drawn:
    """What the case's state gives to draw: kept as such once the case ended, read from its workflow before (and
    from the whole task tree an earlier release kept for an ended case)."""
    state = snapshot.read_state(case.state)
    kept = snapshot.ended_summary(state)
    if kept is not None:
        return Drawn.from_dict(kept)
    spec, subprocess_specs = deployment.specs_of(case.definition)
    return drawn(snapshot.load_state(state, spec, subprocess_specs))


def case_diagram(session: Session, user: User, case_id: int) -> CaseDiagram:
    """Element ids of the completed steps, of the open tasks, and the (source, target) step pairs
    the case actually went through, so that only flows really taken are marked.

    Visible to whoever may see the case; the diagram is the version the case runs on, not the latest.
    """
    view = case_view(session, user, case_id)
    case = view.case
    marks = _drawn_of(case)
    return CaseDiagram(
        bpmn_xml=case.definition.bpmn_xml,
        version=case.definition.version,
        completed=marks.completed,
        active=sorted(
            {task.spec_name for task in view.open_tasks} | _waiting_steps(session, case_id) | set(marks.running_calls)
        ),
        taken=marks.taken,
    )
