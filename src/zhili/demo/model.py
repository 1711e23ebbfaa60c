"""The demo city as plain data: what ``generate_plan`` returns and ``build_city`` inserts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zhili.core.security import Role
from zhili.org.models import DepartmentKind, RegionLevel


@dataclass(frozen=True, slots=True)
class CitySize:
    """Targets for one size of city; counts per node vary around the means."""

    districts: int
    streets: int
    grids: int
    grids_per_community: float


@dataclass(frozen=True, slots=True)
class RegionPlan:
    code: str
    parent_code: str | None
    level: RegionLevel
    name: str
    # GeoJSON Polygon or MultiPolygon in lon/lat, exterior rings counter-clockwise.
    geometry: dict[str, Any] = field(hash=False)
    centroid_lon: float
    centroid_lat: float
    population: int
    households: int


@dataclass(frozen=True, slots=True)
class DepartmentPlan:
    code: str  # "529901-urban_management"
    name: str  # "云岩区城市管理局"
    kind: DepartmentKind
    region_code: str
    phone: str


@dataclass(frozen=True, slots=True)
class StaffPlan:
    username: str
    full_name: str
    role: Role
    region_code: str  # the scope: this region and its subtree
    department_code: str | None
    phone: str


@dataclass(frozen=True, slots=True)
class CityPlan:
    size: str
    seed: int
    code: str
    name: str
    regions: tuple[RegionPlan, ...]  # top-down: the city, then each level in code order
    departments: tuple[DepartmentPlan, ...]
    staff: tuple[StaffPlan, ...]

    def level(self, level: RegionLevel) -> tuple[RegionPlan, ...]:
        return tuple(r for r in self.regions if r.level == level)

    def counts(self) -> dict[str, int]:
        city = self.regions[0]
        return {
            "districts": len(self.level(RegionLevel.district)),
            "streets": len(self.level(RegionLevel.street)),
            "communities": len(self.level(RegionLevel.community)),
            "grids": len(self.level(RegionLevel.grid)),
            "departments": len(self.departments),
            "users": len(self.staff),
            "population": city.population,
            "households": city.households,
        }


@dataclass(frozen=True, slots=True)
class CityStats:
    """What ``build_city`` inserted."""

    size: str
    seed: int
    city_code: str
    districts: int
    streets: int
    communities: int
    grids: int
    departments: int
    users: int
    population: int
    households: int

    @property
    def regions(self) -> int:
        return 1 + self.districts + self.streets + self.communities + self.grids
