"""Deployed versions of BPMN diagrams and the parsed specs they run on.

A version is identified by a hash of its content and of the exact versions of the processes it
calls from other files (the shared sub-flows in `processes/bpmn/shared/`, deployed first):
deploying the same bytes against the same sub-flows creates nothing; a changed diagram becomes
the next version, used by cases started from then on, while running cases stay on the version
(main and called specs) they started with. Deploying a new version of a sub-flow redeploys every
process whose latest version calls it, so callers get a new version bound to it.
"""

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, object_session

from engine.bpmn.validation import ProcessSpecs, Report, validate_diagram
from engine.core.clock import clock
from engine.core.errors import Conflict, Invalid, NotFound
from engine.core.models import ProcessDefinition
from engine.core.reference import reference
from engine.core.uow import unit_of_work
from engine.org.permissions import Actor, ensure_designer
from engine.sandbox.functions import expression_functions, sample_task_data
from forms.registry import known_form_keys

log = logging.getLogger("yibao.deploy")

SHARED_DIRECTORY = "shared"

SpecsOf = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]
"""(spec, subprocess specs): what `BpmnWorkflow(spec, subprocess_specs)` takes."""

_specs: dict[str, SpecsOf] = {}  # version identity → (spec, subprocess specs incl. the called versions)
_checked: dict[str, Report] = {}  # content hash → accepted report: a diagram is parsed once per process


class InvalidDiagram(Invalid):
    """A diagram refused at deployment; `problems` name the elements at fault."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("流程图校验未通过", {"bpmn": [p["message"] for p in problems]})
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"{p.get('element_id') or ''}: {p['message']}" for p in self.problems)


def check_diagram(data: bytes, deployed_processes: frozenset[str] = frozenset()) -> Report:
    """Validate a diagram against the product's roles, forms, functions and deployed processes."""
    content_hash = hashlib.sha256(data).hexdigest()
    if content_hash in _checked:
        return _checked[content_hash]
    report = validate_diagram(
        data,
        known_lanes=reference().lane_names(),
        known_forms=known_form_keys(),
        functions=expression_functions(),
        sample_data=sample_task_data(),
        deployed_processes=deployed_processes,
    )
    if not report.ok:
        raise InvalidDiagram([p.to_dict() for p in report.errors])
    _checked[content_hash] = report
    return report


def deploy(session: Session, actor: Actor, data: bytes, source_name: str) -> tuple[ProcessDefinition, bool]:
    """Deploy a diagram as `actor` (a 流程设计员, or the system); returns the version and whether it is new. Commits."""
    ensure_designer(actor)
    return _deploy(session, data, source_name, actor.username)


def _deploy(session: Session, data: bytes, source_name: str, deployed_by: str) -> tuple[ProcessDefinition, bool]:
    report = check_diagram(data, deployed_keys(session))
    key = main_process_id(report)
    own = report.specs[key]
    called = {name: latest_definition(session, name) for name in sorted(own.calls)}
    identity = version_identity(data, {name: d.content_hash for name, d in called.items()})
    existing = _by_hash(session, identity)
    if existing is not None:
        return existing, False
    latest_version = session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == key)
    )
    definition = ProcessDefinition(
        process_key=key,
        name=own.spec.description or key,
        version=(latest_version or 0) + 1,
        content_hash=identity,
        calls={name: d.content_hash for name, d in called.items()},
        bpmn_xml=data.decode("utf-8"),
        source_name=source_name,
        deployed_by=deployed_by,
        deployed_at=clock.now(),
    )
    try:
        with unit_of_work(session):
            session.add(definition)
    except Conflict:
        raced = _by_hash(session, identity)  # the same diagram deployed at once by another worker
        if raced is None:
            raise
        return raced, False
    _specs[identity] = _with_called(own, called.values())
    log.info("deployed %s v%d from %s by %s", key, definition.version, source_name, deployed_by)
    _redeploy_callers(session, key, deployed_by)
    return definition, True


def version_identity(data: bytes, called_hashes: dict[str, str]) -> str:
    """The content hash alone for a self-contained diagram, else combined with its called versions."""
    content_hash = hashlib.sha256(data).hexdigest()
    if not called_hashes:
        return content_hash
    bound = "".join(f"\n{name}={called_hashes[name]}" for name in sorted(called_hashes))
    return hashlib.sha256(f"{content_hash}{bound}".encode()).hexdigest()


def main_process_id(report: Report) -> str:
    """The process a diagram starts: the first executable one no other process calls."""
    called = {name for _, subs, _ in report.specs.values() for name in subs}
    return next((pid for pid in report.process_ids if pid not in called), report.process_ids[0])


def deploy_directory(session: Session, actor: Actor, directory: Path) -> list[tuple[ProcessDefinition, bool]]:
    """Deploy the shared sub-flows (`shared/*.bpmn`) first, then the flows that call them."""
    directory = Path(directory)
    paths = sorted((directory / SHARED_DIRECTORY).glob("*.bpmn")) + sorted(directory.glob("*.bpmn"))
    return [deploy(session, actor, path.read_bytes(), path.name) for path in paths]


def deployed_keys(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(ProcessDefinition.process_key).distinct()))


_LATEST_VERSION = (
    select(ProcessDefinition)
    .where(ProcessDefinition.process_key == bindparam("process_key"))
    .order_by(ProcessDefinition.version.desc())
    .limit(1)
)


def latest_definition(session: Session, process_key: str) -> ProcessDefinition:
    definition = session.scalars(_LATEST_VERSION, {"process_key": process_key}).first()
    if definition is None:
        raise NotFound(f"流程“{process_key}”尚未部署")
    return definition


def specs_of(definition: ProcessDefinition) -> SpecsOf:
    """(spec, subprocess specs) of a version, with the called versions it was deployed against; parsed once."""
    if definition.content_hash not in _specs:
        session = object_session(definition)
        report = check_diagram(definition.bpmn_xml.encode("utf-8"), frozenset(definition.calls or {}))
        called = [_called_version(session, content_hash) for content_hash in (definition.calls or {}).values()]
        _specs[definition.content_hash] = _with_called(report.specs[definition.process_key], called)
    return _specs[definition.content_hash]


def _called_version(session: Session | None, content_hash: str) -> ProcessDefinition:
    """A version another one was deployed against: it is read through the caller's session and never deleted."""
    assert session is not None, "a version's called versions are read through its session"
    called = _by_hash(session, content_hash)
    assert called is not None, f"the called version {content_hash} is missing"
    return called


def _with_called(own: ProcessSpecs, called: Iterable[ProcessDefinition]) -> SpecsOf:
    """(spec, subprocess specs) of a process, with those of the deployed versions it calls (and what they call)."""
    subprocess_specs = dict(own.subprocess_specs)
    for definition in called:
        spec, subs = specs_of(definition)
        subprocess_specs[definition.process_key] = spec
        subprocess_specs.update(subs)
    return own.spec, subprocess_specs


def _redeploy_callers(session: Session, process_key: str, deployed_by: str) -> None:
    """Give every process whose latest version calls `process_key` a version bound to its newest one."""
    latest: dict[str, ProcessDefinition] = {}
    for definition in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.version)):
        latest[definition.process_key] = definition
    for caller in latest.values():
        if process_key in (caller.calls or {}):
            _deploy(session, caller.bpmn_xml.encode("utf-8"), caller.source_name, deployed_by)


def _by_hash(session: Session, content_hash: str) -> ProcessDefinition | None:
    return session.scalars(select(ProcessDefinition).where(ProcessDefinition.content_hash == content_hash)).first()
