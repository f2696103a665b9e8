"""The public progress lookup as both faces serve it: its page's path, its rate limit, the 受理单's link to it.

`GET /api/progress` and the page `/progress` share one limit per client address: ten lookups a minute
together. A request naming no ID tail looks nothing up (the empty form, the QR code's link) and is no try.
"""

from urllib.parse import urlencode

from flask import current_app, request

from server.extensions import limiter

PROGRESS_PATH = "/progress"
PROGRESS_LIMIT = "10 per minute"
TOO_MANY_TRIES = "查询次数过多，请一分钟后再试"


def _looks_nothing_up() -> bool:
    return not request.args.get("id_tail")


progress_limit = limiter.shared_limit(
    PROGRESS_LIMIT, scope="progress", exempt_when=_looks_nothing_up, error_message=TOO_MANY_TRIES
)
"""The decorator of every progress endpoint."""


def progress_page_url() -> str:
    """The absolute address of the progress page: under PUBLIC_BASE_URL, else under this request's site."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.url_root
    return f"{base.rstrip('/')}{PROGRESS_PATH}"


def progress_url(case_no: str) -> str:
    """The progress page with `case_no` filled in (what the 受理单's QR code encodes)."""
    return f"{progress_page_url()}?{urlencode({'case_no': case_no})}"
