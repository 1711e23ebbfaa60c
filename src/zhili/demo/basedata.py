"""The demo city's base data (一标三实): standard addresses, buildings, dwellings,
households, residents, units, and a year of household visits, consistent with each other
and with the city built by ``demo.city`` (every address lies in a grid, every resident in a
household in a dwelling at an address, every visit by that grid's gridder).

The demo registers a share of each grid's planned households (``basedata_plan.SHARES``) so
that the small city has about 100 000 residents and stays quick to build; the city and
megacity sizes scale the same way. Rows go in with plain multi-row INSERTs (no RETURNING:
ids are read back by natural key, which is much faster on SQLite) and one audit row; the
caller commits.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from zhili.basedata.addresses.models import Address, AddressToken
from zhili.basedata.addresses.service import grid_contexts
from zhili.basedata.housing.models import Building, Dwelling, Household
from zhili.basedata.population.models import Resident, SpecialGroupRecord
from zhili.basedata.units.models import Unit
from zhili.basedata.validators import mask_id_number, org_code_check_char, uscc_check_char
from zhili.basedata.vault import Vault
from zhili.basedata.visits.models import HouseholdVisit
from zhili.core.audit import record
from zhili.core.clock import utcnow
from zhili.core.security import Role
from zhili.demo.basedata_plan import SHARES, BaseDataStats, DemoGrid, Planner
from zhili.demo.people import Family
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User

__all__ = ["SHARES", "BaseDataStats", "build_basedata"]

CHUNK = 5000
VISIT_RATE = (0.93, 0.05, 0.70, 1.0)  # per grid: mean, sd, clipped to [low, high]
VISIT_KINDS: tuple[tuple[str, float], ...] = (
    ("routine", 0.55),
    ("verification", 0.2),
    ("dispute", 0.08),
    ("policy", 0.09),
    ("service", 0.08),
)
UNIT_TRADES = (
    ("商贸", "有限公司", "company"),
    ("科技", "有限公司", "company"),
    ("物流", "有限公司", "company"),
    ("餐饮", "店", "individual_business"),
    ("建材", "经营部", "individual_business"),
    ("大药房", "", "individual_business"),
    ("超市", "", "individual_business"),
    ("志愿服务协会", "", "social_organisation"),
)
USCC_HEAD = {"company": "91", "individual_business": "92", "social_organisation": "51"}
USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"
Progress = Callable[[str, int, int], None]


def build_basedata(
    session: Session,
    *,
    seed: int,
    vault: Vault,
    size: str = "small",
    share: float | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> BaseDataStats:
    """Plan and insert the base data of the demo city already in the database (which must
    have no base data yet); the same city and seed give the same base data."""
    if session.scalar(select(Address.id).limit(1)) is not None:
        raise ValueError("base data already present (已有一标三实数据)")
    now = now or utcnow()
    planner = Planner(seed, share if share is not None else SHARES.get(size, 0.1), now)
    regions = session.scalars(
        select(Region).where(Region.level == RegionLevel.grid).order_by(Region.code)
    ).all()
    contexts = grid_contexts(session, [r.id for r in regions])
    village_ids = select(Region.id).where(
        Region.level == RegionLevel.community, Region.name.endswith("村")
    )
    villages = {str(i) for i in session.scalars(village_ids)}
    gridder_rows = session.execute(
        select(User.id, User.region_id).where(User.role == Role.gridder.value)
    ).all()
    gridders = {region_id: user_id for user_id, region_id in gridder_rows}
    grids = [
        DemoGrid(r, r.path.split("/")[-3] in villages, contexts[r.id], gridders.get(r.id))
        for r in regions
    ]
    for i, g in enumerate(grids, start=1):
        planner.plan_grid(g)
        if progress is not None and (i % 20 == 0 or i == len(grids)):
            progress("basedata.plan", i, len(grids))
    return _insert(session, planner, grids, vault=vault, progress=progress)


def _put(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    table: Table = model.__table__
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table), rows[start : start + CHUNK])


def _ids(session: Session, key: Any, id_column: Any) -> dict[Any, int]:
    return {k: i for k, i in session.execute(select(key, id_column)).all()}


def _chunks(rows: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _insert(
    session: Session,
    planner: Planner,
    grids: list[DemoGrid],
    *,
    vault: Vault,
    progress: Progress | None,
) -> BaseDataStats:
    now = planner.now
    stamps = {"created_at": now, "updated_at": now, "version": 1}

    def report(stage: str, total: int) -> None:
        if progress is not None:
            progress(f"basedata.{stage}", total, total)

    addresses = [a for g in grids for a in g.addresses]
    ids: dict[str, int] = {}
    for level in ("door", "building", "unit", "room"):
        rows = [
            {k: v for k, v in a.items() if k not in ("parent", "tokens")}
            | stamps
            | {"parent_id": ids[a["parent"]] if a["parent"] else None, "is_active": True}
            for a in addresses
            if a["level"] == level
        ]
        _put(session, Address, rows)
        ids = _ids(session, Address.code, Address.id)
    _put(
        session,
        AddressToken,
        [{"token": t, "address_id": ids[a["code"]]} for a in addresses for t in a["tokens"]],
    )
    report("address", len(addresses))
    buildings = [
        {"address_id": ids[c], "grid_id": g.region.id, "region_path": g.region.path}
        | {"use": "residential", "floors": floors, "year_built": year}
        | stamps
        for g in grids
        for c, floors, year in g.buildings
    ]
    _put(session, Building, buildings)
    building_of = _ids(session, Building.address_id, Building.id)
    parents = {a["code"]: a["parent"] for a in addresses}
    dwellings = []
    for g in grids:
        for code, use, area, family in g.dwellings:
            owner = (
                family.members[0].name if family is not None and use == "self_occupied" else None
            )
            up = parents.get(parents.get(code) or "")  # room → unit → building
            dwellings.append(
                {"address_id": ids[code], "building_id": building_of.get(ids.get(up or "", 0))}
                | {"grid_id": g.region.id, "region_path": g.region.path, "use": use}
                | {"area_m2": area, "owner_name": owner}
                | stamps
            )
    _put(session, Dwelling, dwellings)
    dwelling_of = _ids(session, Dwelling.address_id, Dwelling.id)
    occupied = [(g, code, fam) for g in grids for code, _, _, fam in g.dwellings if fam is not None]
    households = [
        {"code": f"H{code}", "dwelling_id": dwelling_of[ids[code]], "grid_id": g.region.id}
        | {"region_path": g.region.path, "created_at": now, "updated_at": now}
        for g, code, _ in occupied
    ]
    _put(session, Household, households)
    household_of = _ids(session, Household.code, Household.id)
    report("household", len(households))
    residents, special = _residents(vault, occupied, household_of, stamps)
    _put(session, Resident, residents)
    resident_of = _ids(session, Resident.id_index, Resident.id)
    groups = [
        {"resident_id": resident_of[index], "special_group": group, "grid_id": g.region.id}
        | {"region_path": g.region.path, "created_at": now}
        for index, group, g in special
    ]
    _put(session, SpecialGroupRecord, groups)
    report("resident", len(residents))
    units = _units(planner, grids, ids, stamps)
    _put(session, Unit, units)
    visits, visited = _visits(planner, occupied, household_of)
    _put(session, HouseholdVisit, visits)
    report("visit", len(visits))
    stats = BaseDataStats(
        addresses=len(addresses),
        buildings=len(buildings),
        dwellings=len(dwellings),
        households=len(households),
        residents=len(residents),
        special_groups=len(groups),
        units=len(units),
        visits=len(visits),
        visit_rate=round(visited / max(len(households), 1), 4),
    )
    record(
        session,
        actor=None,
        action="demo.basedata",
        entity_type="city",
        entity_id=grids[0].region.code[:6] if grids else "-",
        after={k: getattr(stats, k) for k in BaseDataStats.__dataclass_fields__}
        | {"share": planner.share},
    )
    return stats


def _residents(
    vault: Vault,
    occupied: list[tuple[DemoGrid, str, Family]],
    household_of: dict[str, int],
    stamps: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[tuple[str, str, DemoGrid]]]:
    rows, special = [], []
    for g, code, family in occupied:
        for p in family.members:
            index = vault.index(p.id_type, p.id_number)
            rows.append(
                {
                    "id_type": p.id_type,
                    "id_index": index,
                    "id_cipher": vault.seal(p.id_number),
                    "id_masked": mask_id_number(p.id_number),
                    "name": p.name,
                    "gender": p.gender,
                    "birth_date": p.born,
                    "ethnicity": p.ethnicity,
                    "native_place": None,
                    "resident_type": p.resident_type,
                    "household_id": household_of[f"H{code}"],
                    "relation": p.relation,
                    "phone": p.phone,
                    "hukou_address": g.context.text if p.resident_type != "migrant" else None,
                    "education": p.education,
                    "marital_status": p.marital_status,
                    "political_status": p.political_status,
                    "religion": None,
                    "occupation": p.occupation,
                    "employer": None,
                    "nationality": p.nationality,
                    "inflow_reason": p.inflow_reason,
                    "left_behind_kind": p.left_behind_kind,
                    "grid_id": g.region.id,
                    "region_path": g.region.path,
                }
                | stamps
            )
            if p.special_group:
                special.append((index, p.special_group, g))
    return rows, special


def uscc(rng: random.Random, area: str, kind: str) -> str:
    """A valid unified social credit code: a GB 11714 organisation code of the post-2015
    "MA…" series inside, both check characters computed."""
    body = "MA" + "".join(rng.choice(USCC_BODY) for _ in range(6))
    first17 = USCC_HEAD[kind] + area + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def _units(
    planner: Planner, grids: list[DemoGrid], ids: dict[str, int], stamps: dict[str, Any]
) -> list[dict[str, Any]]:
    rng, rows, seen = planner.rng, [], set()
    for g in grids:
        for _ in range(rng.randint(1, 3) if g.rural else rng.randint(6, 19)):
            trade, suffix, kind = rng.choice(UNIT_TRADES)
            code = uscc(rng, g.region.code[:6], kind)
            if code in seen:
                continue
            seen.add(code)
            stem = planner.namer.stem(set())
            contact = planner.people.person(area=g.region.code[:6], relation="other", ages=(25, 60))
            rows.append(
                {"uscc": code, "name": f"{g.context.text[:2]}{stem}{trade}{suffix}", "kind": kind}
                | {"address_id": ids[rng.choice(g.shops)], "grid_id": g.region.id}
                | {"region_path": g.region.path, "legal_representative": contact.name}
                | {"contact_name": contact.name, "contact_phone": contact.phone}
                | {"staff_count": rng.randint(1, 199), "industry": trade, "established_on": None}
                | stamps
            )
    return rows


def _visits(
    planner: Planner, occupied: list[tuple[DemoGrid, str, Family]], household_of: dict[str, int]
) -> tuple[list[dict[str, Any]], int]:
    """A year of visits: each grid reaches its own rate around 93 %, so some grids fall
    short of the 90 % target as real ones do; special groups get an extra follow-up."""
    rng, now = planner.rng, planner.now
    mean, sd, low, high = VISIT_RATE
    kinds, weights = [k for k, _ in VISIT_KINDS], [w for _, w in VISIT_KINDS]
    rates: dict[int, float] = {}
    rows, visited = [], 0
    for g, code, family in occupied:
        if g.gridder_id is None:
            continue
        rate = rates.setdefault(g.region.id, min(max(rng.gauss(mean, sd), low), high))
        if rng.random() >= rate:
            continue
        visited += 1
        special = any(p.special_group for p in family.members)
        count = 1 + int(rng.random() < 0.4) + int(rng.random() < 0.15) + int(special)
        for n in range(count):
            rows.append(
                {"household_id": household_of[f"H{code}"], "gridder_id": g.gridder_id}
                | {"grid_id": g.region.id, "region_path": g.region.path}
                | {"visited_at": now - timedelta(seconds=rng.randint(3600, 364 * 86400))}
                | {
                    "kind": "special_group"
                    if special and n == 0
                    else rng.choices(kinds, weights)[0]
                }
                | {"findings": None, "case_id": None, "created_at": now}
            )
    return rows, visited
