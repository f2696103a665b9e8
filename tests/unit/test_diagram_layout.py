"""The shipped diagrams read cleanly: no edge runs through a shape it does not connect, no two labels overlap and
every flow's name sits by its own edge (tests/diagram_layout.py), for every diagram under processes/bpmn/, each
of which is its sketch drafted (so a redraft keeps it tidy). The check on the rendered SVG is
tests/browser/test_browser_diagrams.py."""

import sys
from pathlib import Path

import pytest
from lxml import etree

from tests.diagram_layout import NS, Box, faults

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
SHIPPED = sorted(str(path.relative_to(PROCESSES / "bpmn").with_suffix("")) for path in PROCESSES.glob("bpmn/**/*.bpmn"))
sys.path.insert(0, str(PROCESSES))
import draft  # noqa: E402  (processes/draft.py is a tool, not a package)

CROWDED = {
    "id": "crowded",
    "name": "交叉示例",
    "lanes": ["受理窗口"],
    "node": [
        {"id": "start", "type": "startEvent", "name": "开始", "lane": "受理窗口", "column": 0},
        {"id": "check", "type": "exclusiveGateway", "name": "是否齐全", "lane": "受理窗口", "column": 1},
        {"id": "work", "type": "userTask", "name": "办理", "lane": "受理窗口", "column": 2, "formKey": "review"},
        {"id": "done", "type": "endEvent", "name": "办结", "lane": "受理窗口", "column": 3},
    ],
    "flow": [
        {"from": "start", "to": "check"},
        {"from": "check", "to": "work", "name": "齐全", "label": {"column": 0.5, "y": 80}},
        {"from": "check", "to": "done", "name": "不齐全", "label": {"column": 2.6, "y": 75}},
        {"from": "work", "to": "done", "name": "完成"},
    ],
}


@pytest.mark.parametrize("name", SHIPPED)
def test_the_diagram_has_no_layout_fault(name):
    assert faults((PROCESSES / "bpmn" / f"{name}.bpmn").read_bytes()) == []


@pytest.mark.parametrize("name", SHIPPED)
def test_the_diagram_is_its_sketch_drafted(name):
    """The layout is kept in the sketch, so a redraft keeps it tidy."""
    sketch = draft.tomllib.loads((PROCESSES / "sketches" / f"{name}.toml").read_text("utf-8"))
    assert draft.draft(sketch) == (PROCESSES / "bpmn" / f"{name}.bpmn").read_text("utf-8")


def test_every_sketch_is_a_shipped_diagram():
    sketches = sorted(
        str(p.relative_to(PROCESSES / "sketches").with_suffix("")) for p in PROCESSES.glob("sketches/**/*.toml")
    )
    assert sketches == SHIPPED


def test_the_deadline_labels_under_a_task_keep_apart_and_off_the_edges():
    """即将超期 left of its edge, 超期 and 超期通报 right of theirs, with room between them (they used to touch)."""
    text = draft.draft(draft.tomllib.loads((PROCESSES / "sketches" / "centre_only.toml").read_text("utf-8")))
    labels = _deadline_labels(text)
    warning, overdue, escalation = labels["即将超期"], labels["超期"], labels["超期通报"]
    assert warning.x + warning.w + 8 <= overdue.x and overdue.x + overdue.w + 8 <= escalation.x


def _deadline_labels(text):
    """The DI label box of each deadline timer name, on the first task carrying it."""
    root = etree.fromstring(text.encode("utf-8"))
    names = {e.get("id"): e.get("name") for e in root.iter("{*}boundaryEvent")}
    found = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        if shape.get("bpmnElement") in names and names[shape.get("bpmnElement")] not in found:
            b = shape.find("bpmndi:BPMNLabel/dc:Bounds", NS)
            found[names[shape.get("bpmnElement")]] = Box(*(float(b.get(k)) for k in ("x", "y", "width", "height")))
    return found


def test_an_edge_through_a_shape_and_a_label_on_another_edge_are_reported():
    found = faults(draft.draft(CROWDED).encode("utf-8"))
    assert "Flow_3 (check→done) crosses work" in found
    assert "labels of Flow_3 and Flow_4 overlap" in found
    assert "label of Flow_2 is nearer Flow_1 than its own edge" in found


def test_routing_through_via_points_clears_the_shape():
    sketch = {**CROWDED, "flow": [dict(f) for f in CROWDED["flow"]]}
    sketch["flow"][1].pop("label")
    sketch["flow"][2] |= {"via": [{"column": 1, "y": 15}, {"column": 3, "y": 15}], "label": {"column": 1.2, "y": 30}}
    assert faults(draft.draft(sketch).encode("utf-8")) == []
