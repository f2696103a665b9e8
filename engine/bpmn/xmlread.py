"""Safe reading of uploaded BPMN XML.

Uploads come from outside, so the bytes are screened before any real parser builds a
tree: a size cap, then the text is read in the encoding its byte-order mark or XML declaration
names and made UTF-8 (`diagram_text`, also what a version stores, so it reads back the same),
then defusedxml refuses DOCTYPE, entity declarations and external references; only then lxml
(entities unresolved, no network, no DTD) builds the tree SpiffWorkflow needs, with source
lines kept for error reports.
"""

import codecs
import re
from typing import TypeAlias
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as screened_fromstring
from lxml import etree

from engine.bpmn import error_texts

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
    data = diagram_text(data).encode('utf-8')
    if not data.strip():
        raise XmlRefused('文件为空')
    _screen(data)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as broken:
        raise XmlRefused(
            f'XML 格式错误（第 {broken.lineno} 行）：{error_texts.chinese(broken.msg)}', broken.lineno
        ) from None
    if root.getroottree().docinfo.doctype:
        raise XmlRefused('不允许 DOCTYPE 声明（DTD 与实体可被用于攻击）', 1)
    if etree.QName(root).text != f'{{{BPMN_NS}}}definitions':
        raise XmlRefused(
            f'不是 BPMN 2.0 文件：根元素应为 bpmn:definitions，实际为 {etree.QName(root).localname}', root.sourceline
        )
    return root


# Encodings a diagram may be saved in (canonical `codecs` names); any other is refused by name, never guessed.
READABLE_ENCODINGS = frozenset(
    {'utf-8', 'utf-16', 'utf-16-le', 'utf-16-be', 'utf-32', 'utf-32-le', 'utf-32-be', 'ascii', 'iso8859-1'}
    | {'cp1252', 'gb2312', 'gbk', 'gb18030', 'big5'}
)
_MARKS = (  # byte-order marks, and "<?" in UTF-16 without one (XML 1.0 appendix F)
    (codecs.BOM_UTF32_LE, 'utf-32'),  # before UTF-16 LE, whose mark it begins with
    (codecs.BOM_UTF32_BE, 'utf-32'),
    (codecs.BOM_UTF8, 'utf-8-sig'),
    (codecs.BOM_UTF16_LE, 'utf-16'),
    (codecs.BOM_UTF16_BE, 'utf-16'),
    (b'<\0?\0', 'utf-16-le'),
    (b'\0<\0?', 'utf-16-be'),
    (b'<\0', 'utf-16-le'),  # no mark and no declaration, but the NUL bytes of UTF-16 around the first "<"
    (b'\0<', 'utf-16-be'),
)
_DECLARED = re.compile(r'<\?xml\s[^>]*?\bencoding\s*=\s*["\']([^"\']*)["\']')


def diagram_text(data: bytes) -> str:
    """The diagram as text whose XML declaration (if any) says UTF-8: how a version is checked and stored.

    Read in the encoding its byte-order mark, else its XML declaration, names (UTF-8 when neither does), as an
    XML parser reads it. An encoding outside `READABLE_ENCODINGS`, a declaration the bytes contradict, or bytes
    that are not in the encoding named raise XmlRefused naming the encoding.
    """
    marked = next((codec for mark, codec in _MARKS if data.startswith(mark)), None)
    if marked is None:
        found = _DECLARED.match(data[:300].decode('latin-1'))
        declared = found.group(1).strip() if found else 'UTF-8'
        codec = _readable(declared)
        if codec.startswith(('utf-16', 'utf-32')):
            raise XmlRefused(f'XML 声明的编码为 {declared}，但文件内容不是 {declared} 编码，请以 UTF-8 保存', 1)
    else:
        declared, codec = _shown(marked), marked
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as broken:
        line = data.count(b'\n', 0, broken.start) + 1
        if codec == 'utf-8':
            found_in = _legacy_encoding(data)
            raise XmlRefused(
                f'文件编码为 {found_in}，无法按 UTF-8 读取（第 {line} 行）：请以 UTF-8 保存，'
                f'或在 XML 声明中写明 encoding="{found_in}"',
                line,
            ) from None
        raise XmlRefused(f'文件内容不是有效的 {declared} 编码（第 {line} 行），请以 UTF-8 保存', line) from None
    found = _DECLARED.match(text)
    if found is None:
        return text
    if marked is not None and _family(_readable(found.group(1).strip())) != _family(codec):
        raise XmlRefused(
            f'XML 声明的编码 {found.group(1).strip()} 与文件的字节顺序标记（{declared}）不符，请以 UTF-8 保存', 1
        )
    return text[: found.start(1)] + 'UTF-8' + text[found.end(1) :]


_CHINESE = re.compile(r'[\u4e00-\u9fff]')


def _legacy_encoding(data: bytes) -> str:
    """What a diagram that is not UTF-8 was most likely saved in: GBK when its bytes read as the GB2312 Chinese
    characters every GBK file mostly holds (both bytes of each at 0xA1 or above), else ISO-8859-1, which reads any
    bytes (a lone Latin letter such as é followed by ASCII is a valid GBK pair, but never a GB2312 one)."""
    try:
        text = data.decode('gb2312')
    except UnicodeDecodeError:
        return 'ISO-8859-1'
    return 'GBK' if _CHINESE.search(text) else 'ISO-8859-1'


def _readable(name: str) -> str:
    """The canonical codec of an encoding a diagram may be in; XmlRefused naming any other."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        codec = ''
    if codec not in READABLE_ENCODINGS:
        raise XmlRefused(f'不支持的文件编码：{name}，请以 UTF-8 保存', 1)
    return codec


def _family(codec: str) -> str:
    """utf-8, utf-16 or utf-32 without byte order or mark: what a byte-order mark tells."""
    return codec.removesuffix('-sig').removesuffix('-le').removesuffix('-be')


def _shown(codec: str) -> str:
    return {'utf-8-sig': 'UTF-8', 'utf-16': 'UTF-16', 'utf-32': 'UTF-32'}.get(codec, codec.upper())


def _screen(data: bytes) -> None:
    try:
        screened_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise XmlRefused(
            '不允许 DOCTYPE、实体声明或外部引用（DTD 与实体可被用于攻击）', _line_of(data, b'<!')
        ) from None
    except ParseError as broken:
        line, _column = broken.position
        raise XmlRefused(f'XML 格式错误（第 {line} 行）：{error_texts.chinese(str(broken))}', line) from None
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
