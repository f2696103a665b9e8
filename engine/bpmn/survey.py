"""A survey of a folder of diagrams a 医保局 brings: which deploy as they are, which after vendor conversion, which
once the candidate groups no table maps are given a role (what a designer does on the upload page), which are
refused (and for what first reason), and which start and reach their first person.

It runs in a rehearsal (`core.uow.rehearsal`): every deployment is real, checked and bound like any other, inside a
transaction that is rolled back at the end, so nothing of it is stored. Files are deployed in name order, so a
diagram may call a sub-flow deployed from an earlier file of the folder.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import deployment, error_texts, trial, vendor
from engine.bpmn.deployment import InvalidDiagram, ProcessIdClash
from engine.bpmn.validation import notes_of
from engine.core.errors import DomainError, Invalid
from engine.core.models import OrgUnit, ProcessDefinition, RoleGrant, User
from engine.org import group_roles
from engine.org.permissions import DESIGNER, SYSTEM, Actor

PLAIN = "plain"
CONVERTED = "converted"
MAPPED = "mapped"  # converted, with the groups no table maps given one role
PATTERNS = ("*.bpmn", "*.bpmn20.xml")  # Activiti and Flowable name their files name.bpmn20.xml


@dataclass
class Refusal:
    """The first reason a file was refused, with the line and element it names (when it names them)."""

    message: str
    line: int | None = None
    element_id: str | None = None
    more: int = 0  # further problems the designer will be shown at upload


@dataclass
class Finding:
    """What became of one file."""

    path: Path
    deployed: str | None = None
    refusal: Refusal | None = None
    started: trial.Trial | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Totals:
    files: int = 0
    plain: int = 0
    converted: int = 0
    mapped: int = 0
    refused: int = 0
    reached: int = 0


def diagram_files(directory: Path) -> list[Path]:
    """Every diagram under `directory`, in name order of its path."""
    return sorted({path for pattern in PATTERNS for path in directory.rglob(pattern) if path.is_file()})


def survey(
    session: Session,
    paths: Iterable[Path],
    *,
    convert: bool = False,
    region: str | None = None,
    map_groups: str | None = None,
) -> list[Finding]:
    """Deploy each file for `region` (None: the base) as the system would, converting vendor diagrams when
    `convert` and a plain deployment is refused, and, with `map_groups` (a role), once more with every candidate
    group the region's table leaves unmapped given that role; then try what deployed up to its first person."""
    if map_groups is not None and map_groups not in group_roles.role_choices():
        raise Invalid("角色不存在", {"map_groups": [f"没有角色“{map_groups}”"]})
    actor = _designer_of(session, region)
    accepting = trial.accepting_unit(session, region)
    findings = []
    for path in paths:
        finding = Finding(path)
        findings.append(finding)
        try:
            data = path.read_bytes()
        except OSError as unreadable:
            finding.refusal = Refusal(f"无法读取文件（{unreadable.strerror}）")
            continue
        definition = _deployed(session, actor, finding, data, convert or map_groups is not None, map_groups)
        if definition is not None and accepting is not None:
            finding.started = trial.first_person(session, definition, accepting)
    return findings


def totals(findings: list[Finding]) -> Totals:
    counted = Totals(files=len(findings))
    for finding in findings:
        counted.plain += finding.deployed == PLAIN
        counted.converted += finding.deployed == CONVERTED
        counted.mapped += finding.deployed == MAPPED
        counted.refused += finding.deployed is None
        counted.reached += finding.started is not None and finding.started.outcome == trial.PERSON
    return counted


def _deployed(
    session: Session, actor: Actor, finding: Finding, data: bytes, convert: bool, map_groups: str | None
) -> ProcessDefinition | None:
    name = finding.path.name
    try:
        definition, _created = deployment.deploy(session, actor, data, name)
        finding.deployed = PLAIN
    except (InvalidDiagram, ProcessIdClash, Invalid) as refused:
        finding.refusal = _first_reason(refused)
        if not convert:
            return None
        converted = _converted(session, actor, finding, data, map_groups)
        if converted is None:
            return None
        definition = converted
    except DomainError as failure:
        finding.refusal = Refusal(failure.message)
        return None
    except Exception as failure:  # a file must never end the survey of the others
        finding.refusal = Refusal(f"部署时出错：{error_texts.of_exception(failure)}")
        return None
    finding.notes = [note.message for note in notes_of(definition.bpmn_xml.encode("utf-8"))]
    return definition


def _converted(
    session: Session, actor: Actor, finding: Finding, data: bytes, map_groups: str | None
) -> ProcessDefinition | None:
    """The vendor conversion's version, else None with the refusal; its unmapped groups given `map_groups`."""
    try:
        definition, _created, _conversion = vendor.deploy_vendor_diagram(session, actor, data, finding.path.name)
        finding.deployed, finding.refusal = CONVERTED, None
        return definition
    except (InvalidDiagram, ProcessIdClash, Invalid) as still_refused:
        finding.refusal = _first_reason(still_refused)
        unmapped = (
            still_refused.conversion.unmapped_groups if isinstance(still_refused, vendor.InvalidVendorDiagram) else []
        )
        if map_groups is None or not unmapped:
            return None
    groups = {group: map_groups for group in unmapped}
    try:
        definition, _created, _conversion = vendor.deploy_vendor_diagram(
            session, actor, data, finding.path.name, groups=groups
        )
    except (InvalidDiagram, ProcessIdClash, Invalid) as refused_mapped:
        finding.refusal = _first_reason(refused_mapped)
        return None
    finding.deployed, finding.refusal = MAPPED, None
    return definition


def _first_reason(refused: DomainError) -> Refusal:
    problems = getattr(refused, "problems", None)
    if problems:
        first = problems[0]
        return Refusal(first["message"], first.get("line"), first.get("element_id"), len(problems) - 1)
    messages = [message for messages in refused.errors.values() for message in messages] or [refused.message]
    return Refusal(messages[0])


def _designer_of(session: Session, region: str | None) -> Actor:
    """Who deploys: the system for the base, else a designer of the region's unit that exists only in this run."""
    if region is None:
        return SYSTEM
    unit = session.scalars(select(OrgUnit).where(OrgUnit.name == region).order_by(OrgUnit.code)).first()
    if unit is None:
        raise Invalid("地区不存在", {"region": [f"没有名为“{region}”的单位"]})
    designer = User(username="survey", display_name="流程普查", password_hash="!", org_id=unit.id)
    designer.role_grants = [RoleGrant(role=DESIGNER)]
    designer.org = unit
    return designer
