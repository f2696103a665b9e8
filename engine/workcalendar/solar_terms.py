"""清明 (Qingming), the one statutory holiday fixed by a solar term rather than a lunar date."""

from datetime import date

from pymeeus.Epoch import Epoch
from pymeeus.Sun import Sun

_QINGMING_LONGITUDE = 15.0
_BEIJING_OFFSET_DAYS = 8 / 24
_BISECTIONS = 30


def qingming(year: int) -> date:
    """The Beijing-time day on which the Sun's apparent longitude reaches 15° (always April 4–6)."""
    before, after = Epoch(year, 4, 1).jde(), Epoch(year, 4, 8).jde()
    for _ in range(_BISECTIONS):
        middle = (before + after) / 2
        longitude = float(Sun.apparent_geocentric_position(Epoch(middle))[0])
        if longitude < _QINGMING_LONGITUDE:
            before = middle
        else:
            after = middle
    y, m, d = Epoch(after + _BEIJING_OFFSET_DAYS).get_date()
    return date(int(y), int(m), int(d))
