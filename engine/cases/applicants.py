"""An applicant as staff and notices show them: the one rule for masking a 居民身份证号 and a mobile.

Pages, printed notices, the REST API and any other output that shows an applicant's ID number or mobile show
it masked by `masked_id_number` and `masked_mobile` (`masked_applicant` for the whole record), so the same
person reads the same way on a screen and on paper. The full numbers are shown only on asking, to those
`permissions.may_see_personal_data` allows, and every such showing is recorded (`cases.personal_data`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ID_KEEP_HEAD = 4
ID_KEEP_TAIL = 4
MOBILE_KEEP_HEAD = 3
MOBILE_KEEP_TAIL = 4


def masked_id_number(number: str | None) -> str:
    """3609**********1234: the first 4 (province and city) and last 4 characters, the birth date hidden.

    Enough to match the person in front of the window with their card, not enough to copy the number.
    A number too short to keep both ends is masked whole; no number gives "".
    """
    return _masked(number, ID_KEEP_HEAD, ID_KEEP_TAIL)


def masked_mobile(number: str | None) -> str:
    """139****1234: the first 3 (the carrier's prefix) and last 4 digits, as the carriers print it.

    Enough for the applicant to recognise their number, not enough to call it. A number too short to keep both
    ends is masked whole; no number gives "".
    """
    return _masked(number, MOBILE_KEEP_HEAD, MOBILE_KEEP_TAIL)


def _masked(number: str | None, head: int, tail: int) -> str:
    if not number:
        return ""
    if len(number) <= head + tail:
        return "*" * len(number)
    return number[:head] + "*" * (len(number) - head - tail) + number[-tail:]


def masked_applicant(applicant: Mapping[str, Any] | None) -> dict[str, Any]:
    """The applicant record (`name`, `id_number`, `mobile`, `address`) with the ID number and mobile masked."""
    record = dict(applicant or {})
    for key, mask in (("id_number", masked_id_number), ("mobile", masked_mobile)):
        if key in record:
            record[key] = mask(record[key] if isinstance(record[key], str) else None)
    return record


@dataclass(frozen=True)
class ShownApplicant:
    """The applicant as a page lays them out: masked (`full` False), or in full once asked for and recorded."""

    name: str
    id_number: str
    mobile: str
    address: str
    full: bool = False


def shown_applicant(applicant: Mapping[str, Any] | None, *, full: bool = False) -> ShownApplicant:
    """The applicant of a case as a page shows them: masked unless `full` (a recorded showing)."""
    record = dict(applicant or {}) if full else masked_applicant(applicant)
    return ShownApplicant(
        name=str(record.get("name") or ""),
        id_number=str(record.get("id_number") or ""),
        mobile=str(record.get("mobile") or ""),
        address=str(record.get("address") or ""),
        full=full,
    )
