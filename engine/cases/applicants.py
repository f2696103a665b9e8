"""An applicant as staff and notices show them: the one rule for masking a 居民身份证号.

Pages, printed notices and any other output that shows an applicant's ID number show it masked
by `masked_id_number`, so the same person reads the same way on a screen and on paper.
"""

ID_KEEP_HEAD = 4
ID_KEEP_TAIL = 4


def masked_id_number(number: str | None) -> str:
    """3609**********1234: the first 4 (province and city) and last 4 characters, the birth date hidden.

    Enough to match the person in front of the window with their card, not enough to copy the number.
    A number too short to keep both ends is masked whole; no number gives "".
    """
    if not number:
        return ""
    if len(number) <= ID_KEEP_HEAD + ID_KEEP_TAIL:
        return "*" * len(number)
    hidden = len(number) - ID_KEEP_HEAD - ID_KEEP_TAIL
    return number[:ID_KEEP_HEAD] + "*" * hidden + number[-ID_KEEP_TAIL:]
