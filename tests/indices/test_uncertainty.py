"""Monte Carlo uncertainty and Sobol sensitivity."""

from __future__ import annotations

import numpy as np
import pytest

from zhili.indices import demo, framework
from zhili.indices.pipeline import compute
from zhili.indices.spec import UncertaintySpec
from zhili.indices.uncertainty import analyse, sobol


def test_sobol_estimators_on_an_additive_model() -> None:
    # Y = X1 + 2·X2, X uniform on [0, 1]: V = 5/12, S1 = 0.2, S2 = 0.8, no interactions
    rng = np.random.default_rng(7)
    n = 40_000
    a, b = rng.random((n, 2)), rng.random((n, 2))

    def f(x: np.ndarray) -> np.ndarray:
        return (x[:, 0] + 2 * x[:, 1])[:, None]

    ab = [np.column_stack([b[:, 0], a[:, 1]]), np.column_stack([a[:, 0], b[:, 1]])]
    first, total = sobol(f(a), f(b), [f(m) for m in ab])
    assert first[:, 0] == pytest.approx([0.2, 0.8], abs=0.02)
    assert total[:, 0] == pytest.approx([0.2, 0.8], abs=0.02)


@pytest.fixture(scope="module")
def kunming() -> tuple[framework.Framework, object]:
    fw = framework.load("kunming_social_governance")
    units = [demo.Unit(f"U{i:03d}", f"单位{i}", 20000 + 500 * i, f"D{i % 4}") for i in range(30)]
    return fw, demo.demo_table(fw, units, seed=5)


def test_runs_with_one_fixed_alternative_reproduce_that_computation(kunming) -> None:  # type: ignore[no-untyped-def]
    fw, table = kunming
    spec = UncertaintySpec(runs=40, normalise=["percentile"], aggregate=["harmonic"])
    u = analyse(fw, table, spec)
    direct = compute(fw, table, normalise_method="percentile", method="harmonic")
    assert u.factors == ["normalise", "aggregate"] and u.runs == 40 // 4 * 4
    assert np.array_equal(u.median_rank, direct.ranks["INDEX"])
    assert np.array_equal(u.p05_rank, u.p95_rank)


def test_rank_intervals_and_sobol_indices_of_the_shipped_choices(kunming) -> None:  # type: ignore[no-untyped-def]
    fw, table = kunming
    spec = fw.spec.uncertainty.model_copy(update={"runs": 350})
    u = analyse(fw, table, spec)
    assert u.factors == ["impute", "normalise", "weights", "aggregate", "leave_one_out"]
    assert u.runs == 350 and u.base_samples == 50
    assert np.all(u.p05_rank <= u.median_rank) and np.all(u.median_rank <= u.p95_rank)
    assert np.any(u.p95_rank > u.p05_rank)  # the choices do move some ranks
    assert u.mean_shift > 0 and all(v >= 0 for v in u.total.values())
    again = analyse(fw, table, spec)
    assert np.array_equal(again.ranks, u.ranks)  # same seed, same runs
