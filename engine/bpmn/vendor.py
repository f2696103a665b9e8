"""Diagrams made in Camunda Modeler, Flowable or Activiti designers, brought to this product's terms.

Those tools keep the people of a task (`candidateGroups`, `assignee`), its form (`formKey`, `formProperty`,
`formData`, Camunda Forms) and their timers (bare ISO 8601 literals such as PT48H, Quartz cron) where this product
reads lanes, spiff `formKey` properties and Python timer expressions. `convert` maps what has a meaning here — groups
through the uploading region's table (`engine.org.group_roles`), the initiator to the accepting window, vendor forms
into forms described with the version (`engine.bpmn.vendor_forms`) — and reports every vendor attribute or extension
it leaves behind, element by element and with the line of the uploaded file, so that a designer learns at upload
what would otherwise fail, or silently do nothing, when a case runs. Problems of the converted copy are reported at
the uploaded file's lines too (`Conversion.original_line`).
"""

import ast
import bisect
import io
import json
import re
import tomllib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy.orm import Session

from engine.bpmn import deployment, vendor_forms
from engine.bpmn.deployment import InvalidDiagram
from engine.bpmn.xmlread import BPMN_NS, Element, XmlRefused, local_name, owner_id, parse_diagram_xml
from engine.core.errors import Invalid
from engine.core.models import ProcessDefinition
from engine.core.reference import ACCEPTING_WINDOW, DATA_DIR, reference
from engine.org import group_roles
from engine.org.permissions import Actor, ensure_designer
from engine.sandbox.cron import CronRefused, period_of
from engine.sandbox.functions import expression_functions
from engine.sandbox.restricted import check_expression
from forms import described
from forms.registry import known_form_keys

SPIFF_NS = vendor_forms.SPIFF_NS
MAX_BYTES = 2_000_000
MAX_FORM_FILES = 50
_LINE = "{urn:yibao:source-line}line"
_FORM_KEY_SUFFIX = re.compile(r"\.(html?|jsf|form|json|xhtml)$")
_JUEL = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)
_STRING = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
_WHOLE_DAYS = re.compile(r"P(\d{1,3})D")
_CRON = re.compile(r"^\S+(\s+\S+){5,6}$")
# What precedes a laneSet in a process (BPMN 2.0 XSD, tProcess): it must come after these.
_BEFORE_LANES = {"documentation", "extensionElements", "auditing", "monitoring", "categoryValueRef", "property"}
_TIMER_PARSERS = {
    "timeDate": TimerEventDefinition.parse_time_or_duration,
    "timeDuration": TimerEventDefinition.parse_iso_duration,
    "timeCycle": TimerEventDefinition.parse_iso_recurring_interval,
}
_PROPERTY_TYPES = {"string": "string", "long": "long", "boolean": "boolean", "date": "date", "enum": "enum"}
_FORM_JS_TYPES = {
    "textfield": "string",
    "textarea": "text",
    "number": "long",
    "checkbox": "boolean",
    "select": "enum",
    "radio": "enum",
    "datetime": "date",
}
_FORM_JS_LAYOUT = {"text", "spacer", "separator", "button", "image", "html"}


@dataclass(frozen=True)
class Note:
    element_id: str | None
    line: int | None
    message: str


@dataclass
class Conversion:
    """The converted diagram, what was mapped and what was not (each naming its element and uploaded line)."""

    data: bytes
    vendors: list[str] = field(default_factory=list)
    mapped: list[Note] = field(default_factory=list)
    unmapped: list[Note] = field(default_factory=list)
    unmapped_groups: list[str] = field(default_factory=list)
    region: str | None = None
    working_days: bool = False
    lines: list[tuple[int, int]] = field(default_factory=list)  # (line of `data`, line of the upload), sorted

    def to_dict(self) -> dict[str, Any]:
        return {
            "vendors": self.vendors,
            "mapped": [note.__dict__ for note in self.mapped],
            "unmapped": [note.__dict__ for note in self.unmapped],
            "unmapped_groups": self.unmapped_groups,
            "region": self.region,
            "timers": "working_days" if self.working_days else "calendar",
        }

    def original_line(self, line: int | None) -> int | None:
        """The uploaded file's line for a line of the converted copy (that of the element starting at or before it)."""
        if line is None or not self.lines:
            return line
        index = bisect.bisect_right(self.lines, (line, float("inf"))) - 1
        return self.lines[index][1] if index >= 0 else line


@cache
def _settings() -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / "vendor_import.toml").read_text(encoding="utf-8"))


def _tag(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def convert(
    data: bytes,
    groups: Mapping[str, str] | None = None,
    *,
    form_files: Mapping[str, bytes] | None = None,
    working_days: bool = False,
    region: str | None = None,
) -> Conversion:
    """Map a vendor diagram; a document that cannot be read is returned as is, for validation to refuse.

    `groups`: candidate group (case-folded) → role code, the uploading region's table (default: the national one);
    `form_files`: Camunda Forms JSON by file name; `working_days`: timer durations of whole days become working days.
    """
    try:
        root = parse_diagram_xml(data, max_bytes=MAX_BYTES)
    except XmlRefused:
        return Conversion(data)
    namespaces = _settings()["namespaces"]
    used = {ns for element in root.iter() if isinstance(element.tag, str) for ns in _namespaces_of(element)}
    vendors = sorted(name for name, uri in namespaces.items() if uri in used)
    conversion = Conversion(data, vendors, region=region, working_days=working_days)
    vendor_uris = {namespaces[name] for name in vendors}
    table = group_roles.national_table() if groups is None else {k.casefold(): v for k, v in groups.items()}
    converter = _Converter(root, vendor_uris, conversion, table, _camunda_forms(form_files or {}), working_days)
    converter.user_tasks()
    converter.timers()
    converter.conditions()
    converter.leftovers()
    conversion.unmapped_groups = sorted(set(converter.unknown_groups), key=str.casefold)
    if conversion.mapped:
        conversion.data, conversion.lines = _serialised(root)
    return conversion


def _serialised(root: Element) -> tuple[bytes, list[tuple[int, int]]]:
    """The rewritten diagram, and which line of the upload each of its lines comes from.

    Every original element is stamped with its line, the stamped copy is written and read back, and each element's
    new line paired with its stamp (an element the converter added takes its parent's); the stamps are then removed,
    which changes no line, since attributes are written within their element's start tag.
    """
    keep = [prefix for prefix in root.nsmap if prefix]
    for element in root.iter():
        if isinstance(element.tag, str) and element.sourceline:
            element.set(_LINE, str(element.sourceline))
    stamped = etree.fromstring(etree.tostring(root, encoding="UTF-8"))
    lines: dict[int, int] = {}
    for element in stamped.iter():
        if not isinstance(element.tag, str):
            continue
        origin = next((e.get(_LINE) for e in (element, *element.iterancestors()) if e.get(_LINE)), None)
        if origin is not None:
            lines.setdefault(element.sourceline, int(origin))
    for element in root.iter():
        if isinstance(element.tag, str):
            element.attrib.pop(_LINE, None)
    etree.cleanup_namespaces(root, top_nsmap={"spiffworkflow": SPIFF_NS}, keep_ns_prefixes=keep)
    offset = 1  # the XML declaration goes on a line of its own
    return (
        etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
        sorted((line + offset, origin) for line, origin in lines.items()),
    )


def _namespaces_of(element: Element) -> set[str]:
    found = {etree.QName(element).namespace}
    found.update(etree.QName(name).namespace for name in element.attrib if name.startswith("{"))
    return found


def _label(element: Element) -> str:
    name = " ".join((element.get("name") or "").split())
    return f"“{name}”" if name else f"（{element.get('id') or local_name(element)}）"


def _lane_name(role: str) -> str:
    return group_roles.lane_of(role)


OPINION_FORM: dict[str, Any] = {
    "title": "办理意见",
    "fields": [{"name": "opinion", "label": "办理意见", "type": "text", "required": False}],
}
"""The form of a vendor user task that names none (the vendor engine shows such a task with a bare complete
button): one optional opinion, so the task can be done and its worker's words are kept."""


def _form_of(value: str) -> str | None:
    key = _FORM_KEY_SUFFIX.sub("", re.split(r"[:/]", value.strip())[-1])
    if key in known_form_keys():
        return key
    forms: dict[str, str] = _settings()["forms"]
    return forms.get(key)


def _camunda_forms(files: Mapping[str, bytes]) -> dict[str, Any]:
    """Camunda Forms JSON by file name (without folders) and by form id; unreadable files are left out."""
    found: dict[str, Any] = {}
    for name, content in list(files.items())[:MAX_FORM_FILES]:
        try:
            form = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            continue
        if isinstance(form, dict):
            found[name.rsplit("/", 1)[-1]] = form
            if isinstance(form.get("id"), str):
                found[form["id"]] = form
    return found


class _Converter:
    def __init__(
        self,
        root: Element,
        vendor_uris: set[str],
        conversion: Conversion,
        groups: Mapping[str, str],
        camunda_forms: Mapping[str, Any],
        working_days: bool,
    ) -> None:
        self.root = root
        self.vendor_uris = vendor_uris
        self.conversion = conversion
        self.groups = groups
        self.camunda_forms = camunda_forms
        self.working_days = working_days
        self.handled: set[tuple[int, str]] = set()  # (element, qualified attribute) reported already
        self.handled_elements: set[int] = set()  # vendor extension elements converted or reported already
        self.unknown_groups: list[str] = []
        self.boolean_fields: set[str] = set()

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
                self.handled.add((id(element), name))
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

    def vendor_children(self, element: Element, *names: str) -> list[Element]:
        extensions = element.find(_tag("extensionElements"))
        if extensions is None:
            return []
        return [
            child
            for child in extensions
            if isinstance(child.tag, str)
            and etree.QName(child).namespace in self.vendor_uris
            and etree.QName(child).localname in names
        ]

    def drop(self, element: Element, qualified: str) -> None:
        if "@" not in qualified:
            del element.attrib[qualified]

    def role_of(self, name: str) -> str | None:
        """The role code a vendor group (or literal assignee) names: a role, a lane, or a group of the table."""
        ref = reference()
        name = name.strip()
        if name in ref.roles:
            return name
        return ref.role_for_lane(name) or self.groups.get(name.casefold())

    # --- user tasks: people → lanes, forms → spiff formKey -------------------------------------

    def initiators(self) -> set[str]:
        """Variables naming whoever started the case: the usual names and each start event's `initiator`."""
        names = {name.casefold() for name in _settings()["initiators"]["names"]}
        for start in self.root.iter(_tag("startEvent")):
            found = self.vendor_value(start, "initiator")
            if found:
                names.add(found[1].strip().casefold())
                self.drop(start, found[0])
                self.mapped(
                    start,
                    f"开始事件{_label(start)}的发起人变量 initiator“{found[1]}”→ 受理办件的窗口（泳道“{_lane_name(ACCEPTING_WINDOW)}”）",
                )
        return names

    def user_tasks(self) -> None:
        lanes_by_node = {ref.text.strip(): ref.getparent() for ref in self.root.iter(_tag("flowNodeRef")) if ref.text}
        lane_roles: dict[int, tuple[Element, set[str]]] = {}
        initiators = self.initiators()
        for task in self.root.iter(_tag("userTask")):
            role = self.task_role(task, initiators)
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

    def task_role(self, task: Element, initiators: set[str]) -> str | None:
        roles: list[str] = []
        unknown: list[str] = []
        found = self.vendor_value(task, "candidateGroups")
        if found:
            qualified, value = found
            for group in (g.strip() for g in value.split(",") if g.strip()):
                role = self.role_of(group)
                (roles if role else unknown).append(role or group)
            self.drop(task, qualified)
        assignee = self.vendor_value(task, "assignee")
        if assignee:
            roles = self.assignee_role(task, assignee, initiators, roles)
        if unknown:
            self.unknown_groups.extend(unknown)
            region = self.conversion.region or "全国"
            self.unmapped(
                task,
                f"用户任务{_label(task)}的候选组“{'、'.join(unknown)}”在{region}的候选组对照中没有对应角色；"
                "请在上传页面为它选择角色（或由系统管理员在“候选组对照”中设置）",
            )
        distinct = list(dict.fromkeys(roles))
        if len(distinct) > 1:
            names = "、".join(_lane_name(r) for r in distinct)
            self.unmapped(
                task,
                f"用户任务{_label(task)}的候选组对应多个角色（{names}）：平台每个任务只属于一个泳道角色，请在泳道中选定",
            )
            return None
        if distinct and found and not unknown:
            self.mapped(task, f"用户任务{_label(task)}的候选组“{found[1]}”→ 角色“{_lane_name(distinct[0])}”")
        return distinct[0] if distinct else None

    def assignee_role(
        self, task: Element, assignee: tuple[str, str], initiators: set[str], group_roles_found: list[str]
    ) -> list[str]:
        """The roles of a task after its assignee: the initiator means the accepting window; a person is reported."""
        qualified, value = assignee
        self.drop(task, qualified)
        variable = _JUEL.match(value)
        name = (variable.group(1) if variable else value).strip()
        if variable and name.casefold() in initiators:
            if group_roles_found:
                self.unmapped(
                    task,
                    f"用户任务{_label(task)}的 assignee“{value}”（流程发起人）未采用：任务已按候选组分派",
                )
                return group_roles_found
            self.mapped(
                task,
                f"用户任务{_label(task)}的 assignee“{value}”（流程发起人）→ 受理办件的窗口（泳道“{_lane_name(ACCEPTING_WINDOW)}”）",
            )
            return [ACCEPTING_WINDOW]
        role = None if variable else self.role_of(name)
        if role:
            self.mapped(task, f"用户任务{_label(task)}的 assignee“{value}”→ 角色“{_lane_name(role)}”")
            return [*group_roles_found, role]
        then = "已按候选组分派" if group_roles_found else "请为该任务设置候选组或把它放进经办角色的泳道"
        self.unmapped(
            task,
            f"用户任务{_label(task)}的指定办理人 assignee“{value}”无法映射：平台按泳道角色和受理单位分派任务，"
            f"不指定个人（变量只有表示流程发起人时才对应受理窗口）；{then}",
        )
        return group_roles_found

    def task_form(self, task: Element) -> None:
        key = self.vendor_value(task, "formKey")
        ref = self.vendor_value(task, "formRef")
        fields = self.vendor_children(task, "formProperty", "formData")
        self.handled_elements.update(id(child) for child in fields)
        properties_holder = task.find(_tag("extensionElements"))
        spiff = properties_holder is not None and properties_holder.find(f"{{{SPIFF_NS}}}properties") is not None
        if spiff and any(p.get("name") == "formKey" for p in self.spiff_properties(task)):
            if key or fields:
                self.unmapped(task, f"用户任务{_label(task)}已有 spiffworkflow 表单，未采用其他引擎的表单设置")
            return
        product_form = _form_of(key[1]) if key else None
        if key and product_form:
            self.set_form(task, product_form)
            self.drop(task, key[0])
            self.mapped(task, f"用户任务{_label(task)}的 formKey“{key[1]}”→ 表单“{product_form}”")
            return
        description = self.described_form(task, fields, key, ref)
        if description is not None:
            self.set_form(task, described.form_key(description), description)
            for found in (key, ref):
                if found:
                    self.drop(task, found[0])
            if key and not key[1].startswith("camunda-forms:"):
                self.unmapped(task, f"用户任务{_label(task)}的 formKey“{key[1]}”未采用：已按表单字段生成平台表单")
            for child in fields:
                child.getparent().remove(child)
            return
        named = key or ref
        if named is not None:
            self.unmapped(
                task,
                f"用户任务{_label(task)}的表单 formKey“{named[1]}”不是平台表单，也没有可转换的表单字段；"
                f"可用表单：{'、'.join(sorted(known_form_keys()))}",
            )
            return
        self.set_form(task, described.form_key(OPINION_FORM), OPINION_FORM)
        self.mapped(
            task,
            f"用户任务{_label(task)}没有表单 → 通用表单“{OPINION_FORM['title']}”（办理意见），可在设计器中改用其他表单",
        )

    def described_form(
        self, task: Element, fields: list[Element], key: tuple[str, str] | None, ref: tuple[str, str] | None
    ) -> dict[str, Any] | None:
        title = " ".join((task.get("name") or task.get("id") or "表单").split())[:100]
        specs: list[dict[str, Any]] = []
        source = ""
        for holder in fields:
            if local_name(holder) == "formProperty":
                spec = self.form_property(task, holder)
                source = "formProperty"
                if spec:
                    specs.append(spec)
            else:
                source = "formData"
                specs.extend(s for s in (self.form_field(task, f) for f in holder if _is(f, "formField")) if s)
        if not fields:
            form = self.linked_camunda_form(task, key, ref)
            if form is None:
                return None
            source = "Camunda Forms"
            specs = [s for s in (self.form_component(task, c) for c in form.get("components") or []) if s]
        if not specs:
            self.unmapped(task, f"用户任务{_label(task)}的{source}表单没有可填写的字段，未生成表单")
            return None
        description = {"title": title, "fields": specs}
        try:
            described.build(description)
        except described.DescriptionInvalid as refused:
            self.unmapped(task, f"用户任务{_label(task)}的{source}表单无法转换：{refused}")
            return None
        self.boolean_fields.update(s["name"] for s in specs if s["type"] == "boolean")
        labels = "、".join(s["label"] for s in specs)
        self.mapped(task, f"用户任务{_label(task)}的 {source} 表单 → 平台表单“{title}”（{labels}）")
        return description

    def linked_camunda_form(
        self, task: Element, key: tuple[str, str] | None, ref: tuple[str, str] | None
    ) -> dict[str, Any] | None:
        wanted = ref[1] if ref else key[1] if key and key[1].startswith("camunda-forms:") else None
        if wanted is None:
            return None
        name = re.split(r"[:/]", wanted)[-1]
        form = self.camunda_forms.get(name) or self.camunda_forms.get(wanted)
        if form is None:
            self.unmapped(
                task,
                f"用户任务{_label(task)}引用的 Camunda 表单“{wanted}”未随流程图上传：请把 .form 文件一并上传（或与流程图一起打包为 zip）",
            )
            self.handled.update({(id(task), found[0]) for found in (key, ref) if found})
        return form if isinstance(form, dict) else None

    def field_spec(
        self, task: Element, where: Element, name: str | None, label: str | None, kind: str | None
    ) -> dict[str, Any] | None:
        if not name or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,59}", name):
            self.unmapped(where, f"用户任务{_label(task)}的表单字段“{name}”的标识不能作为变量名，已略去")
            return None
        mapped_kind = _PROPERTY_TYPES.get(kind or "string")
        if mapped_kind is None:
            self.unmapped(where, f"用户任务{_label(task)}的表单字段“{label or name}”类型“{kind}”不受支持，按文字填写")
            mapped_kind = "string"
        return {"name": name, "label": (label or name).strip()[:100], "type": mapped_kind, "required": False}

    def form_property(self, task: Element, prop: Element) -> dict[str, Any] | None:
        """Activiti/Flowable `<activiti:formProperty id name type required readable writable default>`."""
        name = prop.get("variable") or prop.get("id")
        if prop.get("readable") == "false" or prop.get("writable") == "false":
            what = "不可见" if prop.get("readable") == "false" else "只读"
            self.unmapped(
                prop,
                f"用户任务{_label(task)}的表单字段“{prop.get('name') or name}”{what}，不放入表单（其值仍在办件数据中）",
            )
            return None
        spec = self.field_spec(task, prop, name, prop.get("name"), prop.get("type"))
        if spec is None:
            return None
        spec["required"] = prop.get("required") == "true"
        values = [v for v in prop if _is(v, "value")]
        return self.with_options_and_default(task, prop, spec, values, prop.get("default"))

    def form_field(self, task: Element, form_field: Element) -> dict[str, Any] | None:
        """Camunda `<camunda:formField id label type defaultValue>` with its validation constraints."""
        constraints = {
            c.get("name"): c.get("config")
            for validation in form_field
            if _is(validation, "validation")
            for c in validation
            if _is(c, "constraint")
        }
        if "readonly" in constraints:
            label = form_field.get("label") or form_field.get("id")
            self.unmapped(
                form_field, f"用户任务{_label(task)}的表单字段“{label}”只读，不放入表单（其值仍在办件数据中）"
            )
            return None
        spec = self.field_spec(task, form_field, form_field.get("id"), form_field.get("label"), form_field.get("type"))
        if spec is None:
            return None
        spec["required"] = "required" in constraints
        if (constraints.get("maxlength") or "").isdigit() and spec["type"] == "string":
            spec["max_length"] = int(constraints["maxlength"] or 0) or None
        for other in sorted(set(constraints) - {"required", "maxlength", "readonly"}):
            self.unmapped(form_field, f"表单字段“{spec['label']}”的校验“{other}”平台没有对应规则，已略去")
        values = [v for v in form_field if _is(v, "value")]
        return self.with_options_and_default(task, form_field, spec, values, form_field.get("defaultValue"))

    def with_options_and_default(
        self, task: Element, where: Element, spec: dict[str, Any], values: list[Element], default: str | None
    ) -> dict[str, Any] | None:
        if spec["type"] == "enum":
            spec["options"] = [[v.get("id"), v.get("name") or v.get("id")] for v in values if v.get("id")]
            if not spec["options"]:
                self.unmapped(where, f"用户任务{_label(task)}的下拉字段“{spec['label']}”没有选项，已略去")
                return None
        if default is not None and default.strip():
            if _JUEL.match(default):
                self.unmapped(where, f"表单字段“{spec['label']}”的默认值“{default}”是表达式，已略去")
            else:
                spec["default"] = _typed_default(spec["type"], default.strip())
        return spec

    def form_component(self, task: Element, component: object) -> dict[str, Any] | None:
        """A Camunda Forms component: textfield, textarea, number, checkbox, select/radio, datetime (date)."""
        if not isinstance(component, dict) or component.get("type") in _FORM_JS_LAYOUT:
            return None
        kind = _FORM_JS_TYPES.get(str(component.get("type")))
        label = str(component.get("label") or component.get("key") or "")
        if kind is None:
            self.unmapped(
                task, f"用户任务{_label(task)}的 Camunda 表单组件“{label}”（{component.get('type')}）不受支持，已略去"
            )
            return None
        name = component.get("key")
        spec: dict[str, Any] = {"name": name, "label": label[:100] or name, "type": kind}
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,59}", name):
            self.unmapped(task, f"用户任务{_label(task)}的 Camunda 表单组件“{label}”的 key 不能作为变量名，已略去")
            return None
        rules = component.get("validate")
        validate: dict[str, Any] = rules if isinstance(rules, dict) else {}
        spec["required"] = bool(validate.get("required"))
        if isinstance(validate.get("maxLength"), int) and kind in ("string", "text"):
            spec["max_length"] = validate["maxLength"]
        if validate.get("pattern"):
            self.unmapped(
                task, f"表单字段“{spec['label']}”的格式校验 pattern“{validate['pattern']}”平台未采用，请核对填写要求"
            )
        if kind == "enum":
            listed = component.get("values")
            values: list[Any] = listed if isinstance(listed, list) else []
            spec["options"] = [[v.get("value"), v.get("label")] for v in values if isinstance(v, dict)]
        if component.get("defaultValue") is not None:
            spec["default"] = component["defaultValue"]
        return spec

    def set_form(self, task: Element, form_key: str, description: dict[str, Any] | None = None) -> None:
        properties = self.spiff_properties(task)
        etree.SubElement(properties, f"{{{SPIFF_NS}}}property", name="formKey", value=form_key)
        if description is not None:
            etree.SubElement(
                properties,
                f"{{{SPIFF_NS}}}property",
                name=vendor_forms.DESCRIPTION_PROPERTY,
                value=vendor_forms.description_element(description),
            )

    def spiff_properties(self, element: Element) -> Element:
        extensions = element.find(_tag("extensionElements"))
        if extensions is None:
            extensions = etree.Element(_tag("extensionElements"))
            element.insert(len(element.findall(_tag("documentation"))), extensions)
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
            leading = [
                i
                for i, child in enumerate(process)
                if isinstance(child.tag, str) and local_name(child) in _BEFORE_LANES
            ]
            process.insert(leading[-1] + 1 if leading else 0, lane_set)
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
                if kind == "timeCycle" and _CRON.match(text):
                    self.cron(owner, spec, text)
                    continue
                try:
                    parse(text)
                except Exception:
                    if check_expression(text) is not None:
                        self.unmapped(
                            owner, f"计时器{_label(owner)}的文本“{text}”不是 ISO 8601 {_KIND_NAMES[kind]}，无法转换"
                        )
                    continue  # else a Python expression already, which validation evaluates
                days = _WHOLE_DAYS.fullmatch(text)
                if kind == "timeDuration" and self.working_days and days:
                    spec.tag = _tag("timeDate")
                    spec.text = f"working_days_after(now(), {int(days.group(1))})"
                    self.mapped(
                        owner,
                        f"计时器{_label(owner)}的时长 {text} → {days.group(1)} 个工作日（按工作日历，节假日不计）",
                    )
                    continue
                spec.text = f'"{text}"'
                basis = "按日历时长计算，节假日照计" if kind != "timeDate" else "固定时刻"
                self.mapped(owner, f"计时器{_label(owner)}的 ISO 8601 文本 {text} → \"{text}\"（{basis}）")

    def cron(self, owner: Element, spec: Element, text: str) -> None:
        try:
            period = period_of(text)
        except CronRefused as refused:
            self.unmapped(
                owner,
                f"计时器{_label(owner)}的 Quartz cron“{text}”无法转换：{refused}；请改写为 ISO 8601 循环，例如 \"R/PT24H\"",
            )
            return
        spec.text = f'cron_cycle("{" ".join(text.split())}")'
        self.mapped(
            owner,
            f"计时器{_label(owner)}的 Quartz cron“{text}”→ 每 {_period_text(period)} 重复一次（从下一次触发时刻起）",
        )

    def conditions(self) -> None:
        for condition in self.root.iter(_tag("conditionExpression")):
            found = _JUEL.match(condition.text or "")
            if not found:
                continue
            owner = condition.getparent()
            original = found.group(0).strip()
            python, reason = _juel_to_python(found.group(1), self.boolean_fields)
            if reason is None:
                condition.text = python
                self.mapped(owner, f"分支条件 {original} → {python}")
            else:
                self.unmapped(owner, f"分支条件“{original}”无法转换为 Python 表达式：{reason}")

    # --- everything else of the vendors' -------------------------------------------------------

    def leftovers(self) -> None:
        """Every vendor attribute or extension still in the diagram: kept, ignored by this product, reported."""
        for element in self.root.iter():
            if not isinstance(element.tag, str):
                continue
            namespace = etree.QName(element).namespace
            if namespace in self.vendor_uris:
                if (
                    id(element) not in self.handled_elements
                    and not any((id(element), a) in self.handled for a in element.attrib)
                    and _is_outermost_vendor(element, self.vendor_uris)
                ):
                    owner = next((a for a in element.iterancestors() if a.get("id")), element)
                    self.unmapped(
                        element, f"{_label(owner)}的扩展“{etree.QName(element).localname}”平台没有对应功能，已忽略"
                    )
                continue
            for name, value in element.attrib.items():
                if (
                    name.startswith("{")
                    and etree.QName(name).namespace in self.vendor_uris
                    and (id(element), name) not in self.handled
                ):
                    self.unmapped(
                        element,
                        f"{_label(element)}的属性 {etree.QName(name).localname}=“{value}”平台没有对应功能，已忽略",
                    )


_KIND_NAMES = {"timeDate": "日期时间", "timeDuration": "时长", "timeCycle": "循环周期"}


def _period_text(period: Any) -> str:
    seconds = int(period.total_seconds())
    for unit, name in ((604800, "周"), (86400, "天"), (3600, "小时"), (60, "分钟")):
        if seconds % unit == 0:
            return f"{seconds // unit} {name}"
    return f"{seconds} 秒"


def _is(element: object, name: str) -> bool:
    return isinstance(getattr(element, "tag", None), str) and etree.QName(element).localname == name


def _typed_default(kind: str, text: str) -> object:
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "long" and text.lstrip("-").isdigit():
        return int(text)
    return text


def _is_outermost_vendor(element: Element, vendor_uris: set[str]) -> bool:
    parent = element.getparent()
    return parent is None or etree.QName(parent).namespace not in vendor_uris


_JUEL_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "true": "True", "false": "False"}
_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Name,
    ast.Load,
    ast.Constant,
)


def _juel_to_python(expression: str, boolean_fields: set[str]) -> tuple[str, str | None]:
    """JUEL's operators and literals in Python spelling, outside quoted strings; (python, why not) — a method call,
    property access or arithmetic has no faithful Python form over task data and is refused with the reason.

    A comparison of a boolean form field with 'true'/'false' compares with True/False, as JUEL coerces it."""
    parts = _STRING.split(expression)
    for index in range(0, len(parts), 2):  # even parts lie outside string literals
        code = parts[index].replace("&&", " and ").replace("||", " or ")
        code = re.sub(r"!(?!=)", " not ", code)
        code = re.sub(r"\bnull\b", "None", code)
        parts[index] = re.sub(r"\b(eq|ne|lt|gt|le|ge|true|false)\b", lambda m: _JUEL_WORDS[m.group(1)], code)
    python = " ".join("".join(parts).split())
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError:
        return python, "不是可识别的表达式"
    functions = set(expression_functions())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            continue
        if isinstance(node, ast.Call | ast.Attribute):
            return python, "调用了其他引擎的方法或对象属性（如 execution、.prop(…)），平台的条件只读取任务数据中的变量"
        if not isinstance(node, _ALLOWED_NODES):
            return python, f"含有平台条件不支持的写法（{type(node).__name__}）"
    coerced = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = node.left, node.comparators[0]
            if isinstance(left, ast.Name) and left.id in boolean_fields and _is_bool_text(right):
                node.comparators = [ast.Constant(right.value == "true")]  # type: ignore[attr-defined]
                coerced = True
    converted = ast.unparse(tree) if coerced else python
    return converted, check_expression(converted)


def _is_bool_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in ("true", "false")


def _form_files_of(files: Mapping[str, bytes]) -> dict[str, bytes]:
    return {name: content for name, content in files.items() if name.lower().endswith((".form", ".json"))}


def unpack(data: bytes, name: str, extra: Mapping[str, bytes] | None = None) -> tuple[bytes, str, dict[str, bytes]]:
    """The diagram and its Camunda Forms from an upload: a .bpmn with .form files beside it, or one .zip holding a
    single .bpmn (or .bpmn20.xml) and its .form files. Invalid (422) for a zip that is not one diagram."""
    forms = _form_files_of(dict(extra or {}))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return data, name, forms
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_FORM_FILES or sum(m.file_size for m in members) > MAX_BYTES:
            raise Invalid("压缩包过大", {"file": [f"压缩包至多 {MAX_FORM_FILES} 个文件、解压后 {MAX_BYTES} 字节"]})
        diagrams = [m for m in members if m.filename.lower().endswith((".bpmn", ".bpmn20.xml", ".xml"))]
        if len(diagrams) != 1:
            raise Invalid("压缩包内容有误", {"file": ["压缩包中须有且只有一个 .bpmn 流程图（可附 .form 表单文件）"]})
        forms.update(_form_files_of({m.filename: archive.read(m) for m in members if m is not diagrams[0]}))
        return archive.read(diagrams[0]), diagrams[0].filename.rsplit("/", 1)[-1], forms
    except (zipfile.BadZipFile, OSError, RuntimeError):
        raise Invalid("压缩包无法读取", {"file": ["压缩包已损坏或加密，请重新打包"]}) from None


class InvalidVendorDiagram(InvalidDiagram):
    """A converted diagram still refused: the validation problems (at the upload's lines), with the conversion."""

    def __init__(self, problems: list[dict[str, Any]], conversion: Conversion) -> None:
        super().__init__(problems)
        self.conversion = conversion


def deploy_vendor_diagram(
    session: Session,
    actor: Actor,
    data: bytes,
    source_name: str,
    *,
    rename_to: str | None = None,
    groups: Mapping[str, str] | None = None,
    form_files: Mapping[str, bytes] | None = None,
    working_days: bool = False,
) -> tuple[ProcessDefinition, bool, Conversion]:
    """Convert with the designer's region's group table (and `groups` chosen at upload over it), then deploy as any
    upload (`rename_to` as in `deployment.deploy`); returns (version, whether new, the conversion report). Commits."""
    ensure_designer(actor)
    region = deployment.designer_scope(actor)
    table = group_roles.table_for(session, region)
    chosen = dict(groups or {})
    bad = {group: role for group, role in chosen.items() if role not in group_roles.role_choices()}
    if bad:
        raise Invalid("候选组对照有误", {"groups": [f"候选组“{g}”的角色“{r}”不存在" for g, r in bad.items()]})
    table.update({group.casefold(): role for group, role in chosen.items()})
    conversion = convert(data, table, form_files=form_files, working_days=working_days, region=region)
    try:
        definition, created = deployment.deploy(session, actor, conversion.data, source_name, rename_to=rename_to)
    except InvalidDiagram as exc:
        problems = [{**p, "line": conversion.original_line(p.get("line"))} for p in exc.problems]
        raise InvalidVendorDiagram(problems, conversion) from None
    return definition, created, conversion
