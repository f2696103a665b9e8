"""Diagrams saved in UTF-16, ISO-8859-1 or GBK deploy as their byte-order mark or XML declaration says, on every
path that reads them (upload plain and converted, the version's XML, its diff, the designers' source view); one
that cannot be read answers 422 naming the encoding found, never 500."""

import io
from pathlib import Path

import pytest
from lxml import etree

from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"
VALID = (FIXTURES / "valid_review.bpmn").read_text("utf-8")
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
DESIGNER = "fengcheng.designer"


def _declared(encoding: str) -> str:
    return VALID.replace(DECLARATION, f'<?xml version="1.0" encoding="{encoding}"?>', 1)


# The Chinese names survive every encoding: ISO-8859-1 carries them as character references.
SAVED = {
    "UTF-16 with BOM": _declared("UTF-16").encode("utf-16"),
    "UTF-16LE without BOM": _declared("UTF-16").encode("utf-16-le"),
    "UTF-16BE without BOM or declaration": VALID.replace(DECLARATION + "\n", "").encode("utf-16-be"),
    "ISO-8859-1 declared": _declared("ISO-8859-1")
    .replace('name="初审材料"', 'name="Révision 初审材料"')
    .encode("iso-8859-1", "xmlcharrefreplace"),
    "GBK declared": _declared("GBK").encode("gbk"),
}


def upload(caller, data: bytes, convert: bool):
    query = "?convert=vendor" if convert else ""
    return caller.post(
        f"/api/definitions{query}", data={"file": (io.BytesIO(data), "saved.bpmn")}, content_type="multipart/form-data"
    )


@pytest.mark.parametrize("convert", [False, True], ids=["plain", "vendor"])
@pytest.mark.parametrize("saved", SAVED.values(), ids=SAVED.keys())
def test_a_diagram_saved_in_another_encoding_deploys_and_reads_back_in_utf8(app, as_user, saved, convert):
    designer = as_user(DESIGNER)
    response = upload(designer, saved, convert)
    assert response.status_code == 201, response.get_json()
    definition_id = response.get_json()["id"]
    assert designer.get(f"/api/definitions/{definition_id}").status_code == 200
    assert designer.get(f"/api/definitions/{definition_id}/diff").status_code == 200
    pages, _ = page_login(app, DESIGNER)
    source = pages.get(f"/design/versions/{definition_id}/source")
    assert source.status_code == 200
    text = source.get_data(as_text=True)
    assert "UTF-16" not in text and "8859" not in text and "GBK" not in text  # a declaration left says UTF-8
    names = {e.get("name") for e in etree.fromstring(text.encode("utf-8")).iter() if isinstance(e.tag, str)}
    assert {"零星报销审核", "复核并支付"} <= names and any("初审材料" in (name or "") for name in names)
    assert pages.get(f"/design/versions/{definition_id}/diff").status_code == 200


UNREADABLE = {
    "Latin-1 without declaration": (
        VALID.replace('name="初审材料"', 'name="Révision"').encode("utf-8").replace("é".encode(), b"\xe9"),
        "文件编码为 ISO-8859-1，无法按 UTF-8 读取",
    ),
    "GBK without declaration": (
        VALID.replace(DECLARATION, '<?xml version="1.0"?>').encode("gbk"),
        "文件编码为 GBK，无法按 UTF-8 读取",
    ),
    "GB18030 declared, bytes not": (
        _declared("GB18030").encode("gb18030").replace("复核".encode("gb18030"), b"\xff\xff"),
        "文件内容不是有效的 GB18030 编码",
    ),
    "unknown encoding": (_declared("EBCDIC-XYZ").encode("utf-8"), "不支持的文件编码：EBCDIC-XYZ"),
}


@pytest.mark.parametrize("convert", [False, True], ids=["plain", "vendor"])
@pytest.mark.parametrize("data, says", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_diagram_is_refused_with_422_naming_the_encoding(as_user, data, says, convert):
    response = upload(as_user(DESIGNER), data, convert)
    assert response.status_code == 422, response.get_data(as_text=True)
    [problem] = response.get_json()["problems"]
    assert says in problem["message"], problem
    assert problem["line"]


def test_an_unreadable_diagram_is_refused_on_the_designers_upload_page(app):
    pages, _ = page_login(app, DESIGNER)
    data, says = UNREADABLE["Latin-1 without declaration"]
    token = csrf_token(pages.get("/design/processes").get_data(as_text=True))
    response = pages.post(
        "/design/upload",
        data={"csrf_token": token, "file": (io.BytesIO(data), "latin1.bpmn")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and says in response.get_data(as_text=True)
