"""Surges and change points on a seeded synthetic year."""

from __future__ import annotations

import numpy as np
import pytest

from zhili.insight.detect.anomalies import (
    AnomalyParams,
    cusum,
    daily_counts,
    detect_changes,
    detect_surges,
    expected_counts,
)
from zhili.insight.detect.matching import score_surges
from zhili.insight.detect.synthetic import synthetic_year


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_planted_surges_are_found_with_few_false_alarms(seed: int) -> None:
    year = synthetic_year(cases=20_000, seed=seed, cells=300, areas=3, hotspots=10, surges=10)
    first = year.first_day
    counts = daily_counts(
        year.day, year.category, year.area, categories=60, areas=3, first=first, last=first + 365
    )
    params = AnomalyParams()
    found = detect_surges(
        counts,
        expected_counts(counts, first, params),
        first=first,
        start=first + 56,
        end=first + 365,
        params=params,
    )
    score = score_surges(found, year.surges, year.hotspots, list(year.cell_area))
    assert score.recall >= 0.9, score
    assert score.precision >= 0.8, score


def test_quiet_series_raise_no_surge() -> None:
    year = synthetic_year(cases=20_000, seed=7, cells=300, areas=3, hotspots=0, surges=0)
    first = year.first_day
    counts = daily_counts(
        year.day, year.category, year.area, categories=60, areas=3, first=first, last=first + 365
    )
    found = detect_surges(
        counts,
        expected_counts(counts, first, AnomalyParams()),
        first=first,
        start=first + 56,
        end=first + 365,
    )
    assert len(found) <= 1


def test_expected_counts_never_look_at_the_day_itself() -> None:
    counts = np.zeros((1, 2, 60), dtype=np.int64)
    counts[0, 0, :] = 2
    spiked = counts.copy()
    spiked[0, 0, 40] = 50
    a = expected_counts(counts, 0, AnomalyParams())
    b = expected_counts(spiked, 0, AnomalyParams())
    assert np.allclose(a.recent[:, :, :41], b.recent[:, :, :41])
    assert not np.allclose(a.recent[:, :, 41:], b.recent[:, :, 41:])


def test_cusum_finds_a_doubling_soon_after_it_begins() -> None:
    rng = np.random.default_rng(3)
    mu = np.full((50, 200), 2.0)
    y = rng.poisson(mu)
    y[:, 120:] = rng.poisson(4.0, size=(50, 80))
    alarm, start = cusum(y, mu, shift=2.0, threshold=6.0)
    before = alarm[:, :120].sum()
    assert before <= 5  # a few chance alarms over 50 × 120 quiet days
    first_after = np.argmax(alarm[:, 120:], axis=1)
    assert alarm[:, 120:].any(axis=1).all()
    assert np.median(first_after) <= 10
    began = start[np.arange(50), 120 + first_after]
    assert np.median(np.abs(began - 120)) <= 5


def test_a_sustained_rise_is_reported_as_a_change_point() -> None:
    rng = np.random.default_rng(4)
    counts = rng.poisson(1.0, size=(2, 3, 300)).astype(np.int64)
    counts[1, 2, 200:] = rng.poisson(3.0, size=100)
    found = detect_changes(
        counts, expected_counts(counts, 0, AnomalyParams()), first=0, start=150, end=300
    )
    mine = [c for c in found if (c.category, c.area) == (1, 2)]
    assert mine and 195 <= mine[0].day <= 215
    assert len(found) - len(mine) <= 2
