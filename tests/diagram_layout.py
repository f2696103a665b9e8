"""Layout faults of a diagram's DI, as a reader of the rendered diagram would see them.

An edge must not run through a shape it does not connect, two labels must not overlap, and a sequence flow's
label must sit nearer its own edge than any other. Labels without DI bounds are placed as bpmn-js places them:
below an event or gateway, at the middle of an edge's waypoints, wrapped at 90 px in 12 px text.
"""

import math
from dataclasses import dataclass

from lxml import etree

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
CONTAINERS = {"participant", "lane", "laneSet", "subProcess"}
EXTERNAL_LABELS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
LABEL_WIDTH, FONT_SIZE, LINE_HEIGHT = 90, 12, 14.4
SLACK = 1  # a segment touching a shape's border is not through it


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: "Box") -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


def _text_box(text: str, mid_x: float, top: float) -> Box:
    width = min(LABEL_WIDTH, len(text) * FONT_SIZE)
    lines = math.ceil(len(text) * FONT_SIZE / LABEL_WIDTH)
    return Box(mid_x - width / 2, top, width, lines * LINE_HEIGHT)


def _bounds(element) -> Box:
    b = element.find("dc:Bounds", NS)
    return Box(*(float(b.get(k)) for k in ("x", "y", "width", "height")))


def _edge_mid(points):
    mid = len(points) / 2 - 1
    (x1, y1), (x2, y2) = points[math.floor(mid)], points[math.ceil(mid + 0.01)]
    return (x1 + x2) / 2, (y1 + y2) / 2


def _crosses(p, q, box: Box) -> bool:
    """Whether segment p–q (horizontal or vertical, or any line) enters the inside of `box`."""
    x0, y0, x1, y1 = box.x + SLACK, box.y + SLACK, box.x + box.w - SLACK, box.y + box.h - SLACK
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for edge_p, edge_q in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return t0 < t1


def _distance(point, p, q) -> float:
    (px, py), (ax, ay), (bx, by) = point, p, q
    dx, dy = bx - ax, by - ay
    span = dx * dx + dy * dy
    t = 0.0 if span == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / span))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def faults(diagram: bytes) -> list[str]:
    """Every layout fault of a diagram's DI, in words naming the elements."""
    root = etree.fromstring(diagram)
    elements = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}

    def kind(element_id):
        return etree.QName(elements[element_id]).localname

    shapes, edges, labels = {}, {}, {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        ref = shape.get("bpmnElement")
        if kind(ref) in CONTAINERS:
            continue
        shapes[ref] = box = _bounds(shape)
        name = elements[ref].get("name")
        label = shape.find("bpmndi:BPMNLabel", NS)
        if name and label is not None and label.find("dc:Bounds", NS) is not None:
            labels[ref] = _bounds(label)
        elif name and (kind(ref) in EXTERNAL_LABELS or kind(ref).endswith("Gateway")):
            labels[ref] = _text_box(name, box.x + box.w / 2, box.y + box.h)
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        ref = edge.get("bpmnElement")
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        edges[ref] = points
        name = elements[ref].get("name")
        label = edge.find("bpmndi:BPMNLabel", NS)
        if name and label is not None and label.find("dc:Bounds", NS) is not None:
            labels[ref] = _bounds(label)
        elif name:
            mid_x, mid_y = _edge_mid(points)
            labels[ref] = _text_box(name, mid_x, mid_y - LINE_HEIGHT / 2)

    found = []
    for ref, points in edges.items():
        ends = {elements[ref].get("sourceRef"), elements[ref].get("targetRef")}
        for shape_id, box in shapes.items():
            if shape_id in ends:
                continue
            if any(_crosses(p, q, box) for p, q in zip(points, points[1:])):
                found.append(f"{ref} ({'→'.join(sorted(ends))}) crosses {shape_id}")
    named = sorted(labels)
    for i, a in enumerate(named):
        for b in named[i + 1 :]:
            if labels[a].overlaps(labels[b]):
                found.append(f"labels of {a} and {b} overlap")
    for ref, box in labels.items():
        if ref not in edges:
            continue
        centre = (box.x + box.w / 2, box.y + box.h / 2)
        own = min(_distance(centre, p, q) for p, q in zip(edges[ref], edges[ref][1:]))
        for other, points in edges.items():
            if other != ref and min(_distance(centre, p, q) for p, q in zip(points, points[1:])) < own:
                found.append(f"label of {ref} is nearer {other} than its own edge")
                break
    return found
