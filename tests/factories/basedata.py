"""Base data on the tiny city: two door plates with rooms (G1 and G2), households, residents
with valid ID numbers, and the staff who read and keep them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from factories.org import LAT0, LON0, TinyCity, make_tiny_city, make_user
from zhili.basedata.addresses import service as addresses
from zhili.basedata.addresses.models import Address
from zhili.basedata.addresses.schemas import AddressIn
from zhili.basedata.housing import service as housing
from zhili.basedata.housing.models import Dwelling, DwellingUse, Household
from zhili.basedata.housing.schemas import DwellingIn
from zhili.basedata.population import service as population
from zhili.basedata.population.models import Resident
from zhili.basedata.population.schemas import ResidentIn
from zhili.basedata.validators import id_check_char
from zhili.basedata.vault import Vault, vault_for
from zhili.cases.categories import service as categories
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.org.geo import GridIndexCache
from zhili.org.users.models import User


def cid(area: str = "520102", born: str = "19900307", seq: str = "123") -> str:
    """A citizen ID number with the right GB 11643 check character."""
    first17 = area + born + seq
    return first17 + id_check_char(first17)


@dataclass
class Staff:
    admin: User
    gridder1: User  # grid G1
    gridder2: User  # grid G2
    community: User  # sees ID numbers unmasked
    street: User
    dispatcher: User  # reads base data, no special groups, no ID numbers
    operator: User  # no base data at all


@dataclass
class Place:
    door: Address
    rooms: dict[str, Address]  # "501" → room address
    dwellings: dict[str, Dwelling]
    households: dict[str, Household]


@dataclass
class BaseWorld:
    city: TinyCity
    staff: Staff
    vault: Vault
    cache: GridIndexCache
    g1: Place  # 人民路18号阳光花园3栋2单元 in G1
    g2: Place  # 解放路7号 in G2
    wang: Resident  # head of household in G1 room 501
    li: Resident  # in G2 room 101


def place(
    session: Session, city: TinyCity, grid: str, code: str, road: str, number: str, rooms: list[str]
) -> Place:
    g = city.grids[grid]
    lon = LON0 + (0.5 if grid == "G1" else 1.5)
    door = addresses.create_address(
        session,
        actor=None,
        data=AddressIn(
            code=code,
            grid_id=g.id,
            road=road,
            number=number,
            compound="阳光花园" if grid == "G1" else None,
            lon=lon,
            lat=LAT0 + 0.5,
        ),
    )
    building = addresses.create_address(
        session, actor=None, data=AddressIn(code=code + "-3", parent_id=door.id, building="3")
    )
    unit = addresses.create_address(
        session, actor=None, data=AddressIn(code=code + "-3-2", parent_id=building.id, unit="2")
    )
    place = Place(door, {}, {}, {})
    for room in rooms:
        address = addresses.create_address(
            session,
            actor=None,
            data=AddressIn(code=f"{code}-3-2-{room}", parent_id=unit.id, room=room),
        )
        dwelling = housing.create_dwelling(
            session,
            actor=None,
            data=DwellingIn(address_id=address.id, use=DwellingUse.self_occupied),
        )
        place.rooms[room] = address
        place.dwellings[room] = dwelling
        place.households[room] = housing.create_household(
            session, actor=None, code=f"H{code}{room}", dwelling_id=dwelling.id
        )
    return place


def person(
    session: Session,
    world_vault: Vault,
    household: Household,
    *,
    name: str,
    id_number: str,
    phone: str | None = "13987654321",
    **extra: object,
) -> Resident:
    return population.create_resident(
        session,
        actor=None,
        vault=world_vault,
        data=ResidentIn(
            id_number=id_number,
            name=name,
            household_id=household.id,
            phone=phone,
            **extra,  # type: ignore[arg-type]
        ),
    )


def make_base(session: Session, settings: Settings) -> BaseWorld:
    city = make_tiny_city(session)
    categories.load_catalogue(session, actor=None)
    staff = Staff(
        admin=make_user(session, role=Role.admin, region=None, username="bd_admin"),
        gridder1=make_user(session, role=Role.gridder, region=city.grids["G1"], username="bd_g1"),
        gridder2=make_user(session, role=Role.gridder, region=city.grids["G2"], username="bd_g2"),
        community=make_user(session, role=Role.community, region=city.community, username="bd_c"),
        street=make_user(session, role=Role.street, region=city.street, username="bd_s"),
        dispatcher=make_user(session, role=Role.dispatcher, region=city.district, username="bd_d"),
        operator=make_user(session, role=Role.operator, region=city.city, username="bd_op"),
    )
    vault = vault_for(settings)
    g1 = place(session, city, "G1", "A0001", "人民路", "18", ["501", "502"])
    g2 = place(session, city, "G2", "A0002", "解放路", "7", ["101", "102"])
    wang = person(
        session,
        vault,
        g1.households["501"],
        name="王建国",
        id_number=cid(born="19650412", seq="031"),
        relation="head",
    )
    li = person(
        session,
        vault,
        g2.households["101"],
        name="李秀英",
        id_number=cid(area="520103", born="19880921", seq="042"),
        relation="head",
    )
    session.flush()
    return BaseWorld(city, staff, vault, GridIndexCache(cells_per_grid=64), g1, g2, wang, li)
