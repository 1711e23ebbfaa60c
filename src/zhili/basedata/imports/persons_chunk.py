"""The row rules of a persons file, a chunk of rows at a time.

``Persons.parse`` (``population.rules.check`` and the address codes) costs about 30 µs of
Python per row, and a city loads a million rows. Here the ordinary rows are checked a column
at a time: GB 11643 check digits, province codes and birth dates of the whole column with
NumPy, code tables with one dict look-up per distinct value, lengths and patterns in bulk.
A row is *flagged* as soon as anything about it is unusual — a failed check, a cell this
path does not interpret (nationality, special groups, a free-text address without a code,
another document type …) — and flagged rows go through ``Persons.parse`` itself. So a bad
row's report is exactly the per-row one, and this path only ever accepts rows the per-row
rules accept, with the same values (tests/basedata/test_import_chunks.py compares the two on
rows made to break every rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from zhili.basedata.imports.kinds import Context, RowError, RowInvalid
from zhili.basedata.population import rules
from zhili.basedata.validators import CITIZEN_PROVINCES, OLDEST_BIRTH_YEAR
from zhili.org.users.schemas import PHONE_RE

Mask = npt.NDArray[np.bool_]
Parse = Callable[[dict[str, str], Context], dict[str, Any]]

CODE_RE = re.compile(r"^[0-9A-Za-z-]{1,40}$")
ENUMS = ("relation", "education", "marital_status", "political_status")
# Columns this path interprets; a row with anything in another column is flagged.
HANDLED = frozenset(
    (
        "id_number",
        "id_type",
        "name",
        "gender",
        "birth_date",
        "ethnicity",
        "resident_type",
        "inflow_reason",
        "phone",
        "address_code",
        "address",
        "household_code",
        *ENUMS,
        *rules.TEXT_LIMITS,
    )
)
CITIZEN = "citizen_id"
_WEIGHTS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_PROVINCE = np.zeros(100, dtype=bool)
_PROVINCE[[int(p) for p in CITIZEN_PROVINCES]] = True
_MONTH_DAYS = np.array((0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), dtype=np.int64)


def citizen_ids(numbers: Sequence[str], today: date) -> tuple[Mask, list[str], list[str]]:
    """(valid, birth dates as YYYY-MM-DD, genders) of 18-character citizen ID numbers, the
    whole column at once. ``valid`` is False for anything the per-row parser would change
    or refuse (lower-case x, spaces, wrong length, province, date, check digit)."""
    n = len(numbers)
    joined = "".join(numbers)
    if len(joined) == 18 * n and joined.isascii():
        shaped = np.ones(n, dtype=bool)
    else:
        shaped = np.fromiter((len(s) == 18 and s.isascii() for s in numbers), bool, n)
        joined = "".join(s if ok else "0" * 18 for s, ok in zip(numbers, shaped, strict=True))
    chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(n, 18)
    digits = chars[:, :17].astype(np.int64) - 48
    valid = shaped & ((digits >= 0) & (digits <= 9)).all(axis=1)
    valid &= chars[:, 17] == _CHECK[(digits @ _WEIGHTS) % 11]
    valid &= _PROVINCE[np.clip(digits[:, 0] * 10 + digits[:, 1], 0, 99)]
    year = digits[:, 6:10] @ np.array((1000, 100, 10, 1))
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    valid &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)
    valid &= year >= OLDEST_BIRTH_YEAR
    valid &= year * 10000 + month * 100 + day <= today.year * 10000 + today.month * 100 + today.day
    births = [f"{s[6:10]}-{s[10:12]}-{s[12:14]}" for s in numbers]
    genders = ["male" if s[16:17] in "13579" else "female" for s in numbers]
    return valid, births, genders


def _filled(values: Sequence[str]) -> Mask:
    return np.fromiter(map(bool, values), bool, len(values))


def _mapped(values: Sequence[Any], convert: Callable[[Any], str | None], flag: Mask) -> list[Any]:
    """Each value converted once per distinct value; ``convert`` raises ValueError for a
    value to flag."""
    table: dict[Any, str | None] = {}
    bad: set[Any] = set()
    for value in set(values):
        try:
            table[value] = convert(value)
        except ValueError:
            table[value] = None
            bad.add(value)
    if bad:
        flag |= np.fromiter((v in bad for v in values), bool, len(values))
    return list(map(table.__getitem__, values))


def _code_of(name: str, default: str | None = None) -> Callable[[str], str | None]:
    lookup = rules.CODE_LOOKUP[name]

    def convert(value: str) -> str | None:
        if not value:
            return default
        code = lookup.get(value)
        if code is None:
            raise ValueError(value)
        return code

    return convert


def _ethnicity(value: str) -> str | None:
    if not value:
        return None
    if value in rules.ETHNIC:
        return value
    if value + "族" in rules.ETHNIC:
        return value + "族"
    raise ValueError(value)


def _one_of(*allowed: str) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value not in allowed:
            raise ValueError(value)
        return value

    return check


def _address_code(value: str) -> str | None:
    if not CODE_RE.match(value):
        raise ValueError(value)  # also the empty code: the per-row path reads the text
    return value


def parse_chunk(
    parse: Parse, numbers: Sequence[int], cells: dict[str, list[str]], ctx: Context
) -> tuple[list[int], dict[str, list[Any]], list[RowError]]:
    """(indexes of the accepted rows, their columns by staging name, errors) for one chunk of
    stripped cells by field name. Columns are full length (unaccepted positions hold junk);
    ``birth_date`` is text (YYYY-MM-DD)."""
    n = len(numbers)
    blank = [""] * n
    flag = np.zeros(n, dtype=bool)
    for name, values in cells.items():
        if name not in HANDLED:
            flag |= _filled(values)
    _mapped(cells.get("id_type", blank), _one_of("", CITIZEN, "居民身份证"), flag)
    ids = cells["id_number"]
    valid, births, genders = citizen_ids(ids, ctx.now.date())
    flag |= ~valid
    if "gender" in cells:
        given = _mapped(cells["gender"], _code_of("gender"), flag)
        flag |= np.fromiter(
            (g is not None and g != m for g, m in zip(given, genders, strict=True)), bool, n
        )
    if "birth_date" in cells:
        flag |= np.fromiter(
            (
                bool(g) and g.replace("/", "-") != b
                for g, b in zip(cells["birth_date"], births, strict=True)
            ),
            bool,
            n,
        )
    out: dict[str, list[Any]] = {
        "id_type": [CITIZEN] * n,
        "gender": genders,
        "birth_date": births,
        "nationality": [None] * n,
        "left_behind_kind": [None] * n,
        "special_groups": [None] * n,
    }
    registered = _code_of("resident_type", "registered")
    kinds = _mapped(cells.get("resident_type", blank), registered, flag)
    _mapped(kinds, _one_of("registered", "migrant"), flag)  # others have rules of their own
    out["resident_type"] = kinds
    reasons = _mapped(cells.get("inflow_reason", blank), _code_of("inflow_reason"), flag)
    flag |= np.fromiter(
        (r is not None and k != "migrant" for r, k in zip(reasons, kinds, strict=True)), bool, n
    )
    out["inflow_reason"] = reasons
    for name in ENUMS:
        default = "other" if name == "relation" else None
        out[name] = _mapped(cells.get(name, blank), _code_of(name, default), flag)
    for name, limit in rules.TEXT_LIMITS.items():
        values = cells.get(name, blank)
        lengths = np.fromiter(map(len, values), np.int64, n)
        flag |= lengths > limit
        if name == "name":
            flag |= lengths == 0
        out[name] = [v or None for v in values]
    out["ethnicity"] = _mapped(cells.get("ethnicity", blank), _ethnicity, flag)
    phones = cells.get("phone", blank)
    match = PHONE_RE.match
    flag |= np.fromiter((bool(p) and match(p) is None for p in phones), bool, n)
    out["phone"] = [p or None for p in phones]
    codes = _mapped(cells["address_code"], _address_code, flag)
    out["address_code"] = codes
    out["address_text"] = [t or None for t in cells.get("address", blank)]
    households = cells.get("household_code", blank)
    _mapped(households, lambda h: _address_code(h) if h else None, flag)
    out["household_code"] = [h or c for h, c in zip(households, codes, strict=True)]

    fast = np.flatnonzero(~flag).tolist()
    good = [ids[i] for i in fast]
    made: tuple[tuple[str, Sequence[Any]], ...] = (
        ("id_index", ctx.vault.index_many(CITIZEN, good)),
        ("id_cipher", ctx.vault.seal_many(good)),
        ("id_masked", [s[:4] + "*" * 10 + s[-4:] for s in good]),  # as mask_id_number
    )
    for name, column_values in made:
        column: list[Any] = [None] * n
        for i, value in zip(fast, column_values, strict=True):
            column[i] = value
        out[name] = column

    errors: list[RowError] = []
    accepted = np.zeros(n, dtype=bool)
    accepted[fast] = True
    names = list(cells)
    for i in np.flatnonzero(flag).tolist():
        try:
            record = parse({name: cells[name][i] for name in names}, ctx)
        except RowInvalid as exc:
            errors.append(RowError(numbers[i], exc.field, exc.reason, exc.reason_zh))
            continue
        accepted[i] = True
        born = record["birth_date"]
        record["birth_date"] = born.isoformat() if born is not None else None
        for name, value in record.items():
            out[name][i] = value
    return np.flatnonzero(accepted).tolist(), out, errors
