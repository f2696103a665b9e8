"""What a scan must be before it is kept: its type read from its bytes (never its name), its size, and for
a PDF a readable, unencrypted document whose pages are counted. Every limit is here, once.

Refusals are `Invalid` with a message under the field `file`, in the words a clerk reads.
"""

import io
import logging
import re
import unicodedata
from dataclasses import dataclass

from pypdf import PdfReader

from engine.core.errors import Invalid

MB = 1024 * 1024
MAX_FILE_BYTES = 10 * MB
"""The largest scan accepted, per file."""
MAX_CASE_BYTES = 50 * MB
"""The most a case may hold, all its scans together."""

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
IMAGES = frozenset({JPEG, PNG})
# Magic numbers: how each accepted type begins.
SIGNATURES = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))
EXTENSIONS = {JPEG: (".jpg", ".jpeg"), PNG: (".png",), PDF: (".pdf",)}
ACCEPT = ",".join(sorted({JPEG, PNG, PDF}))
"""For an upload input's `accept` attribute: the types the checks let through."""

NOT_ACCEPTED = "只能上传 JPG、PNG 或 PDF 文件（按文件内容判断）"
EMPTY = "请选择要上传的文件（文件不能为空）"
FILE_TOO_LARGE = f"单个文件不能超过 {MAX_FILE_BYTES // MB} MB"
CASE_TOO_LARGE = f"本办件的附件合计不能超过 {MAX_CASE_BYTES // MB} MB"
UPLOAD_TOO_LARGE = f"上传的文件过大：{FILE_TOO_LARGE}，{CASE_TOO_LARGE}"
"""What a request over the upload limit is told, before any file of it is read."""
PDF_ENCRYPTED = "PDF 文件已加密或设有密码，请上传未加密的文件"
PDF_UNREADABLE = "PDF 文件无法读取（文件已损坏或格式不正确）"
PDF_EMPTY = "PDF 文件没有页面"
MAX_NAME_LENGTH = 200  # the column's length

log = logging.getLogger("yibao.attachments")


def refuse(message: str) -> Invalid:
    return Invalid(message, {"file": [message]})


def sniff(data: bytes) -> str | None:
    """The type the bytes begin as (JPEG, PNG or PDF), or None for anything else."""
    return next((kind for signature, kind in SIGNATURES if data.startswith(signature)), None)


@dataclass(frozen=True)
class Checked:
    content_type: str
    pages: int | None
    """A PDF's page count; None for an image."""


def check_file(data: bytes) -> Checked:
    """The type and page count of an acceptable scan; `Invalid` for anything the product does not keep."""
    if not data:
        raise refuse(EMPTY)
    if len(data) > MAX_FILE_BYTES:
        raise refuse(FILE_TOO_LARGE)
    kind = sniff(data)
    if kind is None:
        raise refuse(NOT_ACCEPTED)
    return Checked(kind, pdf_pages(data) if kind == PDF else None)


def check_case_total(already: int, adding: int) -> None:
    """A case holds at most MAX_CASE_BYTES of scans: `already` stored, `adding` now."""
    if already + adding > MAX_CASE_BYTES:
        raise refuse(CASE_TOO_LARGE)


def pdf_pages(data: bytes) -> int:
    """The number of pages of a readable PDF without a password."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise refuse(PDF_ENCRYPTED)
        pages = len(reader.pages)
    except Invalid:
        raise
    except Exception as exc:  # pypdf raises many kinds on a broken file: each is the same refusal
        log.info("unreadable PDF refused: %s: %s", type(exc).__name__, exc)
        raise refuse(PDF_UNREADABLE) from None
    if pages < 1:
        raise refuse(PDF_EMPTY)
    return pages


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]+")


def clean_file_name(file_name: str, content_type: str) -> str:
    """The name a scan is kept under: the last part of what the browser sent, without control or path
    characters, at most MAX_NAME_LENGTH long, ending in an extension of its real type."""
    name = unicodedata.normalize("NFC", file_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    extensions = EXTENSIONS[content_type]
    if not name.lower().endswith(extensions):
        name = (name or "附件") + extensions[0]
    if len(name) > MAX_NAME_LENGTH:
        stem, _, extension = name.rpartition(".")
        name = stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
    return name
