"""The chunked persons path must accept exactly the rows the per-row rules accept, with the
same values, and report the others with the per-row reasons; staging by COPY keeps any text."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.basedata import BaseWorld, cid, make_base
from zhili.basedata.imports.kinds import Context, RowInvalid
from zhili.basedata.imports.persons import Persons
from zhili.basedata.imports.persons_chunk import citizen_ids, parse_chunk
from zhili.basedata.imports.service import run_import
from zhili.basedata.population.models import Resident
from zhili.basedata.validators import Invalid, parse_citizen_id
from zhili.basedata.vault import Vault
from zhili.core.config import Settings

TODAY = date(2026, 11, 23)
VALID = cid(born="19700101", seq="123")
IDS = [
    VALID,
    cid(born="20000229", seq="124"),  # a leap day
    cid(born="19000228", seq="125"),  # the oldest year allowed
    cid(area="110101", born="20261123", seq="126"),  # born today
    VALID[:-1] + ("0" if VALID[-1] != "0" else "1"),  # wrong check digit
    cid(born="19990229"),  # no such day
    cid(born="19000229"),  # 1900 was no leap year
    cid(born="18991231"),  # too old
    cid(born="20261124"),  # born tomorrow
    cid(born="19701301"),  # month 13
    cid(born="19700100"),  # day 0
    cid(area="990101"),  # no such province
    cid()[:15],  # the old 15-digit number
    cid()[:6] + " " + cid()[6:],  # a space inside
    "１" + cid()[1:],  # a full-width digit
    "ABCDEFGHIJKLMNOPQR",
    "",
]
# A lower-case x must go the per-row way (which upper-cases it) and still be accepted.
IDS += [n.lower() for n in (cid(born="19851111", seq=f"{s:03d}") for s in range(30)) if "X" in n]
CHOICES: dict[str, list[str]] = {
    "id_type": ["", "", "citizen_id", "居民身份证", "护照", "bogus"],
    "name": ["张伟", "张伟", "", "王" * 64, "王" * 65],
    "gender": ["", "", "男", "女", "male", "female", "其他"],
    "birth_date": ["", "", "<ISO>", "<SLASH>", "<COMPACT>", "1970-01-02", "soon"],
    "ethnicity": ["", "汉族", "汉", "回族", "火星族"],
    "resident_type": [
        "",
        "户籍人口",
        "流动人口",
        "registered",
        "migrant",
        "境外人员",
        "留守人员",
        "x",
    ],
    "inflow_reason": ["", "", "", "work", "务工", "bogus"],
    "relation": ["", "户主", "配偶", "子女", "head", "stranger"],
    "phone": ["", "13800001111", "0871-1234567", "+8613800001111", "138 0000 1111", "12345"],
    "address_code": ["A1", "B-2", "", "bad code!", "C" * 41],
    "address": ["", "", "人民路18号"],
    "household_code": ["", "", "H1", "bad h", "H" * 41],
    "education": ["", "大学本科", "bachelor", "phd"],
    "occupation": ["", "教师", "职" * 65],
    "nationality": ["", "", "", "USA"],
    "left_behind_kind": ["", "", "", "child"],
    "special_groups": ["", "", "", "吸毒人员", "bogus"],
}


def _row(rng: random.Random) -> dict[str, str]:
    # mostly ordinary rows (the first choice), each cell sometimes anything
    number = rng.choice(IDS if rng.random() < 0.3 else IDS[:4])
    values = {
        name: rng.choice(options) if rng.random() < 0.12 else options[0]
        for name, options in CHOICES.items()
    }
    values["id_number"] = number
    iso = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    values["birth_date"] = {
        "<ISO>": iso,
        "<SLASH>": iso.replace("-", "/"),
        "<COMPACT>": iso.replace("-", ""),
    }.get(values["birth_date"], values["birth_date"])
    return values


def _context(session: Session, *, special_groups: bool) -> Context:
    return Context(
        session=session,
        actor=None,
        vault=Vault(b"k" * 32),
        now=datetime(2026, 11, 23, 12, tzinfo=UTC),
        scope_prefix="",
        may_special_groups=special_groups,
    )


def test_the_column_check_of_citizen_ids_agrees_with_the_per_row_one() -> None:
    valid, births, genders = citizen_ids(IDS, TODAY)
    for number, ok, born, gender in zip(IDS, valid, births, genders, strict=True):
        try:
            parsed = parse_citizen_id(number, today=TODAY)
        except Invalid:
            assert not ok, number
            continue
        if parsed.number != number:
            assert not ok, number  # changed by the per-row parser: left to it
            continue
        assert ok, number
        assert (born, gender) == (parsed.birth_date.isoformat(), parsed.gender)
    assert valid[:4].all() and not valid[4:17].any()


@pytest.mark.parametrize("special_groups", [True, False])
def test_chunks_accept_and_refuse_exactly_what_the_row_rules_do(
    session: Session, special_groups: bool
) -> None:
    rng = random.Random(5)
    rows = [_row(rng) for _ in range(3000)]
    ctx = _context(session, special_groups=special_groups)
    persons = Persons()
    numbers = list(range(2, len(rows) + 2))
    cells = {name: [r[name] for r in rows] for name in rows[0]}
    accepted, columns, errors = parse_chunk(persons.parse, numbers, cells, ctx)
    refused = {e.row: (e.field, e.reason, e.reason_zh) for e in errors}
    kept = set(accepted)
    assert len(refused) + len(kept) == len(rows) and not kept & {n - 2 for n in refused}
    outcomes = {"accepted": 0, "refused": 0}
    for i, values in enumerate(rows):
        try:
            expected = persons.parse(dict(values), ctx)
        except RowInvalid as exc:
            assert refused.get(numbers[i]) == (exc.field, exc.reason, exc.reason_zh), values
            outcomes["refused"] += 1
            continue
        assert i in kept, (values, refused.get(numbers[i]))
        outcomes["accepted"] += 1
        for name, value in expected.items():
            got: Any = columns[name][i]
            if name == "id_cipher":
                assert ctx.vault.open(got) == ctx.vault.open(value)
            elif name == "birth_date":
                assert got == (value.isoformat() if value else None), values
            else:
                assert got == value, (name, values)
    # both ways are well exercised, and most accepted rows took the fast path
    assert outcomes["accepted"] > 800 and outcomes["refused"] > 800, outcomes


def _file(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["证件号码", "姓名", "地址编码", "与户主关系"])
    writer.writerows(rows)
    return out.getvalue().encode()


def test_names_with_tabs_backslashes_and_newlines_are_staged_as_written(
    session: Session, settings: Settings
) -> None:
    w: BaseWorld = make_base(session, settings)
    room = next(iter(w.g1.rooms.values())).code
    names = ["张\\伟", "刘\t芳", "王\n明", "\\N", "李\r\n丽"]
    rows = [
        [cid(born="19800101", seq=f"{100 + 2 * i:03d}"), name, room, "户主" if i == 0 else "子女"]
        for i, name in enumerate(names)
    ]
    job = run_import(
        session, actor=None, vault=w.vault, kind="persons", data=_file(rows), filename="p.csv"
    )
    assert (job.status, job.inserted) == ("applied", len(names)), job.errors
    stored = set(session.scalars(select(Resident.name).where(Resident.name.in_(names))))
    assert stored == set(names)


def test_bulk_index_and_seal_match_the_one_at_a_time_ones() -> None:
    vault = Vault(b"m" * 32)
    numbers = [cid(seq=f"{s:03d}") for s in range(20)]
    assert vault.index_many("citizen_id", numbers) == [
        vault.index("citizen_id", n) for n in numbers
    ]
    sealed = vault.seal_many(numbers)
    assert [vault.open(b) for b in sealed] == numbers
    assert len({b[:12] for b in sealed}) == len(numbers)  # a fresh nonce each


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("form", ["grid", "quoted", "xlsx"])
def test_every_way_of_reading_a_file_gives_the_same_report(
    session: Session, settings: Settings, form: str
) -> None:
    w: BaseWorld = make_base(session, settings)
    room = next(iter(w.g1.rooms.values())).code
    header = ["证件号码", "姓名", "地址编码", "与户主关系", "联系电话"]
    rows = [
        [cid(born="19800101", seq="300"), "张伟", room, "户主", "13800001111"],
        [cid(born="19800101", seq="302"), "刘芳", room, "户主", ""],  # a second head
        [cid(born="19800101", seq="304"), "王明", "NO-SUCH", "子女", "12345"],  # bad phone
        [cid(born="19800101", seq="306"), "李丽", "NO-SUCH", "子女", ""],  # unknown address
        [cid(born="19800101", seq="300"), "张伟", room, "子女", ""],  # the first number again
        [cid(born="19800101", seq="308"), " 赵强 ", room, "子女", ""],
    ]
    if form == "xlsx":
        data = _xlsx(header, rows)
    else:
        out = io.StringIO()
        quoting = csv.QUOTE_ALL if form == "quoted" else csv.QUOTE_MINIMAL
        csv.writer(out, quoting=quoting).writerows([header, *rows])
        data = out.getvalue().encode()
    job = run_import(
        session,
        actor=None,
        vault=w.vault,
        kind="persons",
        data=data,
        filename="p.xlsx" if form == "xlsx" else "p.csv",
        good_rows_only=True,
    )
    assert (job.status, job.rows, job.valid, job.inserted) == ("partial", 6, 2, 2)
    assert [(e["row"], e["field"]) for e in job.errors] == [
        (3, "relation"),
        (4, "phone"),
        (5, "address_code"),
        (6, "id_number"),
    ]
    names = set(session.scalars(select(Resident.name).where(Resident.name.in_(["张伟", "赵强"]))))
    assert names == {"张伟", "赵强"}
