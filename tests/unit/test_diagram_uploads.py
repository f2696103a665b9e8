"""What an uploaded diagram may not carry (markup a browser would run) and the encodings it may be saved in."""

from pathlib import Path

import pytest

from engine.bpmn.validation import Report, validate_diagram
from engine.bpmn.xmlread import XmlRefused, diagram_text

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures' / 'bpmn'
LANES = {'乡镇(街道)医保专窗经办员', '医保中心审核员'}
FORMS = {'review', 'payout'}
VALID = (FIXTURES / 'valid_review.bpmn').read_text('utf-8')
PROPERTIES = '<spiffworkflow:property name="formKey" value="review" />'


def _validate(data: bytes) -> Report:
    return validate_diagram(data, known_lanes=LANES, known_forms=FORMS, functions={})


def _with(old: str, new: str) -> bytes:
    assert old in VALID
    return VALID.replace(old, new, 1).encode('utf-8')


def _line_of(data: bytes, marker: str) -> int:
    text = data.decode('utf-8')
    return text[: text.index(marker)].count('\n') + 1


def test_the_valid_fixture_carries_no_markup():
    assert _validate(VALID.encode('utf-8')).ok


INSIDE_EXTENSIONS = {
    'XHTML script': '<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(document.cookie)</html:script>',
    'XHTML by default namespace': '<div xmlns="http://www.w3.org/1999/xhtml"><img src="x" /></div>',
    'SVG': '<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:circle r="1" /></svg:svg>',
    'XSLT': '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0" />',
    'bare script': '<script>alert(1)</script>',
    'event handler': '<spiffworkflow:property name="x" value="y" onload="alert(1)" />',
    'javascript URL': '<spiffworkflow:property name="link" value="  JaVa\tScript:alert(1)" />',
    'data URL of HTML': '<spiffworkflow:property name="link" value="data:text/html;base64,PHNjcmlwdD4=" />',
    'javascript text': '<spiffworkflow:unitTests>javascript:alert(1)</spiffworkflow:unitTests>',
}


@pytest.mark.parametrize('markup', INSIDE_EXTENSIONS.values(), ids=INSIDE_EXTENSIONS.keys())
def test_markup_that_runs_in_a_browser_is_refused_naming_its_line(markup):
    data = _with(PROPERTIES, PROPERTIES + '\n' + markup)
    report = _validate(data)
    assert not report.ok
    refusals = [p for p in report.errors if '浏览器' in p.message or '脚本' in p.message]
    assert refusals, report.errors
    assert refusals[0].line == _line_of(data, markup)
    assert refusals[0].element_id == 'Task_review'


def test_markup_anywhere_else_is_refused_too():
    documentation = '<bpmn:documentation><a xmlns="http://www.w3.org/1999/xhtml" href="#">x</a></bpmn:documentation>'
    data = _with(
        '<bpmn:startEvent id="Event_start" name="受理">',
        '<bpmn:startEvent id="Event_start" name="受理">' + documentation,
    )
    assert any('HTML' in p.message for p in _validate(data).errors)
    on_bpmn = _with('name="初审材料"', 'name="初审材料" onclick="alert(1)"')
    assert any('onclick' in p.message for p in _validate(on_bpmn).errors)
    xlink = _with('name="初审材料"', 'xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="javascript:alert(1)"')
    assert any('javascript:' in p.message for p in _validate(xlink).errors)
    stylesheet = _with('?>', '?>\n<?xml-stylesheet type="text/xsl" href="data:text/xml,x"?>')
    [problem] = [p for p in _validate(stylesheet).errors if 'xml-stylesheet' in p.message]
    assert problem.line == 2


def test_what_diagrams_need_is_not_markup():
    """Flowable's onTransaction, a link to a web page, the word javascript in a documentation."""
    allowed = _with(
        PROPERTIES,
        PROPERTIES
        + '<spiffworkflow:property name="help" value="https://ybj.example.gov.cn/guide.html" />'
        + '<flowable:executionListener xmlns:flowable="http://flowable.org/bpmn" event="end" onTransaction="committed"'
        + ' class="x" />',
    )
    assert not [p for p in _validate(allowed).errors if '浏览器' in p.message or '脚本地址' in p.message]
    documented = _with(
        'name="初审材料">', 'name="初审材料"><bpmn:documentation>不使用 javascript: 链接</bpmn:documentation>'
    )
    assert _validate(documented).ok


@pytest.mark.parametrize('encoding', ['UTF-16', 'UTF-16LE', 'UTF-16BE', 'UTF-32', 'GB18030', 'GBK', 'ISO-8859-1'])
def test_a_diagram_in_another_encoding_is_read_as_its_declaration_says(encoding):
    declared = VALID.replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
    codec = {'UTF-16': 'utf-16', 'UTF-32': 'utf-32'}.get(encoding, encoding)
    data = declared.encode(codec, errors='xmlcharrefreplace')
    text = diagram_text(data)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert _validate(data).ok
    assert _validate(text.encode('utf-8')).ok


@pytest.mark.parametrize('codec', ['utf-16-le', 'utf-16-be'])
def test_utf16_without_mark_or_declaration_is_read_from_its_nul_bytes(codec):
    undeclared = VALID.replace('<?xml version="1.0" encoding="UTF-8"?>\n', '')
    assert diagram_text(undeclared.encode(codec)) == undeclared
    assert _validate(undeclared.encode(codec)).ok


def test_a_byte_order_mark_is_read_and_dropped():
    assert diagram_text(b'\xef\xbb\xbf' + VALID.encode('utf-8')) == VALID


@pytest.mark.parametrize(
    'data, says',
    [
        (b'<?xml version="1.0" encoding="UTF-7"?><x/>', '不支持的文件编码：UTF-7'),
        (b'<?xml version="1.0" encoding="no-such-codec"?><x/>', '不支持的文件编码：no-such-codec'),
        (b'<?xml version="1.0" encoding="UTF-16"?><x/>', '声明的编码为 UTF-16，但文件内容不是 UTF-16'),
        ('<?xml version="1.0" encoding="GBK"?><x/>'.encode('utf-16'), '与文件的字节顺序标记（UTF-16）不符'),
        (b'<?xml version="1.0"?>\n<x>\n\xff</x>', '文件编码为 ISO-8859-1，无法按 UTF-8 读取（第 3 行）'),
        (b'<?xml version="1.0"?>\n<x name="R\xe9vision"/>', '文件编码为 ISO-8859-1，无法按 UTF-8 读取（第 2 行）'),
        ('<?xml version="1.0"?>\n<x name="初审"/>'.encode('gbk'), '文件编码为 GBK，无法按 UTF-8 读取（第 2 行）'),
        ('<?xml version="1.0" encoding="GB18030"?>\n<x>\n\ud800</x>'.encode('utf-8', 'surrogatepass'), 'GB18030'),
    ],
)
def test_an_unreadable_encoding_is_refused_naming_it(data, says):
    with pytest.raises(XmlRefused) as refused:
        diagram_text(data)
    assert says in refused.value.message and 'UTF-8' in refused.value.message
    [problem] = _validate(data).errors
    assert says in problem.message
