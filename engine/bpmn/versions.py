"""Deployed process versions as designers see them: who deployed each, when, and how many cases run on it."""

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.cases.lifecycle import RUNNING
from engine.core.errors import NotFound
from engine.core.models import CaseInstance, ProcessDefinition, User
from engine.org.permissions import ensure_designer


@dataclass(frozen=True)
class Version:
    definition: ProcessDefinition
    running: int
    total: int


def versions(session: Session, user: User) -> list[Version]:
    """Every version, newest first within each process."""
    ensure_designer(user)
    counts = {
        definition_id: (running or 0, total)
        for definition_id, running, total in session.execute(
            select(
                CaseInstance.definition_id,
                func.sum(case((CaseInstance.status == RUNNING, 1), else_=0)),
                func.count(),
            ).group_by(CaseInstance.definition_id)
        )
    }
    definitions = session.scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.process_key, ProcessDefinition.version.desc())
    ).all()
    return [Version(d, *counts.get(d.id, (0, 0))) for d in definitions]


def version_xml(session: Session, user: User, definition_id: int) -> ProcessDefinition:
    """One version with its BPMN text, for download or to open in the modeler."""
    ensure_designer(user)
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound("流程版本不存在")
    return definition
