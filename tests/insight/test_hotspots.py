"""Hotspots on a seeded synthetic year: planted clusters found, few false alarms, and the
scan's parts behave as specified."""

from __future__ import annotations

import numpy as np
import pytest

from zhili.insight.detect.hotspots import HotspotParams, build_zones, scan_hotspots
from zhili.insight.detect.matching import score_hotspots
from zhili.insight.detect.run import CaseArrays, scan
from zhili.insight.detect.synthetic import synthetic_year


def _arrays(year):  # type: ignore[no-untyped-def]
    return CaseArrays(
        year.day, year.category, year.cell, year.area, year.categories, year.areas, year.first_day
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_hotspots_are_found_with_few_false_alarms(seed: int) -> None:
    year = synthetic_year(cases=20_000, seed=seed, cells=300, areas=3, hotspots=10, surges=10)
    params = HotspotParams()
    zones = build_zones(year.xy, neighbours=params.neighbours, max_radius_km=params.max_radius_km)
    result = scan(_arrays(year), zones=zones, start=year.first_day + 56, end=year.first_day + 365)
    score = score_hotspots(result.hotspots, year.hotspots, year.surges, list(year.cell_area))
    assert score.recall >= 0.9, score
    assert score.precision >= 0.8, score


def test_a_year_without_planted_events_raises_almost_no_alarm() -> None:
    """The Bonferroni bound holds: the family-wise false alarm rate is at most alpha."""
    alarms = 0
    for seed in range(3):
        year = synthetic_year(cases=20_000, seed=100 + seed, cells=300, hotspots=0, surges=0)
        zones = build_zones(year.xy, neighbours=4, max_radius_km=2.0)
        result = scan(
            _arrays(year), zones=zones, start=year.first_day + 56, end=year.first_day + 365
        )
        alarms += len(result.hotspots)
    assert alarms <= 1


def test_a_cluster_is_reported_once_with_its_cells_days_and_counts() -> None:
    rng = np.random.default_rng(5)
    xy = np.array([[x, y] for x in range(10) for y in range(10)], dtype=float)  # 1 km lattice
    days = 120
    n = 3000
    day = rng.integers(0, days, n)
    cell = rng.integers(0, 100, n)
    category = rng.integers(0, 3, n)
    # nine extra cases of category 1 in cells 44 and 45 on days 100-102
    day = np.concatenate((day, [100, 100, 101, 101, 101, 102, 102, 102, 100]))
    cell = np.concatenate((cell, [44, 45, 44, 45, 44, 45, 44, 44, 45]))
    category = np.concatenate((category, [1] * 9))
    zones = build_zones(xy, neighbours=4, max_radius_km=1.5)
    found = scan_hotspots(
        day, category, cell, zones=zones, categories=3, start=90, end=118, history_start=0
    )
    assert len(found) == 1
    h = found[0]
    assert h.category == 1 and {44, 45} <= set(h.cells) and len(h.cells) <= 5
    assert h.first_day == 100 and h.last_day == 102
    assert h.count >= 9 and h.expected < 1.0 and h.p_value < 0.05


def test_zones_grow_outwards_and_stop_at_the_radius() -> None:
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [0.0, 1.5]])
    zones = build_zones(xy, neighbours=3, max_radius_km=2.0)
    assert zones.members[0].tolist() == [0, 1, 3, -1]
    assert zones.members[2].tolist() == [2, -1, -1, -1]
    assert zones.sizes.tolist() == [3, 3, 1, 3]
    # every (centre, rank) is listed once under its cell
    assert len(zones.inv_centre) == zones.count
