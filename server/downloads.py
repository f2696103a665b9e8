"""The bytes of a scan as an HTTP response, the same for the REST API and the pages.

The type is the one the engine found in the bytes when the scan was kept (never the name's), the browser is
told not to guess another (`nosniff`), the name travels in RFC 5987 form so that Chinese names arrive
intact, and no shared cache keeps a copy (scans are personal data).
"""

import re
from urllib.parse import quote

from flask import Response

from engine.attachments.service import ScanFile

ATTACHMENT = "attachment"
INLINE = "inline"
_NOT_TOKEN = re.compile(r'[^A-Za-z0-9._ -]+')


def content_disposition(disposition: str, file_name: str) -> str:
    """`attachment; filename="…"; filename*=UTF-8''…`: an ASCII fallback for old clients, the UTF-8 name."""
    stem, dot, extension = file_name.rpartition(".")
    fallback_stem = _NOT_TOKEN.sub("", stem if dot else file_name).strip() or "scan"
    fallback = f"{fallback_stem}.{_NOT_TOKEN.sub('', extension)}" if dot else fallback_stem
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def scan_response(scan: ScanFile, disposition: str = ATTACHMENT, cache: str = "private, no-store") -> Response:
    response = Response(scan.data, status=200, mimetype=scan.content_type)
    response.headers["Content-Disposition"] = content_disposition(disposition, scan.file_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = cache
    return response
