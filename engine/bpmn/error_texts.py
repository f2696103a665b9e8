"""The refusals of the libraries that read and run diagrams (SpiffWorkflow, lxml/libxml2, expat), in Chinese.

Their texts are written for programmers: English, with memory addresses (`<Element … at 0x7f…>`), byte dumps
and `{namespace}` names. `chinese` cleans a text and translates it with the reviewed table of
`engine/data/error_texts.toml`; a text the table does not know is shown whole, cleaned, never cut short.
"""

import re
import tomllib
from dataclasses import dataclass
from functools import cache

from engine.core.reference import DATA_DIR

_PREFIXES = {
    'http://www.omg.org/spec/BPMN/20100524/MODEL': 'bpmn',
    'http://www.omg.org/spec/BPMN/20100524/DI': 'bpmndi',
    'http://www.omg.org/spec/DD/20100524/DC': 'dc',
    'http://www.omg.org/spec/DD/20100524/DI': 'di',
    'http://spiffworkflow.org/bpmn/schema/1.0/core': 'spiffworkflow',
    'http://www.w3.org/2001/XMLSchema-instance': 'xsi',
}
_QUALIFIED = re.compile(r'\{([^{}\s]+)\}([\w.-]+)')
_ELEMENT_REPR = re.compile(r'<Element (\S+) at 0x[0-9a-fA-F]+>')
_OBJECT_REPR = re.compile(r'<([\w.]+) object at 0x[0-9a-fA-F]+>')
_ADDRESS = re.compile(r'\s*\bat 0x[0-9a-fA-F]{6,}\b')
_BYTES_LITERAL = re.compile(r"""\bb(['"]).*?(?<!\\)\1""", re.S)
_BYTE_DUMP = re.compile(r',?\s*Bytes:(?:\s*0x[0-9A-Fa-f]{2})+')
_EXPAT_POSITION = re.compile(r':\s*line \d+, column \d+$')
_REPR_OF_EXCEPTION = re.compile(r'''(\w+)\((['"])(.*)\2,?\)''', re.S)  # SpiffWorkflow's "%r" % exception
_ORIGINAL = '流程引擎的原始提示：'


@dataclass(frozen=True)
class _Entry:
    pattern: re.Pattern[str]
    chinese: str


@cache
def _table() -> tuple[_Entry, ...]:
    document = tomllib.loads((DATA_DIR / 'error_texts.toml').read_text(encoding='utf-8'))
    return tuple(_Entry(re.compile(entry['pattern']), entry['chinese']) for entry in document['text'])


def _prefixed(found: re.Match[str]) -> str:
    prefix = _PREFIXES.get(found.group(1))
    return f'{prefix}:{found.group(2)}' if prefix else found.group(2)


def cleaned(text: str) -> str:
    """`text` without memory addresses, byte dumps or expat's position, with namespaced names written bpmn:name."""
    wrapped = _REPR_OF_EXCEPTION.fullmatch(text.strip())
    if wrapped:
        kind, text = wrapped.group(1), wrapped.group(3)
        text = f'KeyError: {text}' if kind == 'KeyError' else text
    text = _ELEMENT_REPR.sub(r'\1', text)
    text = _OBJECT_REPR.sub(r'\1', text)
    text = _ADDRESS.sub('', text)
    text = _BYTES_LITERAL.sub('…', text)
    text = _BYTE_DUMP.sub('', text)
    text = _QUALIFIED.sub(_prefixed, text)
    text = _EXPAT_POSITION.sub('', text.strip())
    return ' '.join(text.split())


def chinese(text: str) -> str:
    """The Chinese of a library's message, or the message itself, cleaned, after 流程引擎的原始提示."""
    text = cleaned(text)
    for entry in _table():
        found = entry.pattern.fullmatch(text)
        if found:
            return entry.chinese.format_map({k: v or '' for k, v in found.groupdict().items()})
    return f'{_ORIGINAL}{text}' if text else '流程引擎未说明原因'


def of_exception(exc: BaseException) -> str:
    """The Chinese of an exception raised while reading or running a diagram.

    SpiffWorkflow's own exceptions keep the message as their first argument (their str() adds notes in English);
    other exceptions may carry arguments that are bytes (a node dumped with etree.tostring), which are left out.
    """
    if isinstance(exc, KeyError):
        return chinese(f'KeyError: {exc.args[0] if exc.args else ""}')
    texts = [arg for arg in exc.args if isinstance(arg, str)]
    return chinese(texts[0] if texts else str(exc))
