"""A case drawn on its own diagram version: the steps already done and the steps waiting now."""
from dataclasses import dataclass

from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine import definitions, runtime
from engine.cases import case_view
from engine.models import User


@dataclass(frozen=True)
class CaseDiagram:
    bpmn_xml: str
    version: int
    completed: list[str]
    active: list[str]


def case_diagram(session: Session, user: User, case_id: int) -> CaseDiagram:
    """Element ids of the completed path (from the workflow state) and of the open tasks.

    Visible to whoever may see the case; the diagram is the version the case runs on, not the latest.
    """
    view = case_view(session, user, case_id)
    case = view.case
    spec, subprocess_specs = definitions.specs_of(case.definition)
    workflow = runtime.load_state(case.state, spec, subprocess_specs)
    completed = {task.task_spec.name for task in workflow.get_tasks(state=TaskState.COMPLETED)}
    return CaseDiagram(
        bpmn_xml=case.definition.bpmn_xml,
        version=case.definition.version,
        completed=sorted(completed),
        active=sorted({task.spec_name for task in view.open_tasks}),
    )
