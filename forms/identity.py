"""居民身份证号 rules of GB 11643-1999: birth date in digits 7-14, ISO 7064 MOD 11-2 check."""

import datetime as dt

# Weight of position i is 2^(17-i) mod 11; the check character makes the weighted sum ≡ 1 (mod 11).
_WEIGHTS = tuple(pow(2, 17 - position, 11) for position in range(17))
_CHECK_CHARACTERS = "10X98765432"

# No applicant alive was born earlier; an earlier year is a typing slip.
EARLIEST_BIRTH = dt.date(1900, 1, 1)


def check_character(first_seventeen: str) -> str:
    """The 18th character that GB 11643 computes from the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first_seventeen, _WEIGHTS))
    return _CHECK_CHARACTERS[total % 11]


def birth_date(id_number: str) -> dt.date:
    """Birth date written in digits 7-14; ValueError when no such day exists."""
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
