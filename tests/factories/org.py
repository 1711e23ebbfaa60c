"""A tiny hand-drawn city whose geometry the tests know exactly.

    lon 0 ──── 1 ──── 2 ──── 3          one district, one street, one community covering
    lat 1 ┌──────┬──────┬──────┐        [0,3]×[0,1]; three unit-square grids G1 G2 G3 side by
          │  G1  │  G2  │ G3 ▢ │        side, G3 with a square hole [2.4,2.6]×[0.4,0.6] that
    lat 0 └──────┴──────┴──────┘        grid G4 (inside the hole) fills only on its left half.

Coordinates are offsets from (106.0, 26.0) so they are plausible longitudes/latitudes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from zhili.core.security import Role, hash_password
from zhili.org import service
from zhili.org.models import Region, RegionLevel
from zhili.org.users import service as users_service
from zhili.org.users.models import User

LON0, LAT0 = 106.0, 26.0
PASSWORD = "correct-horse-battery"


def box(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [
        [LON0 + x0, LAT0 + y0],
        [LON0 + x1, LAT0 + y0],
        [LON0 + x1, LAT0 + y1],
        [LON0 + x0, LAT0 + y1],
        [LON0 + x0, LAT0 + y0],
    ]


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


@dataclass
class TinyCity:
    city: Region
    district: Region
    street: Region
    community: Region
    grids: dict[str, Region]


def make_tiny_city(session: Session) -> TinyCity:
    city = service.create_region(
        session,
        actor=None,
        level=RegionLevel.city,
        code="529900",
        name="测试市",
        geometry=polygon(box(0, 0, 3, 1)),
    )
    district = service.create_region(
        session,
        actor=None,
        level=RegionLevel.district,
        code="529901",
        name="一区",
        parent_id=city.id,
        geometry=polygon(box(0, 0, 3, 1)),
    )
    street = service.create_region(
        session,
        actor=None,
        level=RegionLevel.street,
        code="529901001",
        name="一街道",
        parent_id=district.id,
        geometry=polygon(box(0, 0, 3, 1)),
    )
    community = service.create_region(
        session,
        actor=None,
        level=RegionLevel.community,
        code="529901001001",
        name="一社区",
        parent_id=street.id,
        geometry=polygon(box(0, 0, 3, 1)),
    )
    hole = box(2.4, 0.4, 2.6, 0.6)
    shapes = {
        "G1": polygon(box(0, 0, 1, 1)),
        "G2": polygon(box(1, 0, 2, 1)),
        "G3": polygon(box(2, 0, 3, 1), hole[::-1]),
        "G4": polygon(box(2.4, 0.4, 2.5, 0.6)),
    }
    grids = {}
    for i, (name, geom) in enumerate(shapes.items(), start=1):
        grids[name] = service.create_region(
            session,
            actor=None,
            level=RegionLevel.grid,
            code=f"529901001001{i:03d}",
            name=f"第{i}网格",
            parent_id=community.id,
            geometry=geom,
            households=300,
        )
    return TinyCity(city, district, street, community, grids)


def make_user(
    session: Session,
    *,
    role: Role,
    region: Region | None,
    username: str | None = None,
    phone: str | None = "13812345678",
    department_id: int | None = None,
) -> User:
    user = users_service.create_user(
        session,
        actor=None,
        username=username or f"{role.value}_{region.code if region else 'x'}",
        full_name="张伟",
        role=role,
        password=None,
        region_id=region.id if region else None,
        phone=phone,
        department_id=department_id,
    )
    # argon2 is slow on purpose; hash the shared test password once per run, not per user
    user.password_hash = _password_hash()
    return user


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)


def token_for(session: Session, user: User) -> str:
    token, _ = users_service.issue_token(session, actor=None, user=user, name="test", ttl=None)
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
