"""Demo data for the shipped frameworks: one row per district or street of the demo city.

Each unit gets a latent "governance quality" (a district effect plus its own), and every
indicator is drawn within its goalposts from that quality plus noise, so the indicators are
positively correlated as real ones are, with a few outliers (to exercise the treatment), about
2 % missing cells (to exercise imputation) and a handful of units failing veto indicators.
Columns with a denominator hold counts (value × POP ÷ per), as the offices report them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from zhili.demo.city import generate_plan
from zhili.indices.framework import Framework
from zhili.indices.tables import Cell, Table
from zhili.org.models import RegionLevel

LEVELS = (RegionLevel.district, RegionLevel.street)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    population: int
    district: str  # the district's code (itself for a district)


def plan_units(*, size: str = "small", seed: int = 1, level: str = "street") -> list[Unit]:
    """Districts or streets of the demo city as ``zhili demo`` would build it (no database)."""
    plan = generate_plan(size=size, seed=seed)
    lvl = RegionLevel(level)
    district_of = {r.code: r.code for r in plan.level(RegionLevel.district)}
    for r in plan.level(RegionLevel.street):
        district_of[r.code] = r.parent_code or r.code
    return [Unit(r.code, r.name, r.population, district_of[r.code]) for r in plan.level(lvl)]


def demo_table(fw: Framework, units: list[Unit], *, seed: int = 1, missing: float = 0.02) -> Table:
    rng = np.random.default_rng(seed)
    n = len(units)
    districts = sorted({u.district for u in units})
    effect = dict(zip(districts, rng.normal(0, 0.6, len(districts)), strict=True))
    quality = np.array([effect[u.district] for u in units]) + rng.normal(0, 0.8, n)
    pop = np.array([max(u.population, 1) for u in units], dtype=float)
    cells: dict[str, list[Cell]] = {
        "DISTRICT": [u.district for u in units],
        "POP": [int(p) for p in pop],
    }
    for ind in fw.indicators:
        low, high = ind.goalposts or (0.0, 100.0)
        if ind.veto is not None and ind.veto.above is not None:
            # rare incidents, likelier where governance is weak
            chance = 0.02 * ndtr(-quality)
            value = (rng.random(n) < chance) * rng.integers(1, 3, n)
            cells[ind.data_column] = [float(v) for v in value]
            continue
        share = ndtr(0.9 * quality + rng.normal(0, 0.7, n))
        if ind.direction < 0:
            share = 1.0 - share
        value = low + (high - low) * (0.05 + 0.9 * share)
        if ind.veto is not None and ind.veto.below is not None:
            # only the weakest few percent fall below the veto line
            limit = ind.veto.below
            value = np.where(
                share < 0.03,
                low + (limit - low) * share / 0.03,
                limit + (high - limit) * (share - 0.03) / 0.97,
            )
        outliers = rng.random(n) < 0.01
        value = np.where(outliers, value * (2.5 if ind.direction < 0 else 1.2), value)
        if ind.unit == "%":
            value = np.minimum(value, 100.0)
        if ind.denominator:
            value = np.round(value * pop / ind.per)
        column: list[Cell] = [int(v) if ind.denominator else round(float(v), 2) for v in value]
        for i in np.flatnonzero(rng.random(n) < missing):
            column[i] = None
        cells[ind.data_column] = column
    return Table([u.code for u in units], [u.name for u in units], cells)
