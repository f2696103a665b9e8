"""Field-level rules of the forms library, with real good and bad values a clerk might type."""

import datetime as dt
import decimal
from zoneinfo import ZoneInfo

import pytest
from marshmallow import ValidationError

from engine.core.clock import clock
from forms import validators
from forms.fields import BankAccountNumber, Count, Day, IdNumber, InvoiceNumber, Mobile, Money, Text
from forms.registry import FormInvalid, clean
from forms.validators import not_in_future, on_day

CHECK_VALUES = "0123456789X"


def mod_11_2_check(first_seventeen: str) -> str:
    """ISO 7064 MOD 11-2 by its definition: all 18 characters weighted 2^(18-i) sum to 1 mod 11."""
    for candidate in CHECK_VALUES:
        digits = [int(d) for d in first_seventeen] + [CHECK_VALUES.index(candidate)]
        if sum(d * 2 ** (17 - i) for i, d in enumerate(digits)) % 11 == 1:
            return candidate
    raise AssertionError("MOD 11-2 always has a solution")


def id_with_check(first_seventeen: str) -> str:
    return first_seventeen + mod_11_2_check(first_seventeen)


def load(field, value):
    return field.deserialize(value)


def messages_of(field, value) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        field.deserialize(value)
    return caught.value.messages


# --- 居民身份证号 -------------------------------------------------------------


@pytest.mark.parametrize(
    "first_seventeen",
    ["11010519491231002", "44030419900307123", "36098119850101001", "35010220000229456"],
)
def test_id_number_accepts_numbers_with_their_mod_11_2_check(first_seventeen):
    number = id_with_check(first_seventeen)
    assert load(IdNumber(title="身份证号"), number) == number


def test_id_number_published_sample_with_x_is_accepted_and_upper_cased():
    # The GB 11643 sample number ends in X; typed in lower case it is stored upper case.
    assert load(IdNumber(title="身份证号"), " 11010519491231002x ") == "11010519491231002X"


def test_id_number_wrong_check_character_is_refused():
    good = id_with_check("44030419900307123")
    wrong = good[:17] + next(c for c in CHECK_VALUES if c != good[17])
    assert messages_of(IdNumber(title="身份证号"), wrong) == ["身份证号校验位不正确，请核对"]


@pytest.mark.parametrize(
    "first_seventeen",
    [
        "44030419900230123",  # 30 February
        "44030419901301123",  # month 13
        "44030418990101123",  # before 1900
        f"440304{dt.date.today().year + 1}0101123",  # born next year
    ],
)
def test_id_number_impossible_birth_date_is_refused_even_with_a_valid_check(first_seventeen):
    messages = messages_of(IdNumber(title="身份证号"), id_with_check(first_seventeen))
    assert messages == ["身份证号中的出生日期无效"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1101051949123100", "身份证号应为 18 位"),
        ("1101051949123100211", "身份证号应为 18 位"),
        ("11010519491231002Y", "身份证号前 17 位应为数字，最后一位为数字或 X"),
        ("1101051949123X0021", "身份证号前 17 位应为数字，最后一位为数字或 X"),
    ],
)
def test_id_number_shape_errors(typed, message):
    assert messages_of(IdNumber(title="身份证号"), typed) == [message]


# --- 手机号, 发票号, 银行账号 -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("13800138000", "13800138000"), ("199 1234 5678", "19912345678"), ("150-1234-5678", "15012345678")],
)
def test_mobile_accepts_mainland_numbers_and_drops_separators(typed, stored):
    assert load(Mobile(title="手机号"), typed) == stored


@pytest.mark.parametrize("typed", ["12800138000", "1380013800", "138001380001", "0791-8888888", "1380013800a"])
def test_mobile_refuses_other_numbers(typed):
    assert messages_of(Mobile(title="手机号"), typed) == ["手机号应为 11 位数字，以 13 至 19 开头"]


@pytest.mark.parametrize("typed", ["12345678", "0001234567", "24442000000012345678"])
def test_invoice_number_accepts_paper_bill_and_digital_lengths(typed):
    assert load(InvoiceNumber(title="发票号码"), typed) == typed


@pytest.mark.parametrize("typed", ["1234567", "123456789", "2444200000001234567", "1234567A"])
def test_invoice_number_refuses_other_lengths_and_letters(typed):
    assert "发票号码" in messages_of(InvoiceNumber(title="发票号码"), typed)[0]


def test_bank_account_strips_spaces_typed_between_groups():
    assert load(BankAccountNumber(title="银行账号"), "6217 0000 1234 5678 901") == "6217000012345678901"


@pytest.mark.parametrize("typed", ["62170000123", "6" * 31, "6217-0000-1234-5678", "6217O00012345678"])
def test_bank_account_refuses_short_long_or_non_digit(typed):
    assert messages_of(BankAccountNumber(title="银行账号"), typed) == ["银行账号应为 12 至 30 位数字"]


# --- 金额 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("123.4", "123.40"), ("123.45", "123.45"), (1234, "1234.00"), ("1.230", "1.23"), (" 0.01 ", "0.01")],
)
def test_money_is_exact_decimal_and_stored_with_two_places(typed, stored):
    field = Money(title="金额")
    amount = field.deserialize(typed)
    assert isinstance(amount, decimal.Decimal)
    assert field.serialize("amount", {"amount": amount}) == stored


def test_money_refuses_json_floats_with_a_request_for_text():
    assert messages_of(Money(title="金额"), 123.45) == ['金额请以文本提交，如 "123.45"，不接受浮点数']


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "金额最多保留两位小数"),
        ("0", "金额必须大于 0"),
        ("0.00", "金额必须大于 0"),
        ("-5", "金额必须大于 0"),
        (-5, "金额必须大于 0"),
        ("1e3", "请填写金额（元），如 123.45"),
        ("1,234.00", "请填写金额（元），如 123.45"),
        ("¥12", "请填写金额（元），如 123.45"),
        ("NaN", "请填写金额（元），如 123.45"),
        (True, "请填写金额（元），如 123.45"),
        ("10000000000", "金额不能超过 9999999999.99 元"),
        ("1" * 60, "金额不能超过 9999999999.99 元"),
    ],
)
def test_money_refusals(typed, message):
    assert messages_of(Money(title="金额"), typed) == [message]


# --- dates, counts, text ------------------------------------------------------


@pytest.fixture
def frozen_at_shanghai_midnight():
    """2024-03-10 00:30 in Shanghai is still 9 March in UTC: the clerk's day must win.

    The forms read the engine's clock only as the application wires it (`today_from`, as create_app does).
    """
    validators.today_from(lambda: clock.now().date())
    clock.freeze(dt.datetime(2024, 3, 10, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    yield
    clock.thaw()
    validators.today_from(None)


def test_the_day_given_to_clean_wins_over_the_clock(frozen_at_shanghai_midnight):
    visit = {"finding": "属实", "measures": "已整改", "rectified_on": "2024-03-12"}
    with pytest.raises(FormInvalid):
        clean("rectification", visit)
    assert clean("rectification", visit, today=dt.date(2024, 3, 12))["rectified_on"] == "2024-03-12"
    with on_day(dt.date(2024, 3, 11)):
        assert messages_of(Day(title="日期", validate=not_in_future), "2024-03-12") == ["日期不能晚于今天"]


def test_dates_after_the_clerks_today_are_refused(frozen_at_shanghai_midnight):
    field = Day(title="日期", validate=not_in_future)
    assert field.deserialize("2024-03-10") == dt.date(2024, 3, 10)
    assert messages_of(field, "2024-03-11") == ["日期不能晚于今天"]


def test_id_number_born_after_the_clerks_today_is_refused(frozen_at_shanghai_midnight):
    field = IdNumber(title="身份证号")
    assert field.deserialize(id_with_check("44030420240310123")).startswith("44030420240310")
    assert messages_of(field, id_with_check("44030420240311123")) == ["身份证号中的出生日期无效"]


@pytest.mark.parametrize("typed", ["2024-02-30", "昨天", 20240101])
def test_invalid_dates_get_chinese_messages(typed):
    assert "YYYY-MM-DD" in messages_of(Day(title="日期"), typed)[0]


@pytest.mark.parametrize("typed", [2.5, "3", True])
def test_counts_refuse_anything_but_whole_numbers(typed):
    assert messages_of(Count(title="份数"), typed) == ["请填写整数"]


def test_required_text_treats_blank_as_missing():
    assert messages_of(Text(title="姓名", required=True), "   ") == ["此项为必填项"]
    assert Text(title="备注").deserialize("  说明  ") == "说明"


def test_text_length_messages_count_characters():
    field = Text(title="姓名", min_length=2, max_length=30)
    assert messages_of(field, "张") == ["应为 2 至 30 个字"]
    assert field.deserialize("欧阳娜娜") == "欧阳娜娜"
