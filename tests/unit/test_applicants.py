"""The one masking rule of an applicant's ID number, as pages and printed notices show it."""

from engine.cases.applicants import masked_id_number
from engine.cases.notices import _masked
from web.filters import mask_id


def test_an_id_number_keeps_its_first_and_last_four_characters():
    assert masked_id_number("36098119800101123X") == "3609**********123X"
    assert masked_id_number("") == masked_id_number(None) == ""
    assert masked_id_number("12345678") == "********"  # too short to keep both ends: nothing shown


def test_pages_and_notices_mask_the_same_way():
    number = "36098119800101123X"
    assert mask_id(number) == _masked(number) == masked_id_number(number)
