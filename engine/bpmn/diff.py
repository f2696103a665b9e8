"""What one version of a diagram changes against another, element by element (by element id).

`diff_diagrams` lists the elements added, removed and changed — a changed one names each of its facts that
differ: type, name, lane, form, stage, timer expressions, condition, script, called process. `related` says
whether an upload is a version of an existing diagram (its flow nodes found again by id or by name) or an
unrelated diagram that happens to use the same process id.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Literal

from engine.bpmn.xmlread import BPMN_NS, Element, local_name, parse_diagram_xml

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
MAX_BYTES = 2_000_000
RELATED_SHARE = 0.5
"""An upload is a version of an existing diagram when it keeps at least this share of its flow nodes (by id or name)."""

TYPE_LABELS = {
    "startEvent": "开始事件",
    "endEvent": "结束事件",
    "intermediateCatchEvent": "中间捕获事件",
    "intermediateThrowEvent": "中间抛出事件",
    "boundaryEvent": "边界事件",
    "task": "任务",
    "userTask": "用户任务",
    "manualTask": "人工任务",
    "serviceTask": "服务任务",
    "scriptTask": "脚本任务",
    "businessRuleTask": "业务规则任务",
    "sendTask": "发送任务",
    "receiveTask": "接收任务",
    "callActivity": "调用活动",
    "subProcess": "子流程",
    "transaction": "事务子流程",
    "exclusiveGateway": "排他网关",
    "inclusiveGateway": "包容网关",
    "parallelGateway": "并行网关",
    "eventBasedGateway": "事件网关",
    "complexGateway": "复杂网关",
    "sequenceFlow": "顺序流",
}
FIELD_LABELS = {
    "type": "类型",
    "name": "名称",
    "lane": "泳道",
    "form_key": "表单",
    "stage": "时限环节",
    "timers": "定时",
    "condition": "条件",
    "script": "脚本",
    "called": "调用流程",
}
_TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Facts:
    """What this product reads from one element of a diagram."""

    id: str
    type: str
    name: str = ""
    lane: str = ""
    form_key: str = ""
    stage: str = ""
    timers: str = ""
    condition: str = ""
    script: str = ""
    called: str = ""

    @property
    def is_flow(self) -> bool:
        return self.type == "sequenceFlow"


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    kind: ChangeKind
    type: str
    name: str
    fields: tuple[FieldChange, ...] = ()

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)


def elements_of(data: bytes) -> dict[str, Facts]:
    """The flow elements of every process of a diagram, in document order, by id."""
    root = parse_diagram_xml(data, max_bytes=MAX_BYTES)
    lanes = {
        (ref.text or "").strip(): " ".join((ref.getparent().get("name") or "").split())
        for ref in root.iter(f"{{{BPMN_NS}}}flowNodeRef")
    }
    found: dict[str, Facts] = {}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        for element in _flow_elements(process):
            element_id = element.get("id") or ""
            properties = _spiff_properties(element)
            found[element_id] = Facts(
                id=element_id,
                type=local_name(element),
                name=" ".join((element.get("name") or "").split()),
                lane=lanes.get(element_id, ""),
                form_key=properties.get("formKey", ""),
                stage=properties.get("stage", ""),
                timers=_timers(element),
                condition=_text(element.find(f"{{{BPMN_NS}}}conditionExpression")),
                script=_text(element.find(f"{{{BPMN_NS}}}script")),
                called=element.get("calledElement") or "",
            )
    return found


def _flow_elements(container: Element) -> Iterator[Element]:
    for child in container:
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        if local_name(child) in TYPE_LABELS and child.get("id"):
            yield child
            if local_name(child) in ("subProcess", "transaction"):
                yield from _flow_elements(child)


def _spiff_properties(element: Element) -> dict[str, str]:
    return {
        prop.get("name"): prop.get("value") or ""
        for prop in element.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property")
        if prop.get("name")
    }


def _timers(element: Element) -> str:
    texts = []
    for definition in element.iterfind(f"{{{BPMN_NS}}}timerEventDefinition"):
        for kind in _TIMER_KINDS:
            expression = definition.find(f"{{{BPMN_NS}}}{kind}")
            if expression is not None:
                texts.append(f"{kind}: {_text(expression)}")
    return "；".join(texts)


def _text(element: Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def diff_diagrams(base: bytes, other: bytes) -> list[ElementChange]:
    """What `other` changes against `base`: added elements, then changed ones, then removed ones, each group in
    the order of its diagram."""
    before, after = elements_of(base), elements_of(other)
    added = [ElementChange(i, "added", f.type, f.name) for i, f in after.items() if i not in before]
    changed = []
    for element_id, now in after.items():
        was = before.get(element_id)
        if was is None or was == now:
            continue
        differences = tuple(
            FieldChange(field.name, FIELD_LABELS[field.name], getattr(was, field.name), getattr(now, field.name))
            for field in fields(Facts)
            if field.name != "id" and getattr(was, field.name) != getattr(now, field.name)
        )
        changed.append(ElementChange(element_id, "changed", now.type, now.name or was.name, differences))
    removed = [ElementChange(i, "removed", f.type, f.name) for i, f in before.items() if i not in after]
    return [*added, *changed, *removed]


def related(existing: bytes, upload: bytes) -> bool:
    """True when `upload` keeps at least half of the flow nodes of `existing`, each found again by its id or by
    its name: an edit or a re-export of the same diagram, not a different one under the same process id."""
    old = [f for f in elements_of(existing).values() if not f.is_flow]
    new = [f for f in elements_of(upload).values() if not f.is_flow]
    if not old:
        return True
    ids = {f.id for f in new}
    names = Counter(f.name for f in new if f.name)  # a name found once matches one node: 已提醒 is everywhere
    kept = 0
    for node in old:
        if node.id in ids:
            kept += 1
        elif node.name and names[node.name] > 0:
            names[node.name] -= 1
            kept += 1
    return kept >= RELATED_SHARE * len(old)
