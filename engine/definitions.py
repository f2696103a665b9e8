"""Deployed versions of BPMN diagrams and the parsed specs they run on.

A version is identified by the hash of its content: deploying the same bytes again creates
nothing; a changed diagram becomes the next version, used by cases started from then on,
while running cases stay on the version they started with.
"""
import hashlib
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn_validation import validate_diagram
from engine.clock import clock
from engine.errors import Invalid, NotFound
from engine.expressions import expression_functions
from engine.models import ProcessDefinition
from engine.reference import reference
from forms.registry import known_form_keys

_specs: dict[str, tuple] = {}


class InvalidDiagram(Invalid):
    """A diagram refused at deployment; `problems` name the elements at fault."""

    def __init__(self, problems: list[dict]):
        super().__init__("流程图校验未通过", {"bpmn": [p["message"] for p in problems]})
        self.problems = problems


def check_diagram(data: bytes):
    """Validate a diagram against the product's roles, forms and expression functions."""
    report = validate_diagram(
        data,
        known_lanes=reference().lane_names(),
        known_forms=known_form_keys(),
        functions=expression_functions(),
    )
    if not report.ok:
        raise InvalidDiagram([p.to_dict() for p in report.errors])
    return report


def deploy(session: Session, data: bytes, source_name: str, deployed_by: str) -> tuple[ProcessDefinition, bool]:
    """Deploy a diagram; returns the version and whether it is new. Commits."""
    content_hash = hashlib.sha256(data).hexdigest()
    existing = _by_hash(session, content_hash)
    if existing is not None:
        return existing, False
    report = check_diagram(data)
    key = main_process_id(report)
    spec, subprocess_specs = report.specs[key]
    latest_version = session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == key)
    )
    definition = ProcessDefinition(
        process_key=key,
        name=spec.description or key,
        version=(latest_version or 0) + 1,
        content_hash=content_hash,
        bpmn_xml=data.decode("utf-8"),
        source_name=source_name,
        deployed_by=deployed_by,
        deployed_at=clock.now(),
    )
    session.add(definition)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raced = _by_hash(session, content_hash)
        if raced is None:
            raise
        return raced, False
    _specs[content_hash] = (spec, subprocess_specs)
    return definition, True


def main_process_id(report) -> str:
    """The process a diagram starts: the first executable one no other process calls."""
    called = {name for _, subs in report.specs.values() for name in subs}
    return next((pid for pid in report.process_ids if pid not in called), report.process_ids[0])


def deploy_directory(session: Session, directory: Path, deployed_by: str = "system") -> list[tuple[ProcessDefinition, bool]]:
    return [
        deploy(session, path.read_bytes(), path.name, deployed_by)
        for path in sorted(Path(directory).glob("*.bpmn"))
    ]


def latest_definition(session: Session, process_key: str) -> ProcessDefinition:
    definition = session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_key == process_key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()
    if definition is None:
        raise NotFound(f"流程“{process_key}”尚未部署")
    return definition


def specs_of(definition: ProcessDefinition) -> tuple:
    """(spec, subprocess specs) of a version, parsed once per process."""
    if definition.content_hash not in _specs:
        report = check_diagram(definition.bpmn_xml.encode("utf-8"))
        _specs[definition.content_hash] = tuple(report.specs[definition.process_key])
    return _specs[definition.content_hash]


def _by_hash(session: Session, content_hash: str) -> ProcessDefinition | None:
    return session.scalars(select(ProcessDefinition).where(ProcessDefinition.content_hash == content_hash)).first()
