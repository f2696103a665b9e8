"""Deployed versions of BPMN diagrams and the parsed specs they run on.

Every version belongs to a region (`ProcessDefinition.region`: the name of a unit whose item lists name it,
丰城市, 福州市, 永州市) or to the national base (None): the diagrams shipped in processes/bpmn/ and whatever a
system-level designer deploys. A designer deploys for their own region only (`designer_scope`). An item runs
the latest version of its process deployed for the item's region, else the latest base one
(`latest_definition`); so a region's edit never changes what another region runs.

A version is identified by a hash of its content, of the exact versions of the processes it calls from other
files (the shared sub-flows in `processes/bpmn/shared/`, deployed first) and of its region: deploying the same
bytes against the same sub-flows for the same region creates nothing, the same bytes deployed by two regions
are two versions. A changed diagram becomes the next version, used by cases started from then on, while
running cases stay on the version (main and called specs) they started with. After a new version every caller
is rebound where its calls now resolve differently (`_rebind_callers`): a new base sub-flow gives the base
callers, and the regions' own callers, new versions; a region's own sub-flow gives that region versions of its
callers, and no one else's.
"""

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from sqlalchemy import ColumnElement, bindparam, func, or_, select
from sqlalchemy.orm import Session, object_session

from engine.bpmn import vendor_forms
from engine.bpmn.diff import related
from engine.bpmn.process_ids import id_problem, renamed, suggested_id
from engine.bpmn.validation import ProcessSpecs, Report, validate_diagram
from engine.bpmn.xmlread import diagram_text
from engine.catalogue.offering import region_of
from engine.core.clock import clock
from engine.core.errors import Conflict, Invalid, NotFound
from engine.core.models import ProcessDefinition, User
from engine.core.reference import reference
from engine.core.uow import unit_of_work
from engine.org.permissions import Actor, designer_region, ensure_designer, ensure_may_deploy_for
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
    """Validate a diagram against the product's roles, forms (and those it describes, `vendor_forms`), functions
    and deployed processes."""
    content_hash = hashlib.sha256(data).hexdigest()
    if content_hash in _checked:
        return _checked[content_hash]
    report = validate_diagram(
        data,
        known_lanes=reference().lane_names(),
        known_forms=known_form_keys() | set(vendor_forms.register_in(data)),
        functions=expression_functions(),
        sample_data=sample_task_data(),
        deployed_processes=deployed_processes,
    )
    if not report.ok:
        raise InvalidDiagram([p.to_dict() for p in report.errors])
    _checked[content_hash] = report
    return report


class ProcessIdClash(Conflict):
    """The upload's process id is the base's, for a different diagram: it must be deployed under another id."""

    def __init__(self, process_key: str, holder_name: str, suggestion: str) -> None:
        super().__init__(
            f"流程标识“{process_key}”已被另一个流程使用",
            {
                "rename_to": [
                    f"“{process_key}”是国家基础版本的流程“{holder_name}”，与上传的流程图不是同一个流程；"
                    f"请为上传的流程另起一个标识，例如“{suggestion}”"
                ]
            },
        )
        self.process_key = process_key
        self.suggestion = suggestion


class _OwnRegion:
    """The default of `deploy(region=...)`: the acting designer's own region."""


OWN_REGION = _OwnRegion()


def designer_scope(actor: Actor) -> str | None:
    """The region a designer works for (None: the national base); refuses whoever is no designer."""
    ensure_designer(actor)
    unit_region = region_of(actor.org) if isinstance(actor, User) and actor.org is not None else None
    return designer_region(actor, unit_region)


def deploy(
    session: Session,
    actor: Actor,
    data: bytes,
    source_name: str,
    *,
    rename_to: str | None = None,
    region: str | None | _OwnRegion = OWN_REGION,
) -> tuple[ProcessDefinition, bool]:
    """Deploy a diagram as `actor` (a 流程设计员, or the system) for their region (a system-level designer may
    name any `region`, None for the base); returns the version and whether it is new. Commits.

    A process id of the base that a region has no version of yet must name the same diagram (`diff.related`):
    an unrelated one is refused with `ProcessIdClash` (409, a suggested id), and deploys under `rename_to`.
    """
    scope = designer_scope(actor)
    target = scope if isinstance(region, _OwnRegion) else region
    ensure_may_deploy_for(scope, target)
    visible = visible_keys(session, target)
    check_diagram(data, visible)  # refuses an unreadable encoding, naming it
    data = diagram_text(data).encode("utf-8")  # what a version stores and hashes, whatever the upload's encoding
    report = check_diagram(data, visible)
    key = main_process_id(report)
    if rename_to is not None:
        data = _renamed(session, target, data, report, key, rename_to.strip())
    else:
        _refuse_unrelated(session, target, key, data)
    return _deploy(session, data, source_name, actor.username, target)


def _renamed(session: Session, region: str | None, data: bytes, report: Report, key: str, new_id: str) -> bytes:
    problem = id_problem(new_id)
    if problem is None and (new_id in visible_keys(session, region) or new_id in report.process_ids):
        problem = f"流程标识“{new_id}”已被使用，请另选一个"
    if problem is not None:
        raise Invalid("新的流程标识不可用", {"rename_to": [problem]})
    return renamed(data, key, new_id)


def _refuse_unrelated(session: Session, region: str | None, key: str, data: bytes) -> None:
    """A region taking a base process id for the first time must bring a version of that process."""
    if region is None or _latest_of(session, key, region) is not None:
        return  # the base's or the region's own process: a new version of it
    base = _latest_of(session, key, None)
    if base is None or related(base.bpmn_xml.encode("utf-8"), data):
        return
    raise ProcessIdClash(key, base.name, suggested_id(key, deployed_keys(session)))


def _deploy(
    session: Session, data: bytes, source_name: str, deployed_by: str, region: str | None
) -> tuple[ProcessDefinition, bool]:
    definition, created = _deploy_version(session, data, source_name, deployed_by, region)
    if created:
        _rebind_callers(session, deployed_by)
    return definition, created


def _deploy_version(
    session: Session, data: bytes, source_name: str, deployed_by: str, region: str | None
) -> tuple[ProcessDefinition, bool]:
    visible = visible_keys(session, region)
    report = check_diagram(data, visible)
    key = main_process_id(report)
    own = report.specs[key]
    missing = sorted(own.calls - visible)  # the report may come from the cache, checked for another region
    if missing:
        raise InvalidDiagram(
            [{"element_id": None, "line": None, "message": f"调用的流程“{name}”尚未部署"} for name in missing]
        )
    called = {name: latest_definition(session, name, region) for name in sorted(own.calls)}
    bound = {name: d.content_hash for name, d in called.items()}
    if region is not None and _latest_of(session, key, region) is None:
        base = _latest_of(session, key, None)
        if base is not None and base.content_hash == version_identity(data, bound):
            return base, False  # the region runs exactly this already
    identity = version_identity(data, bound, region)
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
        region=region,
        calls=bound,
        bpmn_xml=data.decode("utf-8"),
        forms=vendor_forms.described_in(data) or None,
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
    scope = f" for {region}" if region is not None else ""
    log.info("deployed %s v%d from %s by %s%s", key, definition.version, source_name, deployed_by, scope)
    return definition, True


def version_identity(data: bytes, called_hashes: dict[str, str], region: str | None = None) -> str:
    """The content hash alone for a self-contained base diagram, else combined with its called versions and its
    region (a base version's identity names no region, as before regions existed)."""
    content_hash = hashlib.sha256(data).hexdigest()
    if not called_hashes and region is None:
        return content_hash
    bound = "".join(f"\n{name}={called_hashes[name]}" for name in sorted(called_hashes))
    scope = f"\nregion={region}" if region is not None else ""
    return hashlib.sha256(f"{content_hash}{bound}{scope}".encode()).hexdigest()


def main_process_id(report: Report) -> str:
    """The process a diagram starts: the first executable one no other process calls."""
    called = {name for _, subs, _ in report.specs.values() for name in subs}
    return next((pid for pid in report.process_ids if pid not in called), report.process_ids[0])


def diagram_paths(directory: Path) -> list[Path]:
    """A folder's diagrams in deploy order: the shared sub-flows (`shared/*.bpmn`) before the flows that call them."""
    directory = Path(directory)
    return sorted((directory / SHARED_DIRECTORY).glob("*.bpmn")) + sorted(directory.glob("*.bpmn"))


def deploy_directory(session: Session, actor: Actor, directory: Path) -> list[tuple[ProcessDefinition, bool]]:
    """Deploy a folder's diagrams in `diagram_paths` order (as the system: the base)."""
    return [deploy(session, actor, path.read_bytes(), path.name) for path in diagram_paths(directory)]


def deployed_keys(session: Session) -> frozenset[str]:
    """Every deployed process id, of the base and of every region."""
    return frozenset(session.scalars(select(ProcessDefinition.process_key).distinct()))


def visible_keys(session: Session, region: str | None) -> frozenset[str]:
    """The process ids a diagram of `region` may call: the base's and the region's own."""
    return frozenset(session.scalars(select(ProcessDefinition.process_key).distinct().where(_resolvable(region))))


def _resolvable(region: str | None) -> ColumnElement[bool]:
    """The versions a diagram of `region` resolves to: the base's, and the region's own."""
    if region is None:
        return ProcessDefinition.region.is_(None)
    return or_(ProcessDefinition.region.is_(None), ProcessDefinition.region == region)


# The region's own latest version first, else the latest base one (`region` NULL matches no row's region).
_RESOLVED_VERSION = (
    select(ProcessDefinition)
    .where(
        ProcessDefinition.process_key == bindparam("process_key"),
        or_(ProcessDefinition.region == bindparam("region"), ProcessDefinition.region.is_(None)),
    )
    .order_by(ProcessDefinition.region.is_(None), ProcessDefinition.version.desc())
    .limit(1)
)
_LATEST_BASE = (
    select(ProcessDefinition)
    .where(ProcessDefinition.process_key == bindparam("process_key"), ProcessDefinition.region.is_(None))
    .order_by(ProcessDefinition.version.desc())
    .limit(1)
)
_LATEST_OF_REGION = (
    select(ProcessDefinition)
    .where(ProcessDefinition.process_key == bindparam("process_key"), ProcessDefinition.region == bindparam("region"))
    .order_by(ProcessDefinition.version.desc())
    .limit(1)
)


def latest_definition(session: Session, process_key: str, region: str | None = None) -> ProcessDefinition:
    """The version new cases of `region` run (None: the base): the region's latest, else the base's latest."""
    definition = session.scalars(_RESOLVED_VERSION, {"process_key": process_key, "region": region}).first()
    if definition is None:
        raise NotFound(f"流程“{process_key}”尚未部署")
    return definition


def _latest_of(session: Session, process_key: str, region: str | None) -> ProcessDefinition | None:
    """The latest version deployed for exactly `region` (None: the base), without falling back."""
    if region is None:
        return session.scalars(_LATEST_BASE, {"process_key": process_key}).first()
    return session.scalars(_LATEST_OF_REGION, {"process_key": process_key, "region": region}).first()


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


def _rebind_callers(session: Session, deployed_by: str) -> None:
    """Give every caller a version bound to what its calls now resolve to, the base first, then each region with
    versions of its own, until nothing is stale (a deployment may make the callers of its callers stale)."""
    tried: set[tuple[int, str | None]] = set()
    while (stale := _stale_caller(session, tried)) is not None:
        definition, region, data = stale
        tried.add((definition.id, region))
        _deploy_version(session, data, definition.source_name, deployed_by, region)


def _stale_caller(
    session: Session, tried: set[tuple[int, str | None]]
) -> tuple[ProcessDefinition, str | None, bytes] | None:
    """A version some scope resolves to whose calls that scope now resolves differently, with its scope and the
    bytes to redeploy; or a region's copy of a base diagram whose base has moved on (see `_base_to_follow`)."""
    latest: dict[tuple[str, str | None], ProcessDefinition] = {}
    for definition in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.version)):
        latest[(definition.process_key, definition.region)] = definition

    def resolved(key: str, region: str | None) -> ProcessDefinition | None:
        return latest.get((key, region)) or latest.get((key, None))

    keys = sorted({key for key, _ in latest})
    regions = sorted({region for _, region in latest if region is not None})
    for region in [None, *regions]:
        for key in keys:
            current = resolved(key, region)
            if current is None or (current.id, region) in tried:
                continue
            calls = current.calls or {}
            expected = {name: getattr(resolved(name, region), "content_hash", None) for name in calls}
            if expected != calls:
                return current, region, current.bpmn_xml.encode("utf-8")
            if region is not None and current.region == region:
                base = _base_to_follow(session, current, latest.get((key, None)))
                if base is not None:
                    return current, region, base.bpmn_xml.encode("utf-8")
    return None


def _base_to_follow(
    session: Session, own: ProcessDefinition, base: ProcessDefinition | None
) -> ProcessDefinition | None:
    """The newer base version that a region's version follows when it is a copy of an earlier base diagram (made
    to bind the region's own sub-flows, or a return to the base), not an edit of the region's own; else None."""
    if base is None or base.version < own.version or base.bpmn_xml == own.bpmn_xml:
        return None
    earlier = session.scalars(
        select(ProcessDefinition.bpmn_xml).where(
            ProcessDefinition.process_key == own.process_key,
            ProcessDefinition.region.is_(None),
            ProcessDefinition.version < own.version,
        )
    )
    return base if own.bpmn_xml in set(earlier) else None


def _by_hash(session: Session, content_hash: str) -> ProcessDefinition | None:
    return session.scalars(select(ProcessDefinition).where(ProcessDefinition.content_hash == content_hash)).first()
