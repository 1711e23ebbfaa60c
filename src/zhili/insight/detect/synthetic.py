"""A seeded synthetic year of cases as arrays, with planted hotspots and surges.

For the detection tests and ``bench/insight.py``: the real demo simulation runs at ≈ 50 cases
a second, far too slow for a million cases. The year has what real intake has — busy and quiet
cells, categories of very different sizes with their own seasons, a weekly rhythm, Poisson
noise — and a ground truth of what was planted on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from zhili.insight.detect.hotspots import build_zones

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

WEEK = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.62, 0.55])  # Monday first


@dataclass(frozen=True, slots=True)
class PlantedHotspot:
    category: int
    cells: tuple[int, ...]
    first_day: int
    last_day: int
    extra: int


@dataclass(frozen=True, slots=True)
class PlantedSurge:
    category: int
    area: int
    first_day: int
    last_day: int
    extra: int


@dataclass
class SyntheticYear:
    day: IntArray
    category: IntArray
    cell: IntArray
    area: IntArray  # of each case (its cell's district)
    cell_area: IntArray
    xy: FloatArray  # cell centres, km
    categories: int
    first_day: int
    days: int
    hotspots: list[PlantedHotspot] = field(default_factory=list)
    surges: list[PlantedSurge] = field(default_factory=list)

    @property
    def areas(self) -> int:
        return int(self.cell_area.max()) + 1


def synthetic_year(
    *,
    cases: int,
    seed: int,
    cells: int = 300,
    areas: int = 3,
    categories: int = 60,
    first_day: int = 20_454,  # 2026-01-01
    days: int = 365,
    hotspots: int = 10,
    surges: int = 10,
    warmup: int = 56,
) -> SyntheticYear:
    """About ``cases`` background cases plus the planted ones (``warmup`` days stay clean)."""
    rng = np.random.default_rng(seed)
    side = np.sqrt(cells) * 0.8  # km: cells ≈ 0.8 km apart
    xy = rng.uniform(0, side, size=(cells, 2))
    cell_area = np.minimum((xy[:, 0] / side * areas).astype(np.int64), areas - 1)
    cell_weight = rng.lognormal(0.0, 0.6, size=cells)
    cat_weight = rng.lognormal(0.0, 1.0, size=categories)
    cat_weight /= cat_weight.sum()
    phase = rng.uniform(0, 2 * np.pi, size=categories)
    amplitude = rng.uniform(0, 0.6, size=categories)
    d = np.arange(days)
    season = 1 + amplitude[:, None] * np.sin(2 * np.pi * d[None, :] / 365 + phase[:, None])
    week = WEEK[(first_day + d + 3) % 7]
    rate = cat_weight[:, None] * season * week[None, :]  # (categories, days)
    rate *= cases / rate.sum()
    n = rng.poisson(rate)
    cat_of = np.repeat(np.tile(np.arange(categories), days), n.T.ravel())
    day_of = np.repeat(np.repeat(d, categories), n.T.ravel())
    # each category has its own liking for some cells
    affinity = cell_weight[None, :] * rng.lognormal(0.0, 0.4, size=(categories, cells))
    cum = np.cumsum(affinity, axis=1)
    cum /= cum[:, -1:]
    cell_of = _draw_cells(rng, cum, cat_of)
    year = SyntheticYear(
        day=(first_day + day_of).astype(np.int64),
        category=cat_of.astype(np.int64),
        cell=cell_of,
        area=cell_area[cell_of],
        cell_area=cell_area,
        xy=xy,
        categories=categories,
        first_day=first_day,
        days=days,
    )
    _plant(year, rng, rate, affinity, hotspots=hotspots, surges=surges, warmup=warmup)
    return year


def _draw_cells(rng: np.random.Generator, cum: FloatArray, cat_of: IntArray) -> IntArray:
    u = rng.random(len(cat_of))
    out = np.empty(len(cat_of), dtype=np.int64)
    order = np.argsort(cat_of, kind="stable")
    bounds = np.searchsorted(cat_of[order], np.arange(cum.shape[0] + 1))
    for k in range(cum.shape[0]):
        idx = order[bounds[k] : bounds[k + 1]]
        out[idx] = np.minimum(np.searchsorted(cum[k], u[idx]), cum.shape[1] - 1)
    return out


def _plant(
    year: SyntheticYear,
    rng: np.random.Generator,
    rate: FloatArray,
    affinity: FloatArray,
    *,
    hotspots: int,
    surges: int,
    warmup: int,
) -> None:
    """Hotspots: 6–12 extra cases of one category in a cell and its nearest 0–2 cells over
    2–4 days. Surges: a category's count in one area 3–4 times its level (at least 5 extra
    a day) for 2–4 days, spread over the area's cells as usual. Events do not overlap in time
    per category, so each can be matched unambiguously."""
    zones = build_zones(year.xy, neighbours=2, max_radius_km=10.0)
    days, cats = year.days, year.categories
    shares = affinity / affinity.sum(axis=1, keepdims=True)
    busy: dict[int, list[tuple[int, int]]] = {}
    add_day: list[IntArray] = []
    add_cat: list[IntArray] = []
    add_cell: list[IntArray] = []

    def free(k: int, a: int, b: int) -> bool:
        return all(b + 7 < x or y + 7 < a for x, y in busy.get(k, []))

    planted = 0
    while planted < hotspots + surges:
        k = int(rng.integers(cats))
        length = int(rng.integers(2, 5))
        a = int(rng.integers(warmup, days - length))
        b = a + length - 1
        if not free(k, a, b):
            continue
        busy.setdefault(k, []).append((a, b))
        if planted < hotspots:
            centre = int(rng.integers(year.xy.shape[0]))
            size = int(rng.integers(1, 4))
            cells = tuple(int(x) for x in zones.members[centre, :size] if x >= 0)
            extra = int(rng.integers(6, 13))
            add_cell.append(rng.choice(np.array(cells), size=extra))
            add_day.append(rng.integers(a, b + 1, size=extra))
            year.hotspots.append(
                PlantedHotspot(k, cells, year.first_day + a, year.first_day + b, extra)
            )
        else:
            area = int(rng.integers(year.areas))
            in_area = year.cell_area == area
            w = np.where(in_area, shares[k], 0.0)
            level = rate[k, a : b + 1].mean() * w.sum()
            per_day = max(5, int(np.ceil(level * rng.uniform(2.0, 3.0))))
            extra = per_day * length
            add_cell.append(rng.choice(len(w), size=extra, p=w / w.sum()))
            add_day.append(np.repeat(np.arange(a, b + 1), per_day))
            year.surges.append(PlantedSurge(k, area, year.first_day + a, year.first_day + b, extra))
        add_cat.append(np.full(len(add_day[-1]), k))
        planted += 1
    if add_day:
        cell = np.concatenate(add_cell).astype(np.int64)
        year.day = np.concatenate((year.day, year.first_day + np.concatenate(add_day)))
        year.category = np.concatenate((year.category, np.concatenate(add_cat)))
        year.cell = np.concatenate((year.cell, cell))
        year.area = np.concatenate((year.area, year.cell_area[cell]))
