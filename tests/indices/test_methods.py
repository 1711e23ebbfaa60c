"""Normalisation and aggregation against small examples worked out by hand from the formulas
of the OECD/JRC Handbook (2008) and the TOPSIS / Copeland definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhili.indices.aggregate import aggregate
from zhili.indices.normalise import normalise
from zhili.indices.spec import NormaliseSpec

X = np.array([[2.0], [4.0], [6.0], [10.0]])
UP, DOWN = np.array([1.0]), np.array([-1.0])


def norm(method: str, x: np.ndarray = X, d: np.ndarray = UP, **kw: object) -> list[float]:
    spec = NormaliseSpec(method=method)  # type: ignore[arg-type]
    return list(normalise(x, directions=d, spec=spec, **kw)[:, 0])  # type: ignore[arg-type]


def test_minmax_puts_the_worst_at_0_and_the_best_at_100_in_either_direction() -> None:
    assert norm("minmax") == pytest.approx([0, 25, 50, 100])
    assert norm("minmax", d=DOWN) == pytest.approx([100, 75, 50, 0])
    constant = np.array([[3.0], [3.0], [np.nan]])
    assert norm("minmax", constant)[:2] == [50, 50] and math.isnan(norm("minmax", constant)[2])


def test_zscore_uses_the_sample_standard_deviation() -> None:
    sd = math.sqrt((3.5**2 + 1.5**2 + 0.5**2 + 4.5**2) / 3)  # mean 5.5
    assert norm("zscore") == pytest.approx([(v - 5.5) / sd for v in (2, 4, 6, 10)])
    assert norm("zscore", d=DOWN) == pytest.approx([-(v - 5.5) / sd for v in (2, 4, 6, 10)])


def test_goalposts_clip_to_the_posts_and_turn_for_less_is_better() -> None:
    posts = np.array([[0.0, 8.0]])
    assert norm("goalposts", goalposts=posts) == pytest.approx([25, 50, 75, 100])
    assert norm("goalposts", d=DOWN, goalposts=posts) == pytest.approx([75, 50, 25, 0])


def test_distance_to_target_is_100_on_target() -> None:
    t = np.array([5.0])
    assert norm("distance_to_target", targets=t) == pytest.approx([40, 80, 120, 200])
    assert norm("distance_to_target", d=DOWN, targets=t) == pytest.approx([160, 120, 80, 0])


def test_rank_and_percentile_share_ties() -> None:
    x = np.array([[3.0], [1.0], [3.0], [2.0]])
    assert norm("rank", x) == [3.5, 1, 3.5, 2]
    assert norm("percentile", x) == pytest.approx([250 / 3, 0, 250 / 3, 100 / 3])
    assert norm("rank", x, d=DOWN) == [1.5, 4, 1.5, 3]


# three units, two children, weights ¼ and ¾
C = np.array([[10.0, 90.0], [50.0, 50.0], [90.0, 30.0]])
W = np.array([[0.25, 0.75]])


def agg(method: str, x: np.ndarray = C, w: np.ndarray = W) -> list[float]:
    return list(aggregate(method, x, w)[0])  # type: ignore[arg-type]


def test_arithmetic_geometric_and_harmonic_means() -> None:
    assert agg("arithmetic") == pytest.approx([70, 50, 45])
    assert agg("geometric") == pytest.approx([10**0.25 * 90**0.75, 50, 90**0.25 * 30**0.75])
    assert agg("harmonic") == pytest.approx(
        [1 / (0.25 / 10 + 0.75 / 90), 50, 1 / (0.25 / 90 + 0.75 / 30)]
    )


def test_geometric_mean_raises_values_below_the_floor() -> None:
    x = np.array([[0.0, 100.0], [100.0, 100.0]])
    out = aggregate("geometric", x, np.array([[0.5, 0.5]]), floor=1.0)[0]
    assert out == pytest.approx([10.0, 100.0])  # √(1 · 100), not 0


def test_a_missing_value_drops_out_and_the_others_are_reweighted() -> None:
    x = np.array([[np.nan, 80.0], [40.0, 80.0]])
    assert agg("arithmetic", x) == pytest.approx([80, 70])


def test_topsis_closeness_to_the_ideal() -> None:
    # ideal (90, 90), anti-ideal (10, 30); S± = √Σ w²(x − A±)²
    d_plus = [math.sqrt(0.0625 * 80**2), math.sqrt(0.0625 * 40**2 + 0.5625 * 40**2), 45.0]
    d_minus = [45.0, math.sqrt(0.0625 * 40**2 + 0.5625 * 20**2), math.sqrt(0.0625 * 80**2)]
    expected = [100 * m / (p + m) for p, m in zip(d_plus, d_minus, strict=True)]
    assert agg("topsis") == pytest.approx(expected)
    assert expected[0] == pytest.approx(100 * 45 / 65)


def test_copeland_counts_pairwise_majorities_of_weight() -> None:
    # child 2 (¾) decides every pair: u1 beats u2 and u3, u2 beats u3 → C = 2, 0, −2
    assert agg("copeland") == pytest.approx([100, 50, 0])
    # equal weights: every pair is split one-to-one, so every unit ties with every other
    assert agg("copeland", w=np.array([[0.5, 0.5]])) == pytest.approx([50, 50, 50])
    # three children: u3 wins two of three on every pair it plays, u1 loses both
    x = np.array([[1.0, 1.0, 9.0], [2.0, 2.0, 1.0], [3.0, 3.0, 2.0]])
    assert agg("copeland", x, np.array([[1 / 3] * 3])) == pytest.approx([0, 50, 100])


@pytest.mark.parametrize("method", ["arithmetic", "geometric", "harmonic", "topsis", "copeland"])
def test_many_runs_at_once_equal_one_run_at_a_time(method: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 100, size=(7, 4))
    x[2, 1] = np.nan
    w = rng.uniform(0.1, 1, size=(5, 4))
    w /= w.sum(axis=1, keepdims=True)
    shared = aggregate(method, x, w)  # type: ignore[arg-type]
    per_run = aggregate(method, np.broadcast_to(x, (5, 7, 4)).copy(), w)  # type: ignore[arg-type]
    single = np.vstack([aggregate(method, x, w[r : r + 1]) for r in range(5)])  # type: ignore[arg-type]
    assert np.allclose(shared, single, equal_nan=True)
    assert np.allclose(per_run, single, equal_nan=True)
