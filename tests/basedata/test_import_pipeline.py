"""A persons file written a few chunks at a time while the next chunks are checked in a worker
thread: with chunks of two rows, a file's errors, outcome and written rows are those of the
same file read as one chunk, whichever chunk holds the error."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from basedata.test_imports import HEADER, ROOM, counts, family, table
from factories.basedata import BaseWorld, cid, make_base
from zhili.basedata.housing.models import Household
from zhili.basedata.imports import chunks, persons
from zhili.basedata.imports.service import run_import
from zhili.basedata.population.models import Resident
from zhili.core.config import Settings


@pytest.fixture
def w(session: Session, settings: Settings) -> BaseWorld:
    return make_base(session, settings)


def rows_with_errors() -> list[list[str]]:
    """Two households, their rows spread over chunks, and errors only in later chunks."""
    rows = family()  # rows 2–4: household H502 at ROOM, a head first
    rows += [
        [cid(seq="201"), "王五", "A0001-3-2-501", "H501", "户主", "", "", ""],  # row 5
        [cid(seq="203"), "赵六", "", "", "其他", "", "", ""],  # 6: free text below
        [cid(seq="205"), "孙七", ROOM, "H502", "户主", "", "", ""],  # 7: second head
        [rows[0][0], "张伟", ROOM, "H502", "户主", "", "", ""],  # 8: duplicate of row 2
        [cid(seq="207"), "钱八", "A0001-3-2-501", "H502", "子女", "", "", ""],  # 9: other address
        [cid(seq="209"), "李九", "A0001-3-2-501", "H501", "配偶", "", "", ""],  # 10
    ]
    return rows


def run(session: Session, w: BaseWorld, rows: list[list[str]], **options: Any) -> Any:
    header = [*HEADER, "现住地址"]
    cells = [[*r, "人民路十八号3-2-502" if r[1] == "赵六" else ""] for r in rows]
    return run_import(
        session,
        actor=None,
        vault=w.vault,
        kind="persons",
        data=table(header, cells),
        filename="p.csv",
        **options,
    )


def test_an_error_in_a_later_chunk_takes_back_every_chunk_written(
    session: Session, w: BaseWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(session)
    whole = run(session, w, rows_with_errors())
    assert counts(session) == before
    monkeypatch.setattr(chunks, "CHUNK", 2)
    monkeypatch.setattr(chunks, "WRITE", 4)  # two chunks a write
    job = run(session, w, rows_with_errors())
    assert (job.status, job.rows, job.valid, job.inserted) == ("rejected", 9, 6, 0)
    assert [(e["row"], e["field"]) for e in job.errors] == [
        (7, "relation"),
        (8, "id_number"),
        (9, "household_code"),
    ]
    assert job.errors == whole.errors
    assert counts(session) == before


def test_good_rows_are_written_chunk_by_chunk_as_from_one_chunk(
    session: Session, w: BaseWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chunks, "CHUNK", 2)
    monkeypatch.setattr(chunks, "WRITE", 4)  # two chunks a write
    job = run(session, w, rows_with_errors(), good_rows_only=True)
    assert (job.status, job.valid, job.inserted, job.error_count) == ("partial", 6, 6, 3)
    by_household = dict(
        session.execute(
            select(Household.code, func.count(Resident.id))
            .join(Resident, Resident.household_id == Household.id)
            .where(Household.code.in_(["H502", "H501", ROOM]))
            .group_by(Household.code)
        ).all()
    )
    # 赵六's free-text address is ROOM, so the household coded as ROOM
    assert by_household == {"H502": 3, "H501": 2, ROOM: 1}
    assert session.scalar(select(Resident.id).where(Resident.name == "孙七")) is None
    again = run(session, w, rows_with_errors(), good_rows_only=True)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)
    assert again.errors == job.errors


def test_an_error_in_the_worker_reaches_the_caller(
    session: Session, w: BaseWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("checking failed")

    monkeypatch.setattr(chunks, "CHUNK", 2)
    monkeypatch.setattr(chunks, "WRITE", 4)  # two chunks a write
    monkeypatch.setattr("zhili.basedata.imports.persons.Persons.parse_chunk", broken)
    with pytest.raises(RuntimeError, match="checking failed"):
        run(session, w, rows_with_errors())


def test_a_first_load_skips_the_probes_and_writes_the_same(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert persons.first_load(session)  # an empty database
    w = make_base(session, settings)
    assert not persons.first_load(session)  # the base world has residents
    monkeypatch.setattr(chunks, "CHUNK", 2)
    monkeypatch.setattr(chunks, "WRITE", 4)
    new = [r for r in rows_with_errors() if r[1] in ("王五", "李九", "赵六")]
    new += [[cid(seq="301"), "周一", "A0001-3-2-501", "H401", "户主", "", "", ""]]
    probed = run(session, w, new)
    written = sorted(
        session.execute(
            select(Resident.name, Household.code, Resident.grid_id == Household.grid_id)
            .join(Household, Household.id == Resident.household_id)
            .where(Resident.name.in_(["王五", "李九", "赵六", "周一"]))
        ).all()
    )
    session.rollback()
    w = make_base(session, settings)
    monkeypatch.setattr(persons, "first_load", lambda session: True)
    skipped = run(session, w, new)
    assert (skipped.status, skipped.inserted) == (probed.status, probed.inserted) == ("applied", 4)
    assert (
        sorted(
            session.execute(
                select(Resident.name, Household.code, Resident.grid_id == Household.grid_id)
                .join(Household, Household.id == Resident.household_id)
                .where(Resident.name.in_(["王五", "李九", "赵六", "周一"]))
            ).all()
        )
        == written
    )


def test_the_switch_interval_is_put_back_when_the_last_of_overlapping_imports_ends() -> None:
    before = sys.getswitchinterval()
    first, second = chunks._short_switch_interval(), chunks._short_switch_interval()
    first.__enter__()
    second.__enter__()
    assert sys.getswitchinterval() == min(before, 0.0005)
    first.__exit__(None, None, None)  # the first ends while the second still runs
    assert sys.getswitchinterval() == min(before, 0.0005)
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
