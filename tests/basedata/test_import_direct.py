"""A first load on PostgreSQL is written straight into the tables (persons_direct), not
through staging: the same file, read a few rows at a time, must leave exactly what the
staging path leaves — residents in file order, households, new dwellings linked to their
building, special groups, audit — and report the same errors."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from basedata.test_imports import table
from factories.basedata import BaseWorld, cid, make_base
from zhili.basedata.addresses import service as addresses
from zhili.basedata.addresses.models import Address
from zhili.basedata.addresses.schemas import AddressIn
from zhili.basedata.housing import service as housing
from zhili.basedata.housing.models import Dwelling, Household
from zhili.basedata.housing.schemas import BuildingIn
from zhili.basedata.imports import chunks, engine, persons
from zhili.basedata.imports.persons_direct import FirstLoad
from zhili.basedata.imports.service import run_import
from zhili.basedata.population.models import Resident, SpecialGroupRecord
from zhili.core.audit import AuditLog
from zhili.core.config import Settings
from zhili.org.models import Region

HEADER = ["证件号码", "姓名", "地址编码", "户编号", "与户主关系", "人口类型", "特殊人群", "民族"]


def world(session: Session, settings: Settings) -> tuple[BaseWorld, list[str]]:
    """The base world, a building record for A0001-3 and ten more rooms of its unit
    A0001-3-2, none with a dwelling yet."""
    w = make_base(session, settings)
    unit = session.scalar(select(Address).where(Address.code == "A0001-3-2"))
    assert unit is not None
    building = session.scalar(select(Address).where(Address.code == "A0001-3"))
    assert building is not None
    housing.create_building(session, actor=None, data=BuildingIn(address_id=building.id, floors=6))
    rooms = []
    for n in range(601, 611):
        room = addresses.create_address(
            session,
            actor=None,
            data=AddressIn(code=f"A0001-3-2-{n}", parent_id=unit.id, room=str(n)),
        )
        rooms.append(room.code)
    session.flush()
    return w, rooms


def rows(rooms: list[str]) -> list[list[str]]:
    """Forty households, members interleaved so that households span chunks and writes; a
    few special groups; errors of the whole-file kinds (a second head, a repeated number,
    a household at two addresses) and of the row kind (a bad check digit)."""
    rng = random.Random(11)
    places = [*rooms, "A0001-3-2-502", "A0002-3-2-102"]
    members: list[list[str]] = []
    for h in range(40):
        address = places[h % len(places)]
        for m in range(1 + h % 4):
            members.append(
                [
                    cid(born=f"19{60 + h % 30}0{1 + m}15", seq=f"{h:02d}{m}"),
                    f"居民{h}-{m}",
                    address,
                    f"F{h:03d}",
                    "户主" if m == 0 else rng.choice(["配偶", "子女", "父母"]),
                    rng.choice(["户籍人口", "流动人口"]),
                    "吸毒人员" if (h, m) in {(3, 1), (17, 0)} else "",
                    rng.choice(["汉族", "回族", ""]),
                ]
            )
    heads = [r for r in members if r[4] == "户主"]
    others = [r for r in members if r[4] != "户主"]
    rng.shuffle(others)
    ordered = heads[:20] + others[: len(others) // 2] + heads[20:] + others[len(others) // 2 :]
    ordered += [
        [cid(seq="901"), "二号户主", ordered[0][2], ordered[0][3], "户主", "", "", ""],
        [ordered[5][0], "重号", ordered[5][2], ordered[5][3], "子女", "", "", ""],
        [cid(seq="903"), "两处住", "A0002-3-2-101", ordered[1][3], "子女", "", "", ""],
        [cid(seq="904")[:-1] + "0", "坏校验", rooms[0], "F000", "子女", "", "", ""],
    ]
    return ordered


def snapshot(session: Session, w: BaseWorld, codes: set[str]) -> dict[str, Any]:
    """What the import wrote, each run's own ids (regions, addresses, rows) told by their
    codes or left out."""
    region = dict(session.execute(select(Region.id, Region.code)).all())
    address = dict(session.execute(select(Address.id, Address.code)).all())
    coded = {
        "grid_id": region.__getitem__,
        "region_path": lambda path: [region[int(i)] for i in path.strip("/").split("/")],
        "address_id": address.__getitem__,
    }

    def named(row: Any) -> dict[str, Any]:
        return {k: coded.get(k, lambda v: v)(v) for k, v in row._mapping.items()}

    skipped = {"id", "household_id", "id_cipher"}
    residents = [
        {
            **named(r),
            "id_cipher": None,  # sealed with a fresh nonce each time: compared opened
            "household": r.code,
            "id_number": w.vault.open(r.id_cipher),
        }
        for r in session.execute(
            select(
                *[c for c in Resident.__table__.columns if c.name not in skipped],
                Resident.id_cipher,
                Household.code,
            )
            .join(Household, Household.id == Resident.household_id)
            .where(Household.code.in_(codes))
            .order_by(Resident.id)
        )
    ]
    households = [
        named(r)
        for r in session.execute(
            select(
                Household.code,
                Dwelling.address_id,
                Household.grid_id,
                Household.region_path,
                Household.created_at,
                Household.updated_at,
            )
            .join(Dwelling, Dwelling.id == Household.dwelling_id)
            .where(Household.code.in_(codes))
            .order_by(Household.id)
        )
    ]
    dwellings = sorted(
        (
            named(r)
            for r in session.execute(
                select(
                    Dwelling.address_id,
                    Dwelling.use,
                    Dwelling.grid_id,
                    Dwelling.region_path,
                    Dwelling.building_id.is_not(None).label("in_building"),
                    Dwelling.version,
                )
            )
        ),
        key=lambda d: d["address_id"],
    )
    groups = sorted(
        tuple(named(r).values())
        for r in session.execute(
            select(
                Resident.id_index,
                SpecialGroupRecord.special_group,
                SpecialGroupRecord.grid_id,
                SpecialGroupRecord.region_path,
            ).join(Resident, Resident.id == SpecialGroupRecord.resident_id)
        )
    )
    audit = Counter(session.scalars(select(AuditLog.action)))
    return {
        "residents": residents,
        "households": households,
        "dwellings": dwellings,
        "groups": groups,
        "audit": audit,
    }


def test_a_first_load_written_directly_equals_the_staged_one(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the direct path is PostgreSQL's (COPY into the tables)")
    monkeypatch.setattr(chunks, "CHUNK", 7)
    monkeypatch.setattr(chunks, "WRITE", 14)
    # the base world has households of its own: a first load is what the import is told
    monkeypatch.setattr(persons, "first_load", lambda session: True)
    written: list[int] = []
    real_write = FirstLoad.write

    def spy(self: FirstLoad, chunk: Any) -> int:
        written.append(chunk.count)
        return real_write(self, chunk)

    monkeypatch.setattr(FirstLoad, "write", spy)
    # one clock for both runs: their timestamps compare too
    monkeypatch.setattr(engine, "utcnow", lambda: datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    outcomes, states = [], []
    for direct_path in (True, False):
        if not direct_path:
            monkeypatch.setattr(persons.Persons, "direct", lambda self: False)
        w, rooms = world(session, settings)
        file = rows(rooms)
        job = run_import(
            session,
            actor=None,
            vault=w.vault,
            kind="persons",
            data=table(HEADER, file),
            filename="p.csv",
            good_rows_only=True,
        )
        outcomes.append((job.status, job.rows, job.valid, job.inserted, job.errors))
        assert household_key(session) == (True, True)
        states.append(snapshot(session, w, {r[3] for r in file}))
        session.rollback()
    assert sum(written) == outcomes[0][3] and len(written) > 10  # the direct one was direct
    assert outcomes[0] == outcomes[1]
    status, total, valid, inserted, errors = outcomes[0]
    assert (status, total - valid) == ("partial", 4) and inserted == valid
    assert sorted(e["field"] for e in errors) == [
        "household_code",
        "id_number",
        "id_number",
        "relation",
    ]
    direct, staged = states
    assert len(direct["residents"]) == inserted and len(direct["households"]) == 40
    assert (
        len(direct["groups"]) == 2
        and sum(1 for d in direct["dwellings"] if d["use"] == "unverified") == 10
    )
    assert all(d["in_building"] for d in direct["dwellings"] if d["use"] == "unverified")
    for part in ("residents", "households", "dwellings", "groups", "audit"):
        assert direct[part] == staged[part], part


def household_key(session: Session) -> tuple[bool, bool]:
    """(present, validated) of the residents' household foreign key."""
    found = session.execute(
        text("SELECT convalidated FROM pg_constraint WHERE conname = :name"),
        {"name": "fk_resident_household_id_household"},
    ).scalar_one_or_none()
    return found is not None, bool(found)


def test_a_rejected_first_load_leaves_the_household_key_and_no_rows(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the direct path is PostgreSQL's (COPY into the tables)")
    monkeypatch.setattr(chunks, "CHUNK", 7)
    monkeypatch.setattr(persons, "first_load", lambda session: True)
    w, rooms = world(session, settings)
    before = session.scalar(select(func.count()).select_from(Resident))
    job = run_import(
        session,
        actor=None,
        vault=w.vault,
        kind="persons",
        data=table(HEADER, rows(rooms)),  # errors in its last rows: all or nothing
        filename="p.csv",
    )
    assert (job.status, job.inserted) == ("rejected", 0)
    assert session.scalar(select(func.count()).select_from(Resident)) == before
    assert household_key(session) == (True, True)
    # and the key holds: a resident of no household is refused
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text("UPDATE resident SET household_id = -1 WHERE id = :id"), {"id": w.wang.id}
        )
