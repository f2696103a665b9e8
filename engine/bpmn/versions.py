"""Deployed process versions as designers see them: the base and their region's versions side by side, who
deployed each, when, how many cases run on it, and what a version changes against the base.

A region's designer sees the base versions and their own region's, never another region's (one `NotFound` for
a version of another region and for a missing one); a system-level designer sees every region's.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from engine.bpmn.deployment import check_diagram, designer_scope, latest_definition, main_process_id, visible_keys
from engine.bpmn.diff import ElementChange, diff_diagrams
from engine.bpmn.xmlread import diagram_text
from engine.cases.lifecycle import RUNNING
from engine.core.errors import NotFound
from engine.core.models import CaseInstance, ProcessDefinition, User
from engine.org.permissions import SYSTEM, Actor, may_see_version, visible_versions_condition

SHIPPED = "系统（随程序发布）"
"""Who deployed a version the system deployed: the diagrams shipped in processes/bpmn/, deployed on start."""


@dataclass(frozen=True)
class Version:
    definition: ProcessDefinition
    running: int
    total: int
    current: bool = False
    """New cases start on it: the latest of its region, or the latest base one (in `process_table` for a region's
    designer: only where their region has no version of its own)."""
    deployer: str = ""
    """Who deployed it as people read it: the designer's name and unit, or `SHIPPED`."""


@dataclass(frozen=True)
class ProcessRow:
    """One process: its base versions and each shown region's own, newest first."""

    process_key: str
    name: str
    base: list[Version]
    regional: dict[str, list[Version]] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessTable:
    scope: str | None
    """The designer's region (None: a system-level designer, who deploys base versions)."""
    regions: list[str]
    """The region columns: the designer's own region, or every region with versions for a system-level designer."""
    rows: list[ProcessRow]


def versions(session: Session, user: Actor) -> list[Version]:
    """Every version the designer may see, newest first within each process."""
    scope = designer_scope(user)
    return _versions(session, scope)


def _versions(session: Session, scope: str | None) -> list[Version]:
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
        select(ProcessDefinition)
        .where(visible_versions_condition(scope))
        .order_by(ProcessDefinition.process_key, ProcessDefinition.version.desc())
    ).all()
    current: dict[
        tuple[str, str | None], int
    ] = {}  # (process key, region) → the newest version's id (newest come first)
    for definition in definitions:
        current.setdefault((definition.process_key, definition.region), definition.id)
    names = deployers(session, {d.deployed_by for d in definitions})
    return [
        Version(
            d,
            *counts.get(d.id, (0, 0)),
            current=current[(d.process_key, d.region)] == d.id,
            deployer=names[d.deployed_by],
        )
        for d in definitions
    ]


def deployers(session: Session, usernames: set[str]) -> dict[str, str]:
    """username → who that is on the version list: 流程设计员（丰城市）, `SHIPPED` for the system; a username no
    account holds any more is shown as recorded."""
    accounts = usernames - {SYSTEM.username}
    found: Iterable[User] = session.scalars(select(User).where(User.username.in_(accounts))) if accounts else ()
    named = {user.username: f"{user.display_name}（{user.org.name}）" for user in found}
    return {name: SHIPPED if name == SYSTEM.username else named.get(name, name) for name in usernames}


def process_table(session: Session, user: Actor) -> ProcessTable:
    """The designers' list: per process, the base versions beside the region's own."""
    scope = designer_scope(user)
    listed = _versions(session, scope)
    if scope is not None:
        regions = [scope]
    else:
        regions = sorted({v.definition.region for v in listed if v.definition.region is not None})
    rows: dict[str, ProcessRow] = {}
    for version in listed:
        definition = version.definition
        row = rows.get(definition.process_key)
        if row is None:
            row = rows[definition.process_key] = ProcessRow(
                definition.process_key, definition.name, [], {region: [] for region in regions}
            )
        if definition.region is None:
            row.base.append(version)
        else:
            row.regional[definition.region].append(version)
    if scope is not None:  # where the region has a version of its own, its new cases do not start on the base's
        for row in rows.values():
            if row.regional[scope]:
                row.base[:] = [replace(version, current=False) for version in row.base]
    return ProcessTable(scope, regions, list(rows.values()))


def version_xml(session: Session, user: Actor, definition_id: int) -> ProcessDefinition:
    """One version with its BPMN text, for download or to open in the modeler."""
    scope = designer_scope(user)
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None or not may_see_version(scope, definition.region):
        raise NotFound("流程版本不存在")
    return definition


@dataclass(frozen=True)
class VersionDiff:
    definition: ProcessDefinition
    against: ProcessDefinition | None
    """The version compared with: the latest base one for a region's version (else the region's previous one),
    the previous base one for a base version; None when there is none."""
    changes: list[ElementChange]

    def of_kind(self, kind: str) -> list[ElementChange]:
        return [change for change in self.changes if change.kind == kind]

    @property
    def marks(self) -> dict[str, list[str]]:
        """Element ids to mark in the modeler: added and changed (removed ones are not in the diagram)."""
        return {kind: [c.element_id for c in self.of_kind(kind)] for kind in ("added", "changed")}


def version_diff(session: Session, user: Actor, definition_id: int) -> VersionDiff:
    """What a version changes against the base (see `VersionDiff.against`), element by element."""
    definition = version_xml(session, user, definition_id)
    against = _compared_with(session, definition)
    if against is None:
        return VersionDiff(definition, None, [])
    changes = diff_diagrams(against.bpmn_xml.encode("utf-8"), definition.bpmn_xml.encode("utf-8"))
    return VersionDiff(definition, against, changes)


def _compared_with(session: Session, definition: ProcessDefinition) -> ProcessDefinition | None:
    def newest(*conditions: ColumnElement[bool]) -> ProcessDefinition | None:
        return session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.process_key == definition.process_key, *conditions)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        ).first()

    earlier = ProcessDefinition.version < definition.version
    if definition.region is None:
        return newest(ProcessDefinition.region.is_(None), earlier)
    return newest(ProcessDefinition.region.is_(None)) or newest(ProcessDefinition.region == definition.region, earlier)


@dataclass(frozen=True)
class Proposal:
    """What deploying an edit would do, shown for the designer to confirm: the changes against the version edited
    (`against`, as `VersionDiff` names it, so the diff list shows them), the version that would follow and the one
    new cases of the designer's scope start on now."""

    against: ProcessDefinition
    changes: list[ElementChange]
    scope: str | None
    next_version: int
    replaces: ProcessDefinition | None
    same_text: bool
    """The edit is the version edited, byte for byte: deploying creates nothing."""

    def of_kind(self, kind: str) -> list[ElementChange]:
        return [change for change in self.changes if change.kind == kind]


def proposal(session: Session, user: Actor, definition_id: int, data: bytes) -> Proposal:
    """Check an edit of a version as its deployment would (`InvalidDiagram` naming each element) and say what
    deploying it changes; stores nothing."""
    edited = version_xml(session, user, definition_id)
    scope = designer_scope(user)
    visible = visible_keys(session, scope)
    check_diagram(data, visible)
    text = diagram_text(data)
    key = main_process_id(check_diagram(text.encode("utf-8"), visible))
    newest = session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == key))
    try:
        replaces: ProcessDefinition | None = latest_definition(session, key, scope)
    except NotFound:
        replaces = None
    return Proposal(
        against=edited,
        changes=diff_diagrams(edited.bpmn_xml.encode("utf-8"), text.encode("utf-8")),
        scope=scope,
        next_version=(newest or 0) + 1,
        replaces=replaces,
        same_text=text == edited.bpmn_xml,
    )
