"""The demo's base data hangs together: addresses in grids, residents in households in
dwellings, valid ID numbers and credit codes, a year of visits by each grid's gridder."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.org import make_tiny_city, make_user
from zhili.basedata.addresses.models import Address
from zhili.basedata.addresses.service import grid_contexts, search_addresses
from zhili.basedata.housing.models import Dwelling, Household
from zhili.basedata.population.models import Resident
from zhili.basedata.units.models import Unit
from zhili.basedata.validators import parse_citizen_id, parse_uscc
from zhili.basedata.vault import vault_for
from zhili.basedata.visits.models import HouseholdVisit
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.demo.basedata import build_basedata
from zhili.demo.basedata_plan import DemoGrid, Planner


def test_the_demo_base_data_is_consistent(session: Session, settings: Settings) -> None:
    city = make_tiny_city(session)
    gridders = {
        name: make_user(session, role=Role.gridder, region=g, username=f"demo_{name}")
        for name, g in city.grids.items()
    }
    vault = vault_for(settings)
    stats = build_basedata(session, seed=7, vault=vault, share=0.1)
    assert stats.households > 100 and stats.residents > 2 * stats.households
    residents = session.execute(
        select(Resident, Household.grid_id, Dwelling.grid_id, Address.grid_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Dwelling, Dwelling.id == Household.dwelling_id)
        .join(Address, Address.id == Dwelling.address_id)
    ).all()
    assert len(residents) == stats.residents
    for r, h_grid, d_grid, a_grid in residents:
        assert r.grid_id == h_grid == d_grid == a_grid
        number = vault.open(r.id_cipher)
        if r.id_type == "citizen_id":
            parsed = parse_citizen_id(number)
            assert (parsed.birth_date, parsed.gender) == (r.birth_date, r.gender)
    for code in session.scalars(select(Unit.uscc)):
        parse_uscc(code)
    visits = session.execute(
        select(HouseholdVisit.gridder_id, HouseholdVisit.grid_id, HouseholdVisit.visited_at)
    ).all()
    owner = {u.id: u.region_id for u in gridders.values()}
    year_ago = utcnow() - timedelta(days=365)
    assert visits and all(owner[g] == grid and at > year_ago for g, grid, at in visits)
    assert 0.7 <= stats.visit_rate <= 1.0
    room = session.scalar(select(Address).where(Address.level == "room").limit(1))
    assert room is not None
    assert search_addresses(session, text=room.full_text)[0][0].id == room.id
    assert session.scalar(select(func.count()).select_from(Address)) == stats.addresses


def test_the_same_seed_plans_the_same_base_data(session: Session) -> None:
    city = make_tiny_city(session)
    grid = city.grids["G1"]
    context = grid_contexts(session, [grid.id])[grid.id]
    now = utcnow()

    def plan(seed: int) -> list[tuple[str, str, list[str]]]:
        g = DemoGrid(grid, False, context, None)
        Planner(seed, 0.1, now).plan_grid(g)
        return [
            (code, use, [p.id_number for p in family.members] if family else [])
            for code, use, _, family in g.dwellings
        ]

    assert plan(3) == plan(3) != plan(4)
