"""Designer-facing checks on an uploaded diagram, each naming the element at fault.

They read the XML rather than SpiffWorkflow's specs because the parser stops at its first
error, and a designer wants the whole list in one upload.
"""

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser

from engine.bpmn import error_texts
from engine.bpmn.external import topic_of
from engine.bpmn.xmlread import BPMN_NS, Element, local_name, owner_id
from engine.sandbox.restricted import SandboxEnvironment, check_expression, check_script


@dataclass(frozen=True)
class Problem:
    """One reason a diagram is refused; `message` is written for the process designer."""

    element_id: str | None
    line: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Rules:
    """What the platform knows about: roles for lanes, form schemas, functions for scripts."""

    known_lanes: frozenset[str]
    known_forms: frozenset[str]
    environment: SandboxEnvironment
    sample_data: Mapping[str, object] = field(default_factory=dict)


def _tag(name: str) -> str:
    return f'{{{BPMN_NS}}}{name}'


# The flow nodes of BPMN 2.0 (every element of the flowNode substitution group), named as a designer knows them.
_FLOW_NODE_NAMES = {
    'task': '任务',
    'userTask': '用户任务',
    'manualTask': '人工任务',
    'scriptTask': '脚本任务',
    'serviceTask': '服务任务',
    'sendTask': '发送任务',
    'receiveTask': '接收任务',
    'businessRuleTask': '业务规则任务',
    'subProcess': '子流程',
    'transaction': '事务子流程',
    'adHocSubProcess': '自由子流程（ad-hoc）',
    'callActivity': '调用活动',
    'startEvent': '开始事件',
    'endEvent': '结束事件',
    'boundaryEvent': '边界事件',
    'intermediateCatchEvent': '中间捕获事件',
    'intermediateThrowEvent': '中间抛出事件',
    'implicitThrowEvent': '隐式抛出事件',
    'exclusiveGateway': '排他网关',
    'inclusiveGateway': '包容网关',
    'parallelGateway': '并行网关',
    'eventBasedGateway': '事件网关',
    'complexGateway': '复杂网关',
    'choreographyTask': '编排任务',
    'callChoreography': '调用编排',
    'subChoreography': '子编排',
}
FLOW_NODES = frozenset(_tag(name) for name in _FLOW_NODE_NAMES)
# The flow nodes SpiffWorkflow's parser builds task specs for; any other stops it ("no support implemented").
_PARSED_NODES = frozenset(SpiffBpmnParser.PARSER_CLASSES) | frozenset(SpiffBpmnParser.OVERRIDE_PARSER_CLASSES)


def _at(element: Element, message: str) -> Problem:
    return Problem(owner_id(element), element.sourceline, message)


def _on_owner(owned: Element, message: str, owner: Element | None = None) -> Problem:
    """A problem in an event definition or expression, named after the event or flow holding it."""
    return Problem(owner_id(owner if owner is not None else owned.getparent()), owned.sourceline, message)


def _label(element: Element) -> str:
    name = ' '.join((element.get('name') or '').split())
    return f'“{name}”' if name else f'（{element.get("id") or local_name(element)}）'


_OTHER_NAMES = {'process': '流程', 'sequenceFlow': '顺序流', 'lane': '泳道', 'message': '消息', 'participant': '参与者'}


def named(element: Element, *, with_id: bool = True) -> str:
    """An element as a designer finds it in the modeler: its kind, then its name (or else its id)."""
    local = local_name(element)
    kind = _FLOW_NODE_NAMES.get(local) or _OTHER_NAMES.get(local) or f'元素 bpmn:{local}'
    name = ' '.join((element.get('name') or '').split())
    if name:
        return f'{kind}“{name}”'
    return f'{kind}{_label(element)}' if with_id else kind


def _listing(names: Iterable[str]) -> str:
    return '、'.join(sorted(names)) or '（无）'


def _executable(process: Element) -> bool:
    """A missing isExecutable counts as executable, as in SpiffWorkflow's parser."""
    return bool(process.get('isExecutable', 'true') == 'true')


def _has_flow_nodes(process: Element) -> bool:
    return any(isinstance(child.tag, str) and child.tag in FLOW_NODES for child in process)


def executable_processes(root: Element) -> list[Element]:
    """The processes the product runs: those marked executable and the processes of this file they call, or, when
    none is marked (isExecutable="false" is the modelers' default), every process that has flow nodes."""
    processes = list(root.iterchildren(_tag('process')))
    marked = [p for p in processes if _executable(p)]
    if not marked:
        return [p for p in processes if _has_flow_nodes(p)]
    by_id = {p.get('id'): p for p in processes}
    runnable: dict[str, Element] = {}
    pending = list(marked)
    while pending:
        process = pending.pop()
        if runnable.setdefault(process.get('id'), process) is not process:
            continue
        for call in process.iter(_tag('callActivity')):
            called = by_id.get(call.get('calledElement'))
            if called is not None and called.get('id') not in runnable:
                pending.append(called)
    return [p for p in processes if p.get('id') in runnable]


def run_anyway_notes(executable: list[Element]) -> list[Problem]:
    """What an upload's answer tells of processes run although marked isExecutable="false"."""
    return [
        _at(p, f'流程{_label(p)}标为不可执行（isExecutable="false"，建模工具的默认值）；平台照常部署并运行它')
        for p in executable
        if not _executable(p)
    ]


_SCHEMA_LOCK = threading.Lock()


def schema_problems(root: Element) -> list[Problem]:
    """Violations of the BPMN 2.0 (and spiffworkflow extension) XML schema."""
    with _SCHEMA_LOCK:
        VALIDATOR.preprocess(root)
        VALIDATOR.validator.validate(root)
        errors = [(error.path, error.line, error.message) for error in VALIDATOR.validator.error_log]
    return [
        Problem(_element_at(root, path), line, f'不符合 BPMN 2.0 规范：{error_texts.chinese(message)}')
        for path, line, message in errors
    ]


def _element_at(root: Element, path: str | None) -> str | None:
    """Id owning the node libxml2 blames, when its path can be resolved with the document's prefixes."""
    prefixes = {prefix: uri for prefix, uri in root.nsmap.items() if prefix}
    try:
        found = root.getroottree().xpath(path, namespaces=prefixes) if path else []
    except etree.XPathError:
        return None
    return owner_id(found[0]) if found and not isinstance(found[0], str) else None


def no_executable_process(root: Element, executable: list[Element]) -> list[Problem]:
    if executable:
        return []
    processes = list(root.iterchildren(_tag('process')))
    if not processes:
        return [Problem(None, root.sourceline, '文件中没有流程（bpmn:process），无法部署')]
    return [_at(p, f'流程{_label(p)}中没有任何环节（开始事件、任务等），无法部署') for p in processes]


_UNSUPPORTED = {
    'complexGateway': '复杂网关',
    'serviceTask': '服务任务（平台不调用外部服务；外部任务须指定 topic）',
    'businessRuleTask': '业务规则任务（DMN 决策表）',
    'dataStoreReference': '数据存储引用',
}


def unsupported_elements(root: Element, executable: list[Element]) -> Iterator[Problem]:
    """Elements the product refuses, and flow nodes the engine cannot run, at any depth of sub-processes."""
    for store in root.iterchildren(_tag('dataStore')):
        yield _at(store, f'不支持数据存储{_label(store)}：平台没有外部数据存储')
    for process in executable:
        for element in process.iter(*(_tag(name) for name in _UNSUPPORTED)):
            if not (local_name(element) == 'serviceTask' and topic_of(element)):  # an external task waits for a worker
                yield _at(element, f'不支持的元素：{_UNSUPPORTED[local_name(element)]}{_label(element)}')
        for element in process.iter(*(FLOW_NODES - _PARSED_NODES)):
            if local_name(element) not in _UNSUPPORTED:
                yield _at(element, f'流程引擎不支持的元素：{_FLOW_NODE_NAMES[local_name(element)]}{_label(element)}')


def lane_problems(executable: list[Element], rules: Rules) -> Iterator[Problem]:
    """Every lane that holds tasks (a leaf lane) must be named after a known role."""
    for process in executable:
        for lane in process.iter(_tag('lane')):
            if lane.find(_tag('childLaneSet')) is not None:
                continue
            name = lane.get('name')
            if not name:
                yield _at(lane, '泳道没有名称：泳道名称应为经办角色')
            elif name not in rules.known_lanes:
                yield _at(lane, f'泳道“{name}”不是已知角色；可用角色：{_listing(rules.known_lanes)}')


_CONTAINERS = {_tag('subProcess'), _tag('transaction'), _tag('adHocSubProcess')}


def _lane_element(task: Element, lanes_by_node: Mapping[str, Element]) -> Element | None:
    """The lane SpiffWorkflow gives a task: the outermost enclosing sub-process's lane wins."""
    chain: list[Element] = []
    element = task
    while element is not None and (element is task or element.tag in _CONTAINERS):
        chain.append(element)
        element = element.getparent()
    for member in reversed(chain):
        lane = lanes_by_node.get(member.get('id'))
        if lane is not None:
            return lane
    return None


def extensions_of(element: Element) -> dict[str, Any]:
    """Spiff extension values of an element, read exactly as SpiffBpmnParser reads them."""
    extensions: dict[str, Any] = SpiffTaskParser._parse_extensions(element)
    return extensions


def _vendor_form_key(task: Element) -> str | None:
    for attribute, value in task.attrib.items():
        if attribute.startswith('{') and attribute.endswith('}formKey'):
            key: str = value
            return key
    return None


# Tasks that wait for a person (SpiffWorkflow's manual specs): a plain <task> too, which modelers draw by default.
_HUMAN_TASKS = {'userTask': '用户任务', 'manualTask': '人工任务', 'task': '任务'}
_WAITS = '（它会等待经办人办理）'


def user_task_problems(root: Element, executable: list[Element], rules: Rules) -> Iterator[Problem]:
    """Every task that waits for a person needs a lane of a known role (checked by `lane_problems`) and a form."""
    lanes_by_node = {ref.text: ref.getparent() for ref in root.iter(_tag('flowNodeRef'))}
    for process in executable:
        for task in process.iter(*(_tag(name) for name in _HUMAN_TASKS)):
            kind = _HUMAN_TASKS[local_name(task)] + _label(task) + ('' if local_name(task) == 'userTask' else _WAITS)
            if _lane_element(task, lanes_by_node) is None:
                yield _at(task, f'{kind}不在任何泳道中：请把它放进经办角色的泳道')
            try:
                form_key = extensions_of(task).get('properties', {}).get('formKey')
            except (KeyError, IndexError):
                yield _at(task, f'{kind}的扩展属性格式错误：每个属性都要有名称和值')
                continue
            if form_key is None:
                vendor = _vendor_form_key(task)
                hint = f'（文件中其他引擎的表单设置 formKey="{vendor}" 平台不读取）' if vendor else ''
                yield _at(task, f'{kind}没有表单：请在“办理表单”中选择经办人办理时填写的表单{hint}')
            elif form_key not in rules.known_forms:
                yield _at(task, f'{kind}的表单“{form_key}”不存在；可用表单：{_listing(rules.known_forms)}')


# Names SpiffWorkflow gives its own task specs; an element with one of these ids is silently
# merged with them (a start event called "Start" leaves the process with nothing to run).
_RESERVED_IDS = frozenset({'Start', 'End', 'Root', 'StartEventSplit', 'StartEventJoin'})
_RESERVED_SUFFIXES = ('.EndJoin', '.BoundaryEventSplit', '.BoundaryEventJoin', ' [child]')


def reserved_id_problems(executable: list[Element]) -> Iterator[Problem]:
    for process in executable:
        for element in process.iter():
            element_id = element.get('id') if isinstance(element.tag, str) else None
            if element_id and (element_id in _RESERVED_IDS or element_id.endswith(_RESERVED_SUFFIXES)):
                yield _at(element, f'元素 id“{element_id}”是流程引擎的保留名，请改用其他 id')


_EXPRESSIONS = {
    'conditionExpression': '分支条件',
    'condition': '条件事件的条件',
    'loopCondition': '循环条件',
    'completionCondition': '完成条件',
    'loopCardinality': '循环次数',
}


def _expression_refusal(text: str | None) -> str | None:
    if text is None or not text.strip():
        return '为空'
    if '${' in text or '#{' in text:
        return f'“{text.strip()}”是 JUEL 写法；平台使用 Python 表达式，例如 approved == True'
    if text.strip().startswith('='):
        return f'“{text.strip()}”是 FEEL 写法；平台使用 Python 表达式，例如 approved == True'
    return check_expression(text)


def expression_problems(executable: list[Element]) -> Iterator[Problem]:
    for process in executable:
        for element in process.iter(*(_tag(name) for name in _EXPRESSIONS)):
            reason = _expression_refusal(element.text)
            if reason:
                yield _on_owner(element, f'{_EXPRESSIONS[local_name(element)]}不可用：{reason}')


_PYTHON_FORMATS = {'python', 'python3', 'text/python', 'text/x-python', 'application/x-python'}


def script_problems(executable: list[Element]) -> Iterator[Problem]:
    for process in executable:
        for task in process.iter(_tag('scriptTask')):
            script_format = task.get('scriptFormat')
            if script_format and script_format.lower() not in _PYTHON_FORMATS:
                yield _at(task, f'脚本任务{_label(task)}的脚本语言“{script_format}”不受支持，只支持 Python')
                continue
            script = task.find(_tag('script'))
            if script is None or not (script.text or '').strip():
                yield _at(task, f'脚本任务{_label(task)}没有脚本')
                continue
            reason = check_script(script.text)
            if reason:
                yield _at(task, f'脚本任务{_label(task)}：{reason}')
        for element in process.iter():
            if not isinstance(element.tag, str) or element.find(_tag('extensionElements')) is None:
                continue
            try:
                extensions = extensions_of(element)
            except (KeyError, IndexError):
                continue
            for key, label in (('preScript', '前置脚本'), ('postScript', '后置脚本')):
                reason = check_script(extensions[key]) if extensions.get(key) else None
                if reason:
                    yield _at(element, f'{label}：{reason}')


_TIMER_KINDS = {
    'timeDate': ('日期时间', '2025-06-30T09:00:00+08:00'),
    'timeDuration': ('时长', 'PT48H'),
    'timeCycle': ('循环周期', 'R3/PT24H'),
}


def _timer_value_error(kind: str, value: object) -> str | None:
    """Why SpiffWorkflow could not use `value` for a timer of this kind, or None."""
    if not isinstance(value, str):
        return f'结果必须是 ISO 8601 文本，实际是 {type(value).__name__}'
    try:
        if kind == 'timeDate':
            if not hasattr(TimerEventDefinition.parse_time_or_duration(value), 'tzinfo'):
                return f'“{value}”不是日期时间'
        elif kind == 'timeDuration':
            TimerEventDefinition.parse_iso_duration(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:
        return f'“{value}”不是有效的 ISO 8601 {_TIMER_KINDS[kind][0]}'
    return None


def _timer_refusal(kind: str, text: str | None, rules: Rules) -> str | None:
    literal = (text or '').strip()
    if not literal:
        return '为空'
    if _timer_value_error(kind, literal) is None:
        return f'计时器表达式按 Python 求值，ISO 文本要加引号：请写成 "{literal}"'
    assert text is not None  # a None text has an empty literal
    reason = check_expression(text)
    if reason:
        return reason
    try:
        value = rules.environment.evaluate(text, dict(rules.sample_data))
    except Exception as failure:
        return f'试算失败：{failure}（例如写成 "{_TIMER_KINDS[kind][1]}"）'
    return _timer_value_error(kind, value)


def timer_problems(executable: list[Element], rules: Rules) -> Iterator[Problem]:
    for process in executable:
        for definition in process.iter(_tag('timerEventDefinition')):
            specs = [child for child in definition if isinstance(child.tag, str) and local_name(child) in _TIMER_KINDS]
            if not specs:
                yield _on_owner(definition, '计时器没有设置 timeDate、timeDuration 或 timeCycle')
            for spec in specs:
                reason = _timer_refusal(local_name(spec), spec.text, rules)
                if reason:
                    yield _on_owner(
                        spec, f'计时器{_TIMER_KINDS[local_name(spec)][0]}不可用：{reason}', definition.getparent()
                    )


_REFERENCES = {
    'messageEventDefinition': ('messageRef', 'message', '消息'),
    'signalEventDefinition': ('signalRef', 'signal', '信号'),
    'errorEventDefinition': ('errorRef', 'error', '错误'),
    'escalationEventDefinition': ('escalationRef', 'escalation', '升级'),
}


def reference_problems(
    root: Element, executable: list[Element], deployed_processes: frozenset[str] = frozenset()
) -> Iterator[Problem]:
    """Dangling references and nameless messages: SpiffWorkflow crashes on these instead of reporting them.

    A call activity may call a process of this file or one already deployed from another file
    (`deployed_processes`, e.g. the shared sub-flows).
    """
    executable_ids = {p.get('id') for p in executable} | set(deployed_processes)
    for message in root.iterchildren(_tag('message')):
        if not message.get('name'):
            yield _at(message, '消息没有名称（bpmn:message 需要 name）')
    for process in executable:
        for call in process.iter(_tag('callActivity')):
            called = call.get('calledElement')
            if not called:
                yield _at(call, f'调用活动{_label(call)}没有指定被调用的流程（calledElement）')
            elif called not in executable_ids:
                yield _at(
                    call,
                    f'调用活动{_label(call)}调用的流程“{called}”不在本文件中，也不是已部署的流程（共用子流程须先部署）',
                )
        for tag, (attribute, target, label) in _REFERENCES.items():
            defined = {element.get('id') for element in root.iterchildren(_tag(target))}
            for definition in process.iter(_tag(tag)):
                ref = definition.get(attribute)
                if ref and ref not in defined:
                    yield _on_owner(definition, f'引用了未定义的{label}“{ref}”')
        yield from _awaited_messages(root, process)
        for definition in process.iter(_tag('conditionalEventDefinition')):
            if definition.find(_tag('condition')) is None:
                yield _on_owner(definition, '条件事件没有条件（bpmn:condition）')


_CATCHING_EVENTS = frozenset(_tag(name) for name in ('startEvent', 'intermediateCatchEvent', 'boundaryEvent'))


def _awaited_messages(root: Element, process: Element) -> Iterator[Problem]:
    """A message a case waits for must be one the system can send: a defined message with a name (nameless ones
    are refused wherever they are); a receive or send task's messageRef must name a defined message."""
    defined = {message.get('id') for message in root.iterchildren(_tag('message'))}
    for task in process.iter(_tag('receiveTask'), _tag('sendTask')):
        ref = task.get('messageRef')
        if ref is None and local_name(task) == 'receiveTask':
            yield _at(task, f'接收任务{_label(task)}没有指定要等待的消息（messageRef）：没有人能发送它')
        elif ref is not None and ref not in defined:
            yield _at(task, f'{_FLOW_NODE_NAMES[local_name(task)]}{_label(task)}引用了未定义的消息“{ref}”')
    for definition in process.iter(_tag('messageEventDefinition')):
        event = definition.getparent()
        if event.tag in _CATCHING_EVENTS and not definition.get('messageRef'):
            yield _at(event, f'消息事件{_label(event)}没有指定要等待的消息（messageRef）：没有人能发送它')


# Markup a browser runs when it shows the XML (or a page embeds it): a stored diagram is served back to designers,
# so a diagram carrying any of it is refused at upload (stored XSS). BPMN, its diagram interchange and the engines'
# extension namespaces need none of it.
_ACTIVE_NAMESPACES = {
    'http://www.w3.org/1999/xhtml': 'HTML',
    'http://www.w3.org/2000/svg': 'SVG',
    'http://www.w3.org/1998/Math/MathML': 'MathML',
    'http://www.w3.org/1999/XSL/Transform': 'XSLT',
    'http://www.w3.org/2001/XInclude': 'XInclude',
}
_ACTIVE_NAMES = frozenset({'script', 'iframe', 'object', 'embed', 'foreignObject', 'frame', 'frameset'})
# HTML and SVG event handlers are lower case (onload, onclick, onbegin); Flowable's onTransaction is not one.
_EVENT_HANDLER = re.compile(r'on[a-z]+')
_SCRIPT_URL = re.compile(r'(?:java|vb|live)script:|data:\s*(?:text/html|image/svg|application/(?:xhtml|xml))', re.I)
_INVISIBLE = re.compile(r'[\x00-\x20\x7f]+')


def _script_url(value: str | None) -> bool:
    """A javascript:/vbscript: URL or an HTML/SVG data: URL, however spaced or cased (browsers drop the spaces)."""
    return value is not None and _SCRIPT_URL.match(_INVISIBLE.sub('', value)) is not None


def _where(element: Element) -> str:
    return f'元素 <{element.prefix + ":" if element.prefix else ""}{local_name(element)}>'


def markup_problems(root: Element) -> Iterator[Problem]:
    """Markup that could run in a browser, anywhere in the file: elements in the HTML, SVG, MathML, XSLT or
    XInclude namespaces, a script/iframe/object/embed element in no namespace, an event-handler attribute
    (on…), a javascript: (or HTML data:) URL in any attribute or text, an xml-stylesheet instruction."""
    document = root.getroottree()
    outside = [*document.getroot().itersiblings(preceding=True), *document.getroot().itersiblings()]
    for node in [*outside, *root.iter(etree.PI)]:
        if isinstance(node, etree._ProcessingInstruction) and node.target.lower() == 'xml-stylesheet':
            yield Problem(None, node.sourceline, '不允许 xml-stylesheet 处理指令：样式表可在浏览器中执行脚本')
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace = etree.QName(element).namespace
        if namespace in _ACTIVE_NAMESPACES:
            yield _at(
                element,
                f'不允许在流程图中嵌入 {_ACTIVE_NAMESPACES[namespace]} 标记（{_where(element)}）：'
                '它可在浏览器中执行脚本，请删除',
            )
            continue
        if namespace is None and local_name(element) in _ACTIVE_NAMES:
            yield _at(element, f'不允许 {_where(element)}：它可在浏览器中执行脚本，请删除')
        for attribute, value in element.attrib.items():
            name = etree.QName(attribute).localname
            if _EVENT_HANDLER.fullmatch(name):
                yield _at(element, f'{_where(element)} 的属性 {name} 是网页事件脚本，不允许出现在流程图中')
            elif _script_url(value):
                yield _at(element, f'{_where(element)} 的属性 {name} 是 javascript: 等脚本地址，不允许出现在流程图中')
        if _script_url(element.text) or _script_url(element.tail):
            yield _at(element, f'{_where(element)} 的内容是 javascript: 等脚本地址，不允许出现在流程图中')
