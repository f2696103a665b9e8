"""Forms that diagrams of other engines describe, kept with the process version that shows them.

The converter (`engine.bpmn.vendor`) turns Activiti/Flowable `formProperty`, Camunda `formData`/`formField` and
Camunda Forms JSON into a description (`forms.described`) and writes it into the diagram: the user task's spiff
properties `formKey` (`vendor_…`, derived from the description) and `formDescription` (the JSON). So a version
carries its forms wherever its bytes go (download, modeler, another installation). A deployment registers them
(`register_in`) and stores them in `ProcessDefinition.forms`, where a server process that has not deployed the
version finds them (`description_of`, the resolver `forms.registry` asks).
"""

import json
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.bpmn.xmlread import BPMN_NS, Element, XmlRefused, parse_diagram_xml
from engine.core.models import ProcessDefinition
from forms import described, registry

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DESCRIPTION_PROPERTY = "formDescription"
MAX_BYTES = 2_000_000

_engine: Engine | None = None


def _properties(task: Element) -> dict[str, str]:
    found = task.findall(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property")
    return {p.get("name"): p.get("value") for p in found if p.get("name") and p.get("value") is not None}


def described_in_tree(root: Element) -> dict[str, dict[str, Any]]:
    """Form key → description of every user task whose description is sound and names its key."""
    found: dict[str, dict[str, Any]] = {}
    for task in root.iter(f"{{{BPMN_NS}}}userTask"):
        properties = _properties(task)
        key, text = properties.get("formKey", ""), properties.get(DESCRIPTION_PROPERTY)
        if text is None or not described.is_described_key(key):
            continue
        try:
            description = json.loads(text)
            described.build(description)
        except (ValueError, described.DescriptionInvalid):
            continue
        if described.form_key(description) == key:
            found[key] = description
    return found


def described_in(data: bytes) -> dict[str, dict[str, Any]]:
    """The sound vendor forms a diagram describes (none when it cannot be read: validation says why)."""
    try:
        root = parse_diagram_xml(data, max_bytes=MAX_BYTES)
    except XmlRefused:
        return {}
    return described_in_tree(root)


def register_in(data: bytes) -> dict[str, dict[str, Any]]:
    """Make the diagram's described forms known to this process; returns them (for `ProcessDefinition.forms`)."""
    found = described_in(data)
    for description in found.values():
        registry.register_described(description)
    return found


def description_element(description: dict[str, Any]) -> str:
    """The JSON a diagram keeps in `formDescription`."""
    return json.dumps(description, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def bind(engine: Engine) -> None:
    """Read unregistered descriptions from this database (set by the application at start)."""
    global _engine
    _engine = engine
    registry.resolve_described_with(description_of)


_DESCRIBED_VERSIONS = select(ProcessDefinition.forms).where(ProcessDefinition.forms.is_not(None))


def description_of(form_key: str) -> dict[str, Any] | None:
    """The description a stored version keeps under `form_key`, on a connection of its own (once per key and
    process: keys are content-derived, so a found description never changes)."""
    if _engine is None:
        return None
    with Session(_engine) as session:
        for forms in session.scalars(_DESCRIBED_VERSIONS):
            if isinstance(forms, dict) and isinstance(forms.get(form_key), dict):
                found: dict[str, Any] = forms[form_key]
                return found
    return None
