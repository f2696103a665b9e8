"""Renaming the process of an uploaded diagram, when its id is already taken by an unrelated process."""

import re
from collections.abc import Collection

from lxml import etree

from engine.bpmn.xmlread import BPMN_NS, parse_diagram_xml

MAX_BYTES = 2_000_000
ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
_REFERENCES = ("processRef", "calledElement", "bpmnElement")
"""Attributes that name a process: a participant's, a call activity's (a call within the file), a diagram plane's."""


def id_problem(new_id: str) -> str | None:
    """Why `new_id` cannot name a process, or None."""
    if not ID_PATTERN.match(new_id):
        return "流程标识须以字母或下划线开头，只含字母、数字、下划线、点和连字符，不超过 100 个字符"
    return None


def suggested_id(process_id: str, taken: Collection[str]) -> str:
    """The first of `<id>_2`, `<id>_3`, … that no deployed process uses."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", process_id)[:90] or "process"
    if not re.match(r"^[A-Za-z_]", stem):
        stem = f"p_{stem}"
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


def renamed(data: bytes, old_id: str, new_id: str) -> bytes:
    """The diagram with process `old_id` called `new_id`, and every reference to it (participants, call
    activities within the file, diagram planes) following; written back as UTF-8."""
    root = parse_diagram_xml(data, max_bytes=MAX_BYTES)
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == old_id:
            process.set("id", new_id)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in _REFERENCES:
            if element.get(attribute) == old_id:
                element.set(attribute, new_id)
    result: bytes = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    return result
