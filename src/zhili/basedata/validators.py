"""Check digits and formats of Chinese identifiers, and how personal data is masked.

- Citizen ID number (公民身份号码, GB 11643-1999): 6-digit address code, 8-digit birth date,
  3-digit sequence (odd for men, even for women), and an ISO 7064 MOD 11-2 check character.
- Unified social credit code (统一社会信用代码, GB 32100-2015): registration authority,
  organisation type, 6-digit division code, the 9-character organisation code (GB 11714, with
  its own MOD 11 check) and a MOD 31 check character over an alphabet without I, O, S, V, Z.
- Phone numbers: an 11-digit mobile or a landline with its area code.

Each validator returns the normalised value or raises ``Invalid`` with an English and a
Chinese reason, which the import report and the API show as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from operator import mul

from zhili.org.users.schemas import PHONE_RE


class Invalid(ValueError):
    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_zh = reason_zh


# -- citizen ID (GB 11643) ------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # index: weighted sum mod 11
_ID_RE = re.compile(r"^\d{17}[\dX]$")
# First two digits of the address code: the provinces of GB/T 2260 (and 71/81/82 for Taiwan,
# Hong Kong and Macao residence permits, 83 for the 2018 residence permits of Taiwan).
CITIZEN_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)
OLDEST_BIRTH_YEAR = 1900


# Per position, the weighted value of each ASCII code (non-digits count 0; callers check the
# format first): an import computes a million check digits, and table look-ups cost a fifth
# of int() per character.
_ID_TABLES = tuple(
    [int(chr(code)) * weight if chr(code).isdigit() else 0 for code in range(128)]
    for weight in _ID_WEIGHTS
)


def id_check_char(first17: str) -> str:
    """The 18th character of a citizen ID number for its first 17 digits."""
    if not first17.isascii() or not first17.isdigit():
        total = sum(map(mul, map(int, first17), _ID_WEIGHTS))  # raises like int() would
    else:
        total = sum(map(list.__getitem__, _ID_TABLES, first17.encode()))
    return _ID_CHECK[total % 11]


@dataclass(frozen=True, slots=True)
class CitizenId:
    number: str
    birth_date: date
    gender: str  # "male" | "female", from the parity of the sequence code


def parse_citizen_id(value: str, *, today: date | None = None) -> CitizenId:
    """Validate an 18-digit citizen ID number; lowercase ``x`` and spaces are forgiven."""
    number = value.strip().replace(" ", "").upper()
    if len(number) == 15 and number.isdigit():
        raise Invalid(
            "15-digit IDs were replaced in 1999; give the 18-digit number",
            "15位身份证号已停用，请填写18位公民身份号码",
        )
    if not _ID_RE.match(number):
        raise Invalid(
            "must be 17 digits and a digit or X",
            "应为18位：17位数字加1位数字或X",
        )
    if number[:2] not in CITIZEN_PROVINCES:
        raise Invalid(
            f"unknown province code {number[:2]}", f"地址码前两位 {number[:2]} 不是有效的省级代码"
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise Invalid(
            f"birth date {number[6:14]} does not exist", f"出生日期 {number[6:14]} 不存在"
        ) from exc
    if born.year < OLDEST_BIRTH_YEAR or born > (today or date.today()):
        raise Invalid(
            f"birth date {born.isoformat()} is out of range",
            f"出生日期 {born.isoformat()} 超出合理范围",
        )
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise Invalid(
            f"check digit is {number[17]}, should be {expected}",
            f"校验码错误：应为 {expected}，实为 {number[17]}",
        )
    gender = "male" if int(number[16]) % 2 else "female"
    return CitizenId(number, born, gender)


# -- unified social credit code (GB 32100) --------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# Organisation code (GB 11714): 8 body characters (digits and letters as 10..35) + MOD 11.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def parse_uscc(value: str) -> str:
    """Validate an 18-character unified social credit code; returns it upper-cased."""
    code = value.strip().replace(" ", "").upper()
    if len(code) != 18:
        raise Invalid("must be 18 characters", "统一社会信用代码应为18位")
    if not _USCC_RE.match(code):
        raise Invalid(
            "characters 3–8 are digits; I, O, S, V and Z never occur",
            "第3–8位应为数字，且不含 I、O、S、V、Z",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise Invalid(
            f"check character is {code[17]}, should be {expected}",
            f"校验码错误：应为 {expected}，实为 {code[17]}",
        )
    org_check = org_code_check_char(code[8:16])
    if code[16] != org_check:
        raise Invalid(
            f"organisation code {code[8:17]} has a wrong check character",
            f"组织机构代码 {code[8:17]} 校验码错误",
        )
    return code


# -- phones ---------------------------------------------------------------------------------


def parse_phone(value: str) -> str:
    phone = value.strip().replace(" ", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE_RE.match(phone):
        raise Invalid(
            "an 11-digit mobile or a landline with its area code",
            "应为11位手机号或带区号的固定电话",
        )
    return phone


# -- masking --------------------------------------------------------------------------------


def mask_id_number(number: str | None) -> str | None:
    """5301**********1234: the area and the last digits identify a record to its owner only."""
    if not number:
        return number
    if len(number) <= 8:
        return "*" * len(number)
    keep = 4 if len(number) >= 15 else 2
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]
