"""Check characters of citizen IDs (GB 11643) and unified social credit codes (GB 32100),
phones and masking, with real-format examples."""

from __future__ import annotations

from datetime import date

import pytest

from zhili.basedata.validators import (
    Invalid,
    id_check_char,
    mask_id_number,
    parse_citizen_id,
    parse_phone,
    parse_uscc,
    uscc_check_char,
)

TODAY = date(2026, 11, 24)


def test_the_example_of_the_standard_itself_is_valid_with_its_x() -> None:
    # GB 11643-1999's own example: Beijing Chaoyang, born 1949-12-31, check character X.
    parsed = parse_citizen_id("11010519491231002x", today=TODAY)
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender == "female"  # sequence 002 is even


@pytest.mark.parametrize(
    ("number", "born", "gender"),
    [
        ("520102199003071234"[:17] + id_check_char("52010219900307123"), date(1990, 3, 7), "male"),
        (
            "530102200002290022"[:17] + id_check_char("53010220000229002"),
            date(2000, 2, 29),
            "female",
        ),
    ],
)
def test_valid_numbers_give_birth_date_and_gender(number: str, born: date, gender: str) -> None:
    parsed = parse_citizen_id(number, today=TODAY)
    assert (parsed.birth_date, parsed.gender) == (born, gender)


def test_a_wrong_check_digit_names_the_right_one() -> None:
    good = "11010519491231002X"
    with pytest.raises(Invalid) as info:
        parse_citizen_id(good[:17] + "5", today=TODAY)
    assert "should be X" in info.value.reason and "应为 X" in info.value.reason_zh


def test_one_mistyped_digit_is_caught_by_the_check_digit() -> None:
    # the whole point of MOD 11-2: any single substitution changes the check character
    good = "11010519491231002X"
    for position in range(17):
        digit = str((int(good[position]) + 1) % 10)
        typo = good[:position] + digit + good[position + 1 :]
        with pytest.raises(Invalid):
            parse_citizen_id(typo, today=TODAY)


@pytest.mark.parametrize(
    ("first17", "why"),
    [
        ("52010219900230123", "does not exist"),  # 30 February
        ("52010219901301123", "does not exist"),  # month 13
        ("52010220300101123", "out of range"),  # born in the future
        ("44052418800101001", "out of range"),  # the standard's 1880 example: no one alive
    ],
)
def test_impossible_birth_dates_are_refused(first17: str, why: str) -> None:
    with pytest.raises(Invalid, match=why):
        parse_citizen_id(first17 + id_check_char(first17), today=TODAY)


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105491231002", "15-digit"),
        ("1101051949123100", "17 digits"),
        ("11010519491231002Y", "17 digits"),
        ("991105194912310020", "province"),
    ],
)
def test_malformed_numbers_are_refused(number: str, why: str) -> None:
    with pytest.raises(Invalid, match=why):
        parse_citizen_id(number, today=TODAY)


@pytest.mark.parametrize(
    "code",
    [
        "914403001922038216",  # 华为技术有限公司
        "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
        "91330100799655058B",  # 阿里巴巴（中国）有限公司
    ],
)
def test_real_unified_social_credit_codes_pass(code: str) -> None:
    assert parse_uscc(code.lower()) == code


def test_a_wrong_credit_code_check_character_names_the_right_one() -> None:
    with pytest.raises(Invalid, match="should be 6"):
        parse_uscc("914403001922038215")


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91440300192203821", "18 characters"),
        ("9144030019220382I6", "never occur"),  # I is not in the GB 32100 alphabet
        ("91A40300192203821X", "never occur"),  # the division code is digits
    ],
)
def test_malformed_credit_codes_are_refused(code: str, why: str) -> None:
    with pytest.raises(Invalid, match=why):
        parse_uscc(code)


def test_the_embedded_organisation_code_is_checked_too() -> None:
    # change the organisation code's own check character, then repair the outer check
    body = "9144030019220382" + "5"
    with pytest.raises(Invalid, match="organisation code"):
        parse_uscc(body + uscc_check_char(body))


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0851-86812345", "0851-86812345"),
    ],
)
def test_phones(phone: str, expected: str) -> None:
    assert parse_phone(phone) == expected


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "abc"])
def test_bad_phones(phone: str) -> None:
    with pytest.raises(Invalid):
        parse_phone(phone)


def test_masking_keeps_four_and_four() -> None:
    assert mask_id_number("530102199001011234") == "5301**********1234"
    assert mask_id_number("E12345678") == "E1*****78"
    assert mask_id_number(None) is None
