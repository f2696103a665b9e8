"""Diagrams made in Camunda Modeler, Flowable or Activiti designers, brought to this product's terms.

Those tools keep the people of a task (`candidateGroups`, `assignee`), its form (`formKey`) and their
timers (bare ISO 8601 literals such as PT48H) where this product reads lanes, spiff `formKey`
properties and Python timer expressions. `convert` maps what has a meaning here and reports every
vendor attribute or extension it leaves behind, element by element, so that a designer learns at
upload what would otherwise fail, or silently do nothing, when a case runs.
"""

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy.orm import Session

from engine.bpmn import deployment
from engine.bpmn.deployment import InvalidDiagram
from engine.bpmn.xmlread import BPMN_NS, Element, XmlRefused, local_name, owner_id, parse_diagram_xml
from engine.core.models import ProcessDefinition
from engine.core.reference import ACCEPTING_WINDOW, DATA_DIR, reference
from engine.org.permissions import Actor, ensure_designer
from engine.sandbox.restricted import check_expression
from forms.registry import known_form_keys

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
MAX_BYTES = 2_000_000
_TIMER_PARSERS = {
    "timeDate": TimerEventDefinition.parse_time_or_duration,
    "timeDuration": TimerEventDefinition.parse_iso_duration,
    "timeCycle": TimerEventDefinition.parse_iso_recurring_interval,
}
_FORM_KEY_SUFFIX = re.compile(r"\.(html?|jsf|form|json|xhtml)$")
_JUEL = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)


@dataclass(frozen=True)
class Note:
    element_id: str | None
    line: int | None
    message: str


@dataclass
class Conversion:
    """The converted diagram, what was mapped and what was not (each naming its element and line)."""

    data: bytes
    vendors: list[str] = field(default_factory=list)
    mapped: list[Note] = field(default_factory=list)
    unmapped: list[Note] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vendors": self.vendors,
            "mapped": [note.__dict__ for note in self.mapped],
            "unmapped": [note.__dict__ for note in self.unmapped],
        }


@cache
def _settings() -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / "vendor_import.toml").read_text(encoding="utf-8"))


def _tag(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def convert(data: bytes) -> Conversion:
    """Map a vendor diagram; a document that cannot be read is returned as is, for validation to refuse."""
    try:
        root = parse_diagram_xml(data, max_bytes=MAX_BYTES)
    except XmlRefused:
        return Conversion(data)
    namespaces = _settings()["namespaces"]
    used = {ns for element in root.iter() if isinstance(element.tag, str) for ns in _namespaces_of(element)}
    vendors = sorted(name for name, uri in namespaces.items() if uri in used)
    conversion = Conversion(data, vendors)
    vendor_uris = {namespaces[name] for name in vendors}
    converter = _Converter(root, vendor_uris, conversion)
    converter.user_tasks()
    converter.timers()
    converter.conditions()
    converter.leftovers()
    if conversion.mapped:
        etree.cleanup_namespaces(root, top_nsmap={"spiffworkflow": SPIFF_NS})
        conversion.data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return conversion


def _namespaces_of(element: Element) -> set[str]:
    found = {etree.QName(element).namespace}
    found.update(etree.QName(name).namespace for name in element.attrib if name.startswith("{"))
    return found


def _label(element: Element) -> str:
    name = " ".join((element.get("name") or "").split())
    return f"“{name}”" if name else f"（{element.get('id') or local_name(element)}）"


def _role_of(name: str) -> str | None:
    """The role code a vendor group or assignee names, if any."""
    ref = reference()
    name = name.strip()
    if name in ref.roles:
        return name
    by_lane = ref.role_for_lane(name)
    if by_lane is not None:
        return by_lane
    groups: dict[str, str] = _settings()["groups"]
    return groups.get(name) or groups.get(name.lower())


def _lane_name(role: str) -> str:
    """The lane a role's tasks go in: the role's name, or the alias naming it (受理窗口)."""
    ref = reference()
    return next((name for name, code in ref.lane_aliases.items() if code == role), None) or ref.role_name(role)


def _form_of(value: str) -> str | None:
    key = _FORM_KEY_SUFFIX.sub("", re.split(r"[:/]", value.strip())[-1])
    if key in known_form_keys():
        return key
    forms: dict[str, str] = _settings()["forms"]
    return forms.get(key)


class _Converter:
    def __init__(self, root: Element, vendor_uris: set[str], conversion: Conversion) -> None:
        self.root = root
        self.vendor_uris = vendor_uris
        self.conversion = conversion
        self.handled: set[tuple[int, str]] = set()

    def mapped(self, element: Element, message: str) -> None:
        self.conversion.mapped.append(Note(owner_id(element), element.sourceline, message))

    def unmapped(self, element: Element, message: str) -> None:
        self.conversion.unmapped.append(Note(owner_id(element), element.sourceline, message))

    def vendor_value(self, element: Element, attribute: str) -> tuple[str, str] | None:
        """(qualified name, value) of a vendor attribute such as camunda:formKey, or of the zeebe element holding it."""
        for name, value in element.attrib.items():
            if (
                name.startswith("{")
                and etree.QName(name).namespace in self.vendor_uris
                and etree.QName(name).localname == attribute
            ):
                return name, value
        extensions = element.find(_tag("extensionElements"))
        if extensions is not None:
            for child in extensions:
                if (
                    isinstance(child.tag, str)
                    and etree.QName(child).namespace in self.vendor_uris
                    and attribute in child.attrib
                ):
                    self.handled.add((id(child), attribute))
                    return f"{child.tag}@{attribute}", child.get(attribute)
        return None

    def drop(self, element: Element, qualified: str) -> None:
        if "@" in qualified:
            return
        del element.attrib[qualified]

    # --- user tasks: people → lanes, forms → spiff formKey -------------------------------------

    def user_tasks(self) -> None:
        lanes_by_node = {ref.text.strip(): ref.getparent() for ref in self.root.iter(_tag("flowNodeRef")) if ref.text}
        lane_roles: dict[int, tuple[object, set[str]]] = {}
        for task in self.root.iter(_tag("userTask")):
            role = self.task_role(task)
            self.task_form(task)
            if role is None:
                continue
            lane = lanes_by_node.get(task.get("id"))
            if lane is None:
                self.place_in_lane(task, role)
                continue
            lane_roles.setdefault(id(lane), (lane, set()))[1].add(role)
        for lane, roles in lane_roles.values():
            self.name_lane(lane, roles)

    def task_role(self, task: Element) -> str | None:
        roles: list[str] = []
        unknown: list[str] = []
        found = self.vendor_value(task, "candidateGroups")
        if found:
            qualified, value = found
            for group in (g for g in value.split(",") if g.strip()):
                role = _role_of(group)
                (roles if role else unknown).append(role or group.strip())
            self.drop(task, qualified)
        assignee = self.vendor_value(task, "assignee")
        if assignee:
            qualified, value = assignee
            role = _role_of(value)
            if role:
                roles.append(role)
                self.mapped(task, f"用户任务{_label(task)}的 assignee“{value}”→ 角色“{_lane_name(role)}”")
            else:
                self.unmapped(
                    task,
                    f"用户任务{_label(task)}的指定办理人 assignee“{value}”无法映射：平台按泳道角色和受理单位分派任务，不指定个人；已忽略",
                )
            self.drop(task, qualified)
        if unknown:
            self.unmapped(
                task,
                f"用户任务{_label(task)}的候选组“{'、'.join(unknown)}”不是平台角色；可用角色：{'、'.join(sorted(reference().roles))}",
            )
        distinct = list(dict.fromkeys(roles))
        if len(distinct) > 1:
            names = "、".join(_lane_name(r) for r in distinct)
            self.unmapped(
                task,
                f"用户任务{_label(task)}的候选组对应多个角色（{names}）：平台每个任务只属于一个泳道角色，请在泳道中选定",
            )
            return None
        if distinct and found:
            self.mapped(task, f"用户任务{_label(task)}的候选组“{found[1]}”→ 角色“{_lane_name(distinct[0])}”")
        return distinct[0] if distinct else None

    def task_form(self, task: Element) -> None:
        found = self.vendor_value(task, "formKey")
        if not found:
            return
        qualified, value = found
        form = _form_of(value)
        if form is None:
            self.unmapped(
                task,
                f"用户任务{_label(task)}的表单 formKey“{value}”不是平台表单；可用表单：{'、'.join(sorted(known_form_keys()))}",
            )
            return
        properties = self.spiff_properties(task)
        if any(p.get("name") == "formKey" for p in properties):
            self.unmapped(task, f"用户任务{_label(task)}已有 spiffworkflow 表单，未采用 formKey“{value}”")
            return
        etree.SubElement(properties, f"{{{SPIFF_NS}}}property", name="formKey", value=form)
        self.drop(task, qualified)
        self.mapped(task, f"用户任务{_label(task)}的 formKey“{value}”→ 表单“{form}”")

    def spiff_properties(self, element: Element) -> Element:
        extensions = element.find(_tag("extensionElements"))
        if extensions is None:
            extensions = etree.Element(_tag("extensionElements"))
            element.insert(1 if element.find(_tag("documentation")) is not None else 0, extensions)
        properties = extensions.find(f"{{{SPIFF_NS}}}properties")
        if properties is None:
            properties = etree.SubElement(extensions, f"{{{SPIFF_NS}}}properties")
        return properties

    def name_lane(self, lane: Element, roles: set[str]) -> None:
        name = lane.get("name") or ""
        if name in reference().lane_names():
            expected = reference().role_for_lane(name)
            for role in roles - {expected, None}:
                if expected != ACCEPTING_WINDOW:
                    self.unmapped(lane, f"泳道“{name}”中有候选组为“{_lane_name(role)}”的任务；保留泳道角色")
            return
        if len(roles) == 1:
            role_name = _lane_name(next(iter(roles)))
            lane.set("name", role_name)
            self.mapped(lane, f"泳道“{name or lane.get('id')}”→ 角色“{role_name}”（按其中任务的候选组）")
        else:
            names = "、".join(sorted(_lane_name(r) for r in roles))
            self.unmapped(lane, f"泳道“{name}”中的任务属于不同角色（{names}），无法确定泳道角色")

    def place_in_lane(self, task: Element, role: str) -> None:
        """A task outside every lane goes into its role's lane, created (without a drawn shape) if need be."""
        process = next(a for a in task.iterancestors(_tag("process")))
        lane_set = process.find(_tag("laneSet"))
        if lane_set is None:
            lane_set = etree.Element(_tag("laneSet"), id=f"LaneSet_{process.get('id')}")
            process.insert(0, lane_set)
        role_name = _lane_name(role)
        lane = next((lane for lane in lane_set.iter(_tag("lane")) if lane.get("name") == role_name), None)
        if lane is None:
            lane = etree.SubElement(lane_set, _tag("lane"), id=f"Lane_{role}", name=role_name)
        etree.SubElement(lane, _tag("flowNodeRef")).text = task.get("id")
        self.mapped(task, f"用户任务{_label(task)}放入泳道“{role_name}”（新泳道在图中没有图形，请在设计器中调整）")

    # --- timers and conditions ----------------------------------------------------------------

    def timers(self) -> None:
        for kind, parse in _TIMER_PARSERS.items():
            for spec in self.root.iter(_tag(kind)):
                text = (spec.text or "").strip()
                owner = spec.getparent().getparent()
                if not text:
                    continue
                if _JUEL.match(text) or text.startswith("="):
                    self.unmapped(
                        owner,
                        f"计时器{_label(owner)}的表达式“{text}”是其他引擎的写法（JUEL/FEEL），无法转换；请改写为 Python，例如 \"PT48H\"",
                    )
                    continue
                try:
                    parse(text)
                except Exception:
                    continue
                spec.text = f'"{text}"'
                self.mapped(owner, f"计时器{_label(owner)}的 ISO 8601 文本 {text} → \"{text}\"（平台按 Python 求值）")

    def conditions(self) -> None:
        for condition in self.root.iter(_tag("conditionExpression")):
            found = _JUEL.match(condition.text or "")
            if not found:
                continue
            owner = condition.getparent()
            original, python = found.group(0).strip(), _juel_to_python(found.group(1))
            if check_expression(python) is None:
                condition.text = python
                self.mapped(owner, f"分支条件 {original} → {python}")
            else:
                self.unmapped(owner, f"分支条件“{original}”无法转换为 Python 表达式")

    # --- everything else of the vendors' -------------------------------------------------------

    def leftovers(self) -> None:
        """Every vendor attribute or extension still in the diagram: kept, ignored by this product, reported."""
        for element in self.root.iter():
            if not isinstance(element.tag, str):
                continue
            namespace = etree.QName(element).namespace
            if namespace in self.vendor_uris:
                if not any((id(element), a) in self.handled for a in element.attrib) and _is_outermost_vendor(
                    element, self.vendor_uris
                ):
                    owner = next((a for a in element.iterancestors() if a.get("id")), element)
                    self.unmapped(
                        element, f"{_label(owner)}的扩展“{etree.QName(element).localname}”平台没有对应功能，已忽略"
                    )
                continue
            for name, value in element.attrib.items():
                if name.startswith("{") and etree.QName(name).namespace in self.vendor_uris:
                    self.unmapped(
                        element,
                        f"{_label(element)}的属性 {etree.QName(name).localname}=“{value}”平台没有对应功能，已忽略",
                    )


def _is_outermost_vendor(element: Element, vendor_uris: set[str]) -> bool:
    parent = element.getparent()
    return parent is None or etree.QName(parent).namespace not in vendor_uris


def _juel_to_python(expression: str) -> str:
    """JUEL's boolean operators and literals in Python spelling; anything else is left to the sandbox check."""
    python = expression.replace("&&", " and ").replace("||", " or ")
    python = re.sub(r"!(?!=)", " not ", python)
    python = re.sub(r"\btrue\b", "True", python)
    python = re.sub(r"\bfalse\b", "False", python)
    python = re.sub(r"\bnull\b", "None", python)
    return " ".join(python.split())


class InvalidVendorDiagram(InvalidDiagram):
    """A converted diagram still refused: the validation problems, with what the conversion could not map."""

    def __init__(self, problems: list[dict[str, Any]], conversion: Conversion) -> None:
        super().__init__(problems)
        self.conversion = conversion


def deploy_vendor_diagram(
    session: Session, actor: Actor, data: bytes, source_name: str, *, rename_to: str | None = None
) -> tuple[ProcessDefinition, bool, Conversion]:
    """Convert, then deploy as any upload (`rename_to` as in `deployment.deploy`); returns (version, whether new,
    the conversion report). Commits."""
    ensure_designer(actor)
    conversion = convert(data)
    try:
        definition, created = deployment.deploy(session, actor, conversion.data, source_name, rename_to=rename_to)
    except InvalidDiagram as exc:
        raise InvalidVendorDiagram(exc.problems, conversion) from None
    return definition, created, conversion
