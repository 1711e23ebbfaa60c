"""The demo city generator: a synthetic Chinese city, reproducible from its seed.

``generate_plan`` is pure (no database): regions 市→区县→街道乡镇→社区村→网格 that tile each
other exactly, departments and staff. ``build_city`` inserts a plan into an empty database
with bulk statements and one audit row; the caller commits.

A fictional prefecture 黔安市 (code 529900, not a real GB/T 2260 code) of about 40 × 35 km
around 106.6°E 26.6°N. Population density has an old town and a satellite centre, so
central districts and grids are small and the outer ones are large and rural (县, 镇, 村);
every grid holds 300–500 households either way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from zhili.demo import names as nm
from zhili.demo.geometry import (
    Density,
    city_outline,
    km_to_lonlat,
    label_point,
    make_density,
    partition,
    to_geojson,
)
from zhili.demo.load import DEMO_PASSWORD, Progress, ensure_empty, insert_plan
from zhili.demo.model import CityPlan, CitySize, CityStats, DepartmentPlan, RegionPlan, StaffPlan
from zhili.demo.staff import plan_departments, plan_staff
from zhili.org.models import RegionLevel

__all__ = [
    "CITY_CODE",
    "CITY_NAME",
    "DEMO_PASSWORD",
    "SIZES",
    "CityPlan",
    "CitySize",
    "CityStats",
    "DepartmentPlan",
    "RegionPlan",
    "StaffPlan",
    "build_city",
    "generate_plan",
    "insert_plan",
]

CITY_CODE = "529900"
CITY_NAME = "黔安市"

SIZES: dict[str, CitySize] = {
    "small": CitySize(districts=3, streets=12, grids=300, grids_per_community=4.0),
    "city": CitySize(districts=14, streets=140, grids=6000, grids_per_community=4.0),
    "megacity": CitySize(districts=20, streets=300, grids=16000, grids_per_community=4.0),
}

COUNTY_SHARE = 0.25  # the most rural quarter of the districts are counties (县)
RURAL_DENSITY = 0.12  # below this relative density a street is a town (镇/乡), not a 街道
TOWNSHIP_SHARE = 0.25  # share of rural streets that are townships (乡) rather than towns
HOUSEHOLDS = (300, 500)  # per grid, inclusive
PERSONS_PER_HOUSEHOLD = (2.7, 0.1, 2.45, 2.95)  # mean, sd, clipped to [low, high]


@dataclass(eq=False)
class _Node:
    code: str
    level: RegionLevel
    name: str
    geom: Any  # km plane
    budget: int  # grids in this subtree
    rural: bool = False
    wanted: int = 0  # how many children to make
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)
    households: int = 0
    population: int = 0


def _apportion(total: int, weights: Any, minimum: int) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), each ≥ ``minimum``."""
    w = np.asarray(weights, dtype=np.float64)
    rest = total - minimum * len(w)
    if rest < 0:
        raise ValueError(f"cannot give {len(w)} parts at least {minimum} of {total}")
    quotas = rest * w / w.sum()
    base = np.floor(quotas).astype(np.int64)
    order = np.argsort(-(quotas - base), kind="stable")
    base[order[: rest - int(base.sum())]] += 1
    return [int(b) + minimum for b in base]


def _noisy(rng: np.random.Generator, weights: Sequence[float], sigma: float) -> Any:
    return np.asarray(weights) * rng.lognormal(0.0, sigma, len(weights))


class _Planner:
    def __init__(self, spec: CitySize, seed: int, progress: Progress | None) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(seed)
        self.density: Density = make_density(self.rng)
        self.namer = nm.PlaceNamer(self.rng)
        self.progress = progress
        self.street_stems: set[str] = set()

    def _report(self, level: RegionLevel, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(f"plan.{level.value}", done, total)

    def _pieces(self, node: _Node, k: int) -> list[tuple[Any, float, float]]:
        """(geometry, mass share, density at its label point), densest first."""
        out = []
        for piece in partition(node.geom, k, self.rng, self.density):
            x, y = label_point(piece.geometry)
            out.append((piece.geometry, piece.share, self.density.at(x, y)))
        out.sort(key=lambda p: -p[2])
        return out

    def city(self) -> _Node:
        return _Node(
            CITY_CODE, RegionLevel.city, CITY_NAME, city_outline(self.rng), self.spec.grids
        )

    def districts(self, city: _Node) -> None:
        spec, rng = self.spec, self.rng
        pieces = self._pieces(city, spec.districts)
        shares = [p[1] for p in pieces]
        streets = _apportion(spec.streets, _noisy(rng, shares, 0.15), 2)
        budgets = _apportion(spec.grids, _noisy(rng, streets, 0.1), 0)
        budgets = [max(b, 4 * s) for b, s in zip(budgets, streets, strict=True)]
        counties = math.floor(COUNTY_SHARE * spec.districts)
        taken: set[str] = set()
        for i, ((geom, _, _), budget) in enumerate(zip(pieces, budgets, strict=True)):
            rural = i >= spec.districts - counties
            suffix = nm.COUNTY_SUFFIX if rural else nm.DISTRICT_SUFFIX
            code = f"{CITY_CODE[:4]}{i + 1:02d}"
            node = _Node(code, RegionLevel.district, self.namer.name(suffix, taken), geom, budget)
            node.rural, node.parent, node.wanted = rural, city, streets[i]
            city.children.append(node)

    def streets(self, district: _Node) -> None:
        rng = self.rng
        pieces = self._pieces(district, district.wanted)
        budgets = _apportion(district.budget, _noisy(rng, [p[1] for p in pieces], 0.2), 4)
        kinds = []
        for i, (_, _, dens) in enumerate(pieces):
            # A county's densest street is its seat (街道); elsewhere sparse streets are towns.
            rural = i > 0 if district.rural else dens < RURAL_DENSITY
            if not rural:
                kinds.append(nm.SUBDISTRICT_SUFFIX)
            else:
                kinds.append(
                    nm.TOWNSHIP_SUFFIX if rng.random() < TOWNSHIP_SHARE else nm.TOWN_SUFFIX
                )
        series = {nm.SUBDISTRICT_SUFFIX: 1, nm.TOWN_SUFFIX: 101, nm.TOWNSHIP_SUFFIX: 201}
        order = sorted(range(len(pieces)), key=lambda i: series[kinds[i]])
        for i in order:
            suffix = kinds[i]
            code = f"{district.code}{series[suffix]:03d}"
            series[suffix] += 1
            name = self.namer.name(suffix, self.street_stems)
            node = _Node(code, RegionLevel.street, name, pieces[i][0], budgets[i])
            node.rural, node.parent = suffix != nm.SUBDISTRICT_SUFFIX, district
            district.children.append(node)

    def communities(self, street: _Node, taken: set[str]) -> None:
        rng, gpc = self.rng, self.spec.grids_per_community
        wanted = round(street.budget / gpc * rng.lognormal(0.0, 0.15))
        k = min(max(wanted, 1), street.budget // 2)
        pieces = self._pieces(street, k)
        budgets = _apportion(street.budget, _noisy(rng, [p[1] for p in pieces], 0.2), 2)
        series = {nm.COMMUNITY_SUFFIX: 1, nm.VILLAGE_SUFFIX: 201}
        for i, (geom, _, _) in enumerate(pieces):
            # A town's densest community is its seat (社区); the rest are villages (村).
            suffix = nm.VILLAGE_SUFFIX if street.rural and i > 0 else nm.COMMUNITY_SUFFIX
            code = f"{street.code}{series[suffix]:03d}"
            series[suffix] += 1
            name = self.namer.name(suffix, taken, infix=suffix == nm.COMMUNITY_SUFFIX)
            node = _Node(code, RegionLevel.community, name, geom, budgets[i], street.rural)
            node.parent = street
            street.children.append(node)

    def grids(self, community: _Node) -> None:
        rng = self.rng
        labelled = [(label_point(p[0]), p[0]) for p in self._pieces(community, community.budget)]
        # Number grids in reading order: north to south (in 100 m bands), then west to east.
        labelled.sort(key=lambda lp: (-round(lp[0][1], 1), lp[0][0]))
        low, high = HOUSEHOLDS
        mean, sd, pmin, pmax = PERSONS_PER_HOUSEHOLD
        for i, (_, geom) in enumerate(labelled, start=1):
            households = int(rng.integers(low, high + 1))
            persons = float(np.clip(rng.normal(mean, sd), pmin, pmax))
            node = _Node(f"{community.code}{i:03d}", RegionLevel.grid, nm.grid_name(i), geom, 1)
            node.parent, node.households = community, households
            node.population = round(households * persons)
            community.children.append(node)

    def run(self) -> list[list[_Node]]:
        city = self.city()
        self.districts(city)
        levels = [[city], city.children]
        for level, step in (
            (RegionLevel.street, self.streets),
            (RegionLevel.community, None),
            (RegionLevel.grid, self.grids),
        ):
            parents = levels[-1]
            taken_by_district: dict[str, set[str]] = {}
            for done, parent in enumerate(parents, start=1):
                if step is None:
                    district_code = parent.code[: len(CITY_CODE)]
                    self.communities(parent, taken_by_district.setdefault(district_code, set()))
                else:
                    step(parent)
                self._report(level, done, len(parents))
            levels.append([child for parent in parents for child in parent.children])
        for nodes in reversed(levels[:-1]):  # parents are the sum of their children
            for node in nodes:
                node.households = sum(c.households for c in node.children)
                node.population = sum(c.population for c in node.children)
        return levels


def _region_plan(node: _Node) -> RegionPlan:
    x, y = label_point(node.geom)
    lon, lat = km_to_lonlat(np.array([[x, y]]))[0]
    return RegionPlan(
        code=node.code,
        parent_code=node.parent.code if node.parent is not None else None,
        level=node.level,
        name=node.name,
        geometry=to_geojson(node.geom),
        centroid_lon=round(float(lon), 6),
        centroid_lat=round(float(lat), 6),
        population=node.population,
        households=node.households,
    )


def _spec(size: str) -> CitySize:
    if size not in SIZES:
        raise ValueError(f"unknown demo city size {size!r}; choose one of {', '.join(SIZES)}")
    return SIZES[size]


def generate_plan(*, size: str, seed: int, progress: Progress | None = None) -> CityPlan:
    """The whole demo city as data; the same ``size`` and ``seed`` give an identical plan."""
    planner = _Planner(_spec(size), seed, progress)
    levels = planner.run()
    regions = tuple(_region_plan(node) for nodes in levels for node in nodes)
    districts = [r for r in regions if r.level == RegionLevel.district]
    departments = plan_departments(regions[0], districts, planner.rng)
    staff = plan_staff(regions, departments, planner.rng)
    return CityPlan(size, seed, CITY_CODE, CITY_NAME, regions, tuple(departments), tuple(staff))


def build_city(
    session: Session, *, size: str, seed: int, progress: Progress | None = None
) -> CityStats:
    """Generate the demo city of ``size`` from ``seed`` and insert it; the caller commits.

    ``progress(stage, done, total)`` is called as planning and inserting advance; stages are
    ``plan.<level>``, ``insert.<level>``, ``insert.department`` and ``insert.user``.
    Raises ValueError for an unknown size or a database that already has regions.
    """
    _spec(size)
    ensure_empty(session)
    plan = generate_plan(size=size, seed=seed, progress=progress)
    return insert_plan(session, plan, progress=progress)
