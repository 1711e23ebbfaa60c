"""Planning the demo's base data, grid by grid: door plates on named roads, compounds of
buildings with units and flats in town, numbered houses in village groups, each dwelling's
use and the family living there (``demo.people``). No database access: the
caller hands in the grids. ``demo.basedata`` inserts the plan.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from zhili.basedata.addresses.service import GridContext, Parts, texts
from zhili.demo.names import PlaceNamer
from zhili.demo.people import Family, PeopleMaker
from zhili.org.models import Region

SHARES = {"small": 0.27, "city": 0.1, "megacity": 0.05}
OCCUPIED = 0.88  # share of urban dwellings with a household
USES_URBAN = (("self_occupied", 0.70), ("rented", 0.17), ("vacant", 0.09), ("other", 0.04))
USES_RURAL = (("self_occupied", 0.86), ("rented", 0.04), ("vacant", 0.08), ("other", 0.02))
ROAD_SUFFIXES = ("路", "街", "大道", "巷")
COMPOUND_SUFFIXES = ("花园", "小区", "苑", "家园", "新村", "公寓")
HOUSES_PER_GROUP = 40  # village houses per 村民小组


@dataclass(frozen=True, slots=True)
class BaseDataStats:
    addresses: int
    buildings: int
    dwellings: int
    households: int
    residents: int
    special_groups: int
    units: int
    visits: int
    visit_rate: float


@dataclass(slots=True)
class DemoGrid:
    """One grid's plan: its addresses (parents first), buildings, dwellings and families."""

    region: Region
    rural: bool
    context: GridContext
    gridder_id: int | None
    addresses: list[dict[str, Any]] = field(default_factory=list)
    buildings: list[tuple[str, int, int]] = field(default_factory=list)  # code, floors, year
    # (address code, use, area m², family or None when vacant)
    dwellings: list[tuple[str, str, float, Family | None]] = field(default_factory=list)
    shops: list[str] = field(default_factory=list)  # door codes where units are


class Planner:
    def __init__(self, seed: int, share: float, now: datetime) -> None:
        self.share, self.now = share, now
        np_rng = np.random.default_rng([seed, 31000])
        self.rng = random.Random(int(np_rng.integers(2**63)))
        self.namer = PlaceNamer(np_rng)
        self.people = PeopleMaker(np_rng, now.astimezone(ZoneInfo("Asia/Shanghai")).date())
        self.road_names: dict[str, list[str]] = {}  # per community
        self.taken: set[str] = set()

    def address(self, g: DemoGrid, code: str, parent: str | None, parts: Parts) -> str:
        full_text, search_text, tokens = texts(g.context, parts)
        g.addresses.append(
            {
                "code": code,
                "parent": parent,
                "level": parts.level.value,
                "grid_id": g.region.id,
                "region_path": g.region.path,
                "road": parts.road,
                "number": parts.number,
                "compound": parts.compound,
                "building": parts.building,
                "unit": parts.unit,
                "room": parts.room,
                "full_text": full_text[:255],
                "search_text": search_text[:255],
                "lon": g.region.centroid_lon,
                "lat": g.region.centroid_lat,
                "tokens": tokens,
            }
        )
        return code

    def _roads(self, g: DemoGrid) -> list[str]:
        community = g.region.path.strip("/").split("/")[-2]
        if community not in self.road_names:
            suffixes = [self.rng.choice(ROAD_SUFFIXES) for _ in range(self.rng.randint(2, 4))]
            self.road_names[community] = [self.namer.name(s, self.taken) for s in suffixes]
        return self.road_names[community]

    def _village(self, g: DemoGrid, dwellings: int) -> list[tuple[str, bool]]:
        houses = []
        for i in range(dwellings):
            group, number = divmod(i, HOUSES_PER_GROUP)
            parts = Parts(f"{group + 1}组", str(number + 1))
            houses.append((self.address(g, f"{g.region.code}{i + 1:04d}", None, parts), True))
        g.shops = [code for code, _ in houses[: self.rng.randint(1, 3)]]
        return houses

    def _town(self, g: DemoGrid, dwellings: int) -> list[tuple[str, bool]]:
        """Compounds behind door plates, 2–8 buildings each, 1–3 units, two flats a floor."""
        rng, code, roads = self.rng, g.region.code, self._roads(g)
        rooms: list[tuple[str, bool]] = []
        door_no = 0
        while len(rooms) < dwellings:
            door_no += 1
            road, number = rng.choice(roads), str(door_no * 2 - 1)
            compound = self.namer.name(rng.choice(COMPOUND_SUFFIXES), self.taken)
            door = self.address(g, f"{code}{door_no:04d}", None, Parts(road, number, compound))
            for b in range(1, rng.randint(2, 8) + 1):
                floors, units = rng.randint(6, 18), rng.randint(1, 3)
                building = self.address(
                    g, f"{door}{b:02d}", door, Parts(road, number, compound, str(b))
                )
                g.buildings.append((building, floors, rng.randint(1985, 2022)))
                for u in range(1, units + 1):
                    unit = self.address(
                        g, f"{building}{u}", building, Parts(road, number, compound, str(b), str(u))
                    )
                    for floor in range(1, floors + 1):
                        for k in (1, 2):
                            parts = Parts(road, number, compound, str(b), str(u), f"{floor}{k:02d}")
                            room = self.address(g, f"{unit}{floor:02d}{k:02d}", unit, parts)
                            rooms.append((room, False))
                if len(rooms) >= dwellings:
                    break
        for shop in range(rng.randint(3, 7)):
            door_no += 1
            parts = Parts(rng.choice(roads), str(200 + shop * 2))
            g.shops.append(self.address(g, f"{code}{door_no:04d}", None, parts))
        return rooms

    def plan_grid(self, g: DemoGrid) -> None:
        wanted = max(1, round((g.region.households or 0) * self.share))
        dwellings = math.ceil(wanted / OCCUPIED)
        places = self._village(g, dwellings) if g.rural else self._town(g, dwellings)
        table = USES_RURAL if g.rural else USES_URBAN
        uses, weights = [u for u, _ in table], [w for _, w in table]
        area = g.region.code[:6]
        for code, house in places[:dwellings]:
            use = self.rng.choices(uses, weights)[0]
            family = None
            if use != "vacant":
                family = self.people.family(area=area, rural=g.rural, rented=use == "rented")
            size = self.rng.uniform(80, 200) if house else self.rng.uniform(45, 140)
            g.dwellings.append((code, use, round(size, 1), family))
