"""Safe reading of uploaded BPMN XML.

Uploads come from outside, so the bytes are screened before any real parser builds a
tree: a size cap, then defusedxml refuses DOCTYPE, entity declarations and external
references; only then lxml (entities unresolved, no network, no DTD) builds the tree
SpiffWorkflow needs, with source lines kept for error reports.
"""

from typing import TypeAlias
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as screened_fromstring
from lxml import etree

BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL'
NSMAP = {'bpmn': BPMN_NS}

# lxml ships no type information here (no lxml-stubs), so an element is Any to mypy; the alias names it.
Element: TypeAlias = etree._Element

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class XmlRefused(Exception):
    """The upload is not a safe, well-formed BPMN document; `line` points at the fault when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def parse_diagram_xml(data: bytes, *, max_bytes: int) -> etree._Element:
    """The `bpmn:definitions` root of `data`, or XmlRefused saying why it cannot be read."""
    if len(data) > max_bytes:
        raise XmlRefused(f'文件过大：{len(data)} 字节，上限 {max_bytes} 字节')
    if not data.strip():
        raise XmlRefused('文件为空')
    _screen(data)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as broken:
        raise XmlRefused(f'XML 格式错误：{broken.msg}', broken.lineno) from None
    if root.getroottree().docinfo.doctype:
        raise XmlRefused('不允许 DOCTYPE 声明（DTD 与实体可被用于攻击）', 1)
    if etree.QName(root).text != f'{{{BPMN_NS}}}definitions':
        raise XmlRefused(
            f'不是 BPMN 2.0 文件：根元素应为 bpmn:definitions，实际为 {etree.QName(root).localname}', root.sourceline
        )
    return root


def _screen(data: bytes) -> None:
    try:
        screened_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise XmlRefused(
            '不允许 DOCTYPE、实体声明或外部引用（DTD 与实体可被用于攻击）', _line_of(data, b'<!')
        ) from None
    except ParseError as broken:
        line, _column = broken.position
        raise XmlRefused(f'XML 格式错误：{broken}', line) from None
    except ValueError as unsupported:
        raise XmlRefused(f'不支持的文件编码，请以 UTF-8 保存：{unsupported}', 1) from None


def _line_of(data: bytes, marker: bytes) -> int | None:
    index = data.find(marker)
    return data.count(b'\n', 0, index) + 1 if index >= 0 else None


def owner_id(element: Element | None) -> str | None:
    """Id of the element itself or of its nearest ancestor that has one: what a designer can find."""
    while element is not None:
        if element.get('id'):
            found: str = element.get('id')
            return found
        element = element.getparent()
    return None


def local_name(element: Element) -> str:
    name: str = etree.QName(element).localname
    return name
