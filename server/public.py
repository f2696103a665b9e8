"""The applicant's pages without log-in as both faces serve them: paths, rate limits, the notices' links to them.

`GET /api/progress` and the page `/progress` share one limit per client address: ten lookups a minute
together. A request naming no ID tail looks nothing up (the empty form, the QR code's link) and is no try.
The 好差评 (`POST /api/public/ratings` and the page `/rating`) share another: every POST is a try, since
each one checks an ID tail; opening the page is none.
"""

from urllib.parse import urlencode

from flask import current_app, request

from server.extensions import limiter

PROGRESS_PATH = "/progress"
PROGRESS_LIMIT = "10 per minute"
TOO_MANY_TRIES = "查询次数过多，请一分钟后再试"
RATING_PATH = "/rating"
RATING_LIMIT = "10 per minute"
TOO_MANY_RATING_TRIES = "提交次数过多，请一分钟后再试"


def _looks_nothing_up() -> bool:
    return not request.args.get("id_tail")


progress_limit = limiter.shared_limit(
    PROGRESS_LIMIT, scope="progress", exempt_when=_looks_nothing_up, error_message=TOO_MANY_TRIES
)
"""The decorator of every progress endpoint."""

rating_limit = limiter.shared_limit(
    RATING_LIMIT, scope="rating", exempt_when=lambda: request.method != "POST", error_message=TOO_MANY_RATING_TRIES
)
"""The decorator of every endpoint where an applicant rates a case."""


def progress_page_url() -> str:
    """The absolute address of the progress page: under PUBLIC_BASE_URL, else under this request's site."""
    return _public_url(PROGRESS_PATH)


def rating_page_url() -> str:
    """The absolute address of the applicant's 好差评 page."""
    return _public_url(RATING_PATH)


def rating_url(case_no: str) -> str:
    """The 好差评 page with `case_no` filled in (what the notices' rating QR code encodes)."""
    return f"{rating_page_url()}?{urlencode({'case_no': case_no})}"


def _public_url(path: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or request.url_root
    return f"{base.rstrip('/')}{path}"


def progress_url(case_no: str) -> str:
    """The progress page with `case_no` filled in (what the 受理单's QR code encodes)."""
    return f"{progress_page_url()}?{urlencode({'case_no': case_no})}"
