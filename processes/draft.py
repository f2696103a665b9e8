"""Draft a BPMN diagram, with lanes and layout (DI), from a short TOML sketch.

Designers own the `.bpmn` files and edit them in a modeler; this tool only writes the first
draft of a flow so that every diagram opens with a readable layout in any BPMN modeler.

    python processes/draft.py processes/sketches/fc_outpatient_reimbursement.toml

A sketch names the process, its lanes (top to bottom), its nodes (each in a lane and a
column) and its flows. A `callActivity` node names the process it calls (`calledElement`);
a sketch with `shared = true` is a sub-flow other diagrams call, drafted into bpmn/shared/.
A sketch with `rows = 2` draws its lanes twice as high, for nodes with `row = 1` below the others.
A `receiveTask` node waits for the message it names (`message`, the id of one of the sketch's
`[[message]]` entries, each with an `id` and the `name` outside systems send).
A user task with a `stage` and `deadlines = true` gets its 即将超期/超期/超期通报 timers and the
督办 steps they open (see `with_deadlines`); `clock = "pause" | "restart"` marks the 补正 clock rule.
A `boundaryEvent` node of the sketch sits on the task it is `attachedTo` (at `offset` 0, 1, …): a `timer` or a
`message` (a `[[message]]` id), interrupting when `interrupting = true`. A task with `multiInstance = { cardinality,
output, item }` runs in parallel that many times (an expression), collecting each instance's `item` into `output`.
A flow may be routed through `via` points (`{ column, y }`: a column's centre, pixels from the pool's top) where the
default route would run through another shape, and its name placed with `label = { column, y }` (the label's centre)
where the default place would crowd another label (by default a name sits beside the first stretch of its edge,
just past the source). A flow with an `id` keeps it; the others are numbered Flow_1, Flow_2, … in order.
A `serviceTask` is an external task of its `topic`. An `[[error]]` entry (`id`, `name`, `code`) is thrown by an
`endEvent` and caught by a `boundaryEvent` naming it (`error`); `definition` names an event's definition.
The names of events and gateways are placed clear of the edges at their ports, and a boundary event's beside its
edge, so that the three deadline labels under a task neither touch nor sit on the lines.
See processes/sketches/ for examples.
"""

import sys
import tomllib
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

LANE_HEIGHT = 150
COLUMN_WIDTH = 160
LANE_LABEL = 30
LEFT = 40
SIZES = {
    "boundaryEvent": (36, 36),
    "startEvent": (36, 36),
    "endEvent": (36, 36),
    "exclusiveGateway": (50, 50),
    "userTask": (110, 80),
    "scriptTask": (110, 80),
    "callActivity": (110, 80),
    "receiveTask": (110, 80),
    "serviceTask": (110, 80),
}
ACTIVITIES = {"userTask", "scriptTask", "callActivity", "receiveTask", "serviceTask"}  # names drawn inside
CHAR_WIDTH, LINE_HEIGHT, CHARS_PER_LINE = 12, 14, 7  # the case page draws labels in 12-px text, 90 px wide
BOUNDARY_SPACING = 45  # between boundary events on one task: room for a short name between their edges
NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
)


SUPERVISOR_LANE = "督办员"
SUPERVISOR_ABOVE_LANE = "上级督办员"
DEADLINE_TIMERS = (
    # (suffix, name, deadline kind, timer expression on the stage's due instant)
    ("warning", "即将超期", "warning", "working_days_before({due}, warn_days)"),
    ("overdue", "超期", "overdue", "{due}"),
    ("escalation", "超期通报", "escalation", "working_days_overdue({due}, 5)"),
)


def with_deadlines(sketch: dict) -> dict:
    """Give every node marked `deadlines = true` its three deadline timers and their 督办 steps.

    On a task of stage S: 即将超期 `warn_days` working days before S's due instant; 超期 at it,
    opening a 催办 for the 督办员 of the unit holding the task; 超期通报 when still open 5 working
    days later, opening a task for the 督办员 one level up, drawn right of the 催办 and reached over it.
    """
    nodes, flows, lanes = list(sketch["node"]), list(sketch["flow"]), list(sketch["lanes"])
    for task in [n for n in sketch["node"] if n.get("deadlines")]:
        due = f'stage_due(limits.get("{task["stage"]}"), case_due)'
        for offset, (suffix, name, kind, expression) in enumerate(DEADLINE_TIMERS):
            event_id = f"{task['id']}_{suffix}"
            nodes.append(
                {
                    "id": event_id,
                    "type": "boundaryEvent",
                    "name": name,
                    "lane": task["lane"],
                    "column": task["column"],
                    "attachedTo": task["id"],
                    "offset": offset,
                    "deadline": kind,
                    "timer": expression.format(due=due),
                }
            )
        warned = {
            "id": f"{task['id']}_warned",
            "type": "endEvent",
            "name": "已提醒",
            "lane": SUPERVISOR_LANE,
            "column": task["column"] - 0.4,
        }
        urge = {
            "id": f"{task['id']}_urge",
            "type": "userTask",
            "name": f"催办（{task['name']}）",
            "lane": SUPERVISOR_LANE,
            "column": task["column"] + 0.15,
            "formKey": "urge",
        }
        urged = {
            "id": f"{task['id']}_urged",
            "type": "endEvent",
            "name": "已催办",
            "lane": SUPERVISOR_LANE,
            "column": task["column"] + 0.65,
        }
        escalate = {
            "id": f"{task['id']}_escalate",
            "type": "userTask",
            "name": f"超期通报（{task['name']}）",
            "lane": SUPERVISOR_ABOVE_LANE,
            "column": task["column"] + 0.85,
            "formKey": "escalation_notice",
        }
        escalated = {
            "id": f"{task['id']}_escalated",
            "type": "endEvent",
            "name": "已通报",
            "lane": SUPERVISOR_ABOVE_LANE,
            "column": task["column"] + 1.35,
        }
        nodes += [warned, urge, urged, escalate, escalated]
        flows += [
            {"from": f"{task['id']}_warning", "to": warned["id"]},
            {"from": f"{task['id']}_overdue", "to": urge["id"]},
            {"from": urge["id"], "to": urged["id"]},
            {"from": f"{task['id']}_escalation", "to": escalate["id"], "over": urge["id"]},
            {"from": escalate["id"], "to": escalated["id"]},
        ]
        lanes += [lane for lane in (SUPERVISOR_LANE, SUPERVISOR_ABOVE_LANE) if lane not in lanes]
    return {**sketch, "node": nodes, "flow": flows, "lanes": lanes}


def _bounds(node, lanes, nodes, lane_height=LANE_HEIGHT):
    width, height = SIZES[node["type"]]
    if node["type"] == "boundaryEvent":
        x, y, w, h = _bounds(nodes[node["attachedTo"]], lanes, nodes, lane_height)
        return x + 2 + node["offset"] * BOUNDARY_SPACING, y + h - height // 2, width, height
    lane_top = lanes.index(node["lane"]) * lane_height
    cx = _column_x(node["column"])
    cy = lane_top + LANE_HEIGHT // 2 + node.get("row", 0) * LANE_HEIGHT
    return cx - width // 2, cy - height // 2, width, height


def _column_x(column):
    return LEFT + LANE_LABEL + COLUMN_WIDTH // 2 + int(column * COLUMN_WIDTH)


def _port(box, toward):
    """Where an edge leaves (or enters) `box` on its way to (from) the point `toward`: the side facing it."""
    x, y, w, h = box
    tx, ty = toward
    if x <= tx <= x + w:
        return (tx, y + h) if ty > y + h else (tx, y)
    return (x + w, ty) if tx > x + w else (x, ty)


def _routed(src, tgt, via):
    """Waypoints through the `via` points, leaving and entering the shapes on the sides facing them."""
    return [_port(src, via[0]), *via, _port(tgt, via[-1])]


def _over(src, tgt, shape):
    """Via points in the gap above `shape` (none without one), for an edge that would run through it."""
    if shape is None:
        return []
    gap = shape[1] - (LANE_HEIGHT - shape[3]) // 4
    return [(src[0] + src[2] // 2, gap), (tgt[0] + tgt[2] // 2, gap)]


def _text_size(name):
    return min(len(name), CHARS_PER_LINE) * CHAR_WIDTH, LINE_HEIGHT * -(-len(name) // CHARS_PER_LINE)


def _label_xml(name, centre):
    """DI bounds of a name centred on `centre`, one line per CHARS_PER_LINE characters."""
    width, height = _text_size(name)
    x, y = int(centre[0] - width / 2), int(centre[1] - height / 2)
    return f'<bpmndi:BPMNLabel><dc:Bounds x="{x}" y="{y}" width="{width}" height="{height}" /></bpmndi:BPMNLabel>'


def _flow_label(name, route):
    """Centre of a flow's name beside the first stretch of its edge, just past the source: above a horizontal
    stretch, right of a vertical one."""
    (x0, y0), (x1, y1) = route[0], route[1]
    width, height = _text_size(name)
    if y0 == y1:
        ahead = 1 if x1 >= x0 else -1
        return x0 + ahead * (6 + width / 2), y0 - 3 - height / 2
    ahead = 1 if y1 >= y0 else -1
    return x0 + 5 + width / 2, y0 + ahead * (6 + height / 2)


def _shape_label(node, box, sides, others):
    """Centre of an event's or gateway's name: below it, else above it where an edge meets its bottom, else above
    and left of the edge at its top. A boundary event's name sits right of its edge below the task, or left of it where the next boundary
    event on the task leaves too little room."""
    x, y, w, h = box
    width, height = _text_size(node["name"])
    if node["type"] == "boundaryEvent":
        right = [other[0] for other in others if other[1] == y and other[0] > x]
        top = y + h + 2 + height / 2
        if not right or min(right) - (x + w / 2) >= width + 12:
            return x + w / 2 + 5 + width / 2, top
        return x + w / 2 - 5 - width / 2, top
    if "bottom" not in sides:
        return x + w / 2, y + h + 2 + height / 2
    if "top" not in sides:
        return x + w / 2, y - 2 - height / 2
    return x + w / 2 - 4 - width / 2, y - 2 - height / 2


def _side(box, point):
    """Which side of `box` an edge's end `point` lies on."""
    x, y, w, h = box
    if point[1] >= y + h:
        return "bottom"
    if point[1] <= y:
        return "top"
    return "right" if point[0] >= x + w else "left"


def _waypoints(src, tgt):
    sx, sy, sw, sh = src
    tx, ty, tw, th = tgt
    s_mid, t_mid = sy + sh // 2, ty + th // 2
    s_centre = sx + sw // 2
    if ty > sy + sh:
        if tx <= s_centre <= tx + tw:
            return [(s_centre, sy + sh), (s_centre, ty)]
        edge = tx if tx > s_centre else tx + tw
        return [(s_centre, sy + sh), (s_centre, t_mid), (edge, t_mid)]
    if tx > sx:
        start, end = (sx + sw, s_mid), (tx, t_mid)
        if s_mid == t_mid:
            return [start, end]
        bend = (start[0] + end[0]) // 2
        return [start, (bend, s_mid), (bend, t_mid), end]
    below = max(sy + sh, ty + th) + 25
    return [(sx + sw // 2, sy + sh), (sx + sw // 2, below), (tx + tw // 2, below), (tx + tw // 2, ty + th)]


def _extension(node):
    props = {k: node[k] for k in ("formKey", "stage", "clock", "deadline", "topic") if k in node}
    if not props:
        return ""
    rows = "".join(f'<spiffworkflow:property name="{k}" value={quoteattr(str(v))} />' for k, v in props.items())
    return (
        f"<bpmn:extensionElements><spiffworkflow:properties>{rows}</spiffworkflow:properties></bpmn:extensionElements>"
    )


def _node_xml(node, incoming, outgoing, default_flow):
    attrs = f'id="{node["id"]}" name={quoteattr(node["name"])}'
    if default_flow:
        attrs += f' default="{default_flow}"'
    body = _extension(node)
    body += "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f in incoming)
    body += "".join(f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f in outgoing)
    if node["type"] == "scriptTask":
        body += f"<bpmn:script>{escape(node['script'])}</bpmn:script>"
    if node["type"] == "callActivity":
        attrs += f' calledElement="{node["calledElement"]}"'
    if node["type"] == "receiveTask":
        attrs += f' messageRef="{node["message"]}"'
    definition = f' id="{node["definition"]}"' if "definition" in node else ""
    if node["type"] == "boundaryEvent":
        attrs += f' attachedToRef="{node["attachedTo"]}"'
        if "error" not in node:  # an error always interrupts
            attrs += f' cancelActivity="{"true" if node.get("interrupting") else "false"}"'
        if "message" in node:
            body += f'<bpmn:messageEventDefinition messageRef="{node["message"]}" />'
        elif "timer" in node:
            body += (
                f"<bpmn:timerEventDefinition{definition}><bpmn:timeDate>{escape(node['timer'])}</bpmn:timeDate>"
                "</bpmn:timerEventDefinition>"
            )
    if "error" in node:
        body += f'<bpmn:errorEventDefinition{definition} errorRef="{node["error"]}" />'
    if "multiInstance" in node:
        loop = node["multiInstance"]
        body += (
            "<bpmn:multiInstanceLoopCharacteristics>"
            f"<bpmn:loopCardinality>{escape(loop['cardinality'])}</bpmn:loopCardinality>"
            f"<bpmn:loopDataOutputRef>{loop['output']}</bpmn:loopDataOutputRef>"
            f'<bpmn:outputDataItem id="{loop["item"]}" name="{loop["item"]}" />'
            "</bpmn:multiInstanceLoopCharacteristics>"
        )
    return f"<bpmn:{node['type']} {attrs}>{body}</bpmn:{node['type']}>"


def draft(sketch: dict) -> str:
    sketch = with_deadlines(sketch)
    lanes = sketch["lanes"]
    nodes = {n["id"]: n for n in sketch["node"]}
    flows = sketch["flow"]
    pid = sketch["id"]
    incoming = {n: [] for n in nodes}
    outgoing = {n: [] for n in nodes}
    defaults = {}
    unnamed = (f for f in flows if "id" not in f)
    for i, f in enumerate(unnamed):
        f["id"] = f"Flow_{i + 1}"
    for f in flows:
        outgoing[f["from"]].append(f["id"])
        incoming[f["to"]].append(f["id"])
        if f.get("default"):
            defaults[f["from"]] = f["id"]

    lane_height = LANE_HEIGHT * sketch.get("rows", 1)
    total_width = LANE_LABEL + int(COLUMN_WIDTH * (1 + max(n["column"] for n in nodes.values()))) + 40
    lane_xml = "".join(
        f'<bpmn:lane id="Lane_{i + 1}" name={quoteattr(name)}>'
        + "".join(f"<bpmn:flowNodeRef>{n['id']}</bpmn:flowNodeRef>" for n in nodes.values() if n["lane"] == name)
        + "</bpmn:lane>"
        for i, name in enumerate(lanes)
    )
    node_xml = "".join(
        _node_xml(n, incoming[n["id"]], outgoing[n["id"]], defaults.get(n["id"])) for n in nodes.values()
    )
    flow_xml = ""
    for f in flows:
        name = f' name={quoteattr(f["name"])}' if "name" in f else ""
        cond = ""
        if "condition" in f:
            cond = f'<bpmn:conditionExpression>{escape(f["condition"])}</bpmn:conditionExpression>'
        flow_xml += f'<bpmn:sequenceFlow id="{f["id"]}" sourceRef="{f["from"]}" targetRef="{f["to"]}"{name}>{cond}</bpmn:sequenceFlow>'

    shapes = [
        f'<bpmndi:BPMNShape id="Participant_{pid}_di" bpmnElement="Participant_{pid}" isHorizontal="true">'
        f'<dc:Bounds x="{LEFT}" y="0" width="{total_width}" height="{lane_height * len(lanes)}" /></bpmndi:BPMNShape>'
    ]
    for i, _ in enumerate(lanes):
        shapes.append(
            f'<bpmndi:BPMNShape id="Lane_{i + 1}_di" bpmnElement="Lane_{i + 1}" isHorizontal="true">'
            f'<dc:Bounds x="{LEFT + LANE_LABEL}" y="{i * lane_height}" width="{total_width - LANE_LABEL}" '
            f'height="{lane_height}" /></bpmndi:BPMNShape>'
        )
    bounds = {nid: _bounds(n, lanes, nodes, lane_height) for nid, n in nodes.items()}
    routes, sides = {}, {nid: set() for nid in nodes}
    for f in flows:
        src, tgt = bounds[f["from"]], bounds[f["to"]]
        via = [(_column_x(p["column"]), p["y"]) for p in f.get("via", [])] or _over(src, tgt, bounds.get(f.get("over")))
        routes[f["id"]] = route = _routed(src, tgt, via) if via else _waypoints(src, tgt)
        sides[f["from"]].add(_side(src, route[0]))
        sides[f["to"]].add(_side(tgt, route[-1]))
    boundaries = [bounds[nid] for nid, n in nodes.items() if n["type"] == "boundaryEvent"]
    for nid, (x, y, w, h) in bounds.items():
        node = nodes[nid]
        marker = ' isMarkerVisible="true"' if node["type"] == "exclusiveGateway" else ""
        label = ""
        if node.get("name") and node["type"] not in ACTIVITIES:
            label = _label_xml(node["name"], _shape_label(node, (x, y, w, h), sides[nid], boundaries))
        shapes.append(
            f'<bpmndi:BPMNShape id="{nid}_di" bpmnElement="{nid}"{marker}>'
            f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" />{label}</bpmndi:BPMNShape>'
        )
    for f in flows:
        route = routes[f["id"]]
        points = "".join(f'<di:waypoint x="{x}" y="{y}" />' for x, y in route)
        label = ""
        if "name" in f:
            centre = (
                (_column_x(f["label"]["column"]), f["label"]["y"]) if "label" in f else _flow_label(f["name"], route)
            )
            label = _label_xml(f["name"], centre)
        shapes.append(f'<bpmndi:BPMNEdge id="{f["id"]}_di" bpmnElement="{f["id"]}">{points}{label}</bpmndi:BPMNEdge>')

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions {NS} id="Definitions_{pid}" targetNamespace="http://yibao-flow/bpmn">'
        + "".join(f'<bpmn:message id="{m["id"]}" name={quoteattr(m["name"])} />' for m in sketch.get("message", []))
        + "".join(
            f'<bpmn:error id="{e["id"]}" name={quoteattr(e["name"])} errorCode="{e["code"]}" />'
            for e in sketch.get("error", [])
        )
        + f'<bpmn:collaboration id="Collaboration_{pid}"><bpmn:participant id="Participant_{pid}" '
        f'name={quoteattr(sketch["name"])} processRef="{pid}" /></bpmn:collaboration>'
        f'<bpmn:process id="{pid}" name={quoteattr(sketch["name"])} isExecutable="true">'
        f"<bpmn:laneSet id=\"LaneSet_{pid}\">{lane_xml}</bpmn:laneSet>{node_xml}{flow_xml}</bpmn:process>"
        f'<bpmndi:BPMNDiagram id="Diagram_{pid}"><bpmndi:BPMNPlane id="Plane_{pid}" bpmnElement="Collaboration_{pid}">'
        + "".join(shapes)
        + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>\n"
    )


def main(paths: list[str]) -> None:
    for path in map(Path, paths):
        sketch = tomllib.loads(path.read_text(encoding="utf-8"))
        folder = Path(__file__).parent / "bpmn" / ("shared" if sketch.get("shared") else "")
        target = folder / f"{sketch['id']}.bpmn"
        target.write_text(draft(sketch), encoding="utf-8")
        print(target)


if __name__ == "__main__":
    main(sys.argv[1:])
