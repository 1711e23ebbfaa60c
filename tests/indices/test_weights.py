"""Weighting methods against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhili.core.errors import ValidationFailed
from zhili.indices.spec import WeightsSpec
from zhili.indices.weights import ahp, child_weights, critic, entropy, pca, varimax


def test_entropy_weights_follow_the_textbook_steps() -> None:
    # a rescales to (0, ½, 1) → p = (0, ⅓, ⅔); b to (0, 0, 1) → p = (0, 0, 1), e_b = 0
    x = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 4.0]])
    e_a = -(1 / math.log(3)) * (1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3))
    d = np.array([1 - e_a, 1.0])
    assert entropy(x) == pytest.approx(d / d.sum())


def test_critic_weights_contrast_times_conflict() -> None:
    # rescaled: a = (0, ½, 1), b = (0, 0, 1), c = (1, ½, 0)
    x = np.array([[0.0, 5.0, 1.0], [1.0, 5.0, 0.5], [2.0, 9.0, 0.0]])
    r_ab = math.sqrt(3) / 2  # cov ¼ / (½ · √⅓)
    sd = np.array([0.5, math.sqrt(1 / 3), 0.5])
    conflict = np.array([(1 - r_ab) + (1 + 1), (1 - r_ab) + (1 + r_ab), (1 + 1) + (1 + r_ab)])
    c = sd * conflict
    assert critic(x) == pytest.approx(c / c.sum())


def test_ahp_of_a_consistent_matrix_is_its_ratio_scale() -> None:
    out = ahp([[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]])
    assert out.weights == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    assert out.lambda_max == pytest.approx(3) and out.cr == pytest.approx(0, abs=1e-9)


def test_ahp_consistency_ratio_uses_saatys_random_index() -> None:
    a = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    out = ahp(a)
    lam = float(np.mean(a @ out.weights / out.weights))  # Aw = λw
    assert out.lambda_max == pytest.approx(lam)
    assert out.cr == pytest.approx((lam - 3) / 2 / 0.58)
    assert 0.03 < out.cr < 0.04  # Saaty's textbook example, CR ≈ 0.033
    assert out.weights == pytest.approx([0.637, 0.258, 0.105], abs=1e-3)


def test_ahp_refuses_inconsistent_or_non_reciprocal_matrices() -> None:
    with pytest.raises(ValidationFailed) as bad:
        ahp([[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]], field="aggregates.0.ahp")
    assert "consistency ratio" in bad.value.message and bad.value.field == "aggregates.0.ahp"
    with pytest.raises(ValidationFailed, match=r"not reciprocal: a\[1\]\[2\] = 3"):
        ahp([[1, 3], [3, 1]])


def _orthogonal(n: int, k: int) -> np.ndarray:
    """k centred, mutually orthogonal columns of equal length."""
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(n, k + 1)) - 0)
    ones = np.ones((n, 1)) / math.sqrt(n)
    q = q - ones @ (ones.T @ q)
    q, _ = np.linalg.qr(q)
    return q[:, :k]


def test_pca_weights_of_two_independent_blocks() -> None:
    # corr(A, B) = 0.8, corr(C, D) = 0.6, blocks uncorrelated: eigenvalues 1.8, 1.6, 0.4, 0.2;
    # two factors kept; each indicator has scaled squared loading ½ in its factor, and the
    # factors weigh 1.8/3.4 and 1.6/3.4 → A, B = 0.9/3.4, C, D = 0.8/3.4
    u = _orthogonal(12, 4)
    x = np.column_stack(
        [u[:, 0], 0.8 * u[:, 0] + 0.6 * u[:, 1], u[:, 2], 0.6 * u[:, 2] + 0.8 * u[:, 3]]
    )
    out = pca(x)
    assert out.retained == 2
    assert out.eigenvalues == pytest.approx([1.8, 1.6, 0.4, 0.2])
    assert out.weights == pytest.approx([0.9 / 3.4, 0.9 / 3.4, 0.8 / 3.4, 0.8 / 3.4])
    assert pca(x, rotation="none").weights == pytest.approx(out.weights)


def _turn(degrees: float) -> np.ndarray:
    t = math.radians(degrees)
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


def _canonical(loadings: np.ndarray) -> np.ndarray:
    """Columns up to sign and order, for comparing rotations."""
    out = loadings * np.sign(loadings.sum(axis=0))
    return out[:, np.argsort(-np.abs(out[0]))]


def test_varimax_finds_the_same_simple_structure_from_any_starting_rotation() -> None:
    simple = np.array([[0.85, 0.10], [0.80, 0.05], [0.10, 0.70], [0.0, 0.60], [0.2, 0.5]])
    reference = _canonical(varimax(simple))
    for degrees in (20, 35, -25):
        assert _canonical(varimax(simple @ _turn(degrees))) == pytest.approx(reference, abs=1e-6)
    # the rotation keeps each indicator's communality (row sum of squares)
    assert (varimax(simple @ _turn(20)) ** 2).sum(axis=1) == pytest.approx((simple**2).sum(axis=1))

    # and it is the rotation with the larger varimax criterion (variance of squared loadings)
    def criterion(x: np.ndarray) -> float:
        return float(np.var(x**2, axis=0).sum())

    assert criterion(varimax(simple @ _turn(35))) > criterion(simple @ _turn(35)) + 0.01


def test_one_factor_pca_and_the_simple_methods() -> None:
    x = np.array([[1.0, 2.0], [2.0, 2.5], [3.0, 4.5], [4.0, 4.0]])
    assert pca(x).weights == pytest.approx([0.5, 0.5])  # one factor, equal loadings
    kw = {"manual": np.array([1.0, 3.0]), "ahp_matrix": None, "field": "w"}
    assert child_weights(WeightsSpec(method="manual"), x, **kw) == pytest.approx([0.25, 0.75])  # type: ignore[arg-type]
    assert child_weights(WeightsSpec(method="equal"), x, **kw) == pytest.approx([0.5, 0.5])  # type: ignore[arg-type]


def test_data_driven_weights_need_three_complete_units() -> None:
    x = np.array([[1.0, np.nan], [2.0, 3.0], [3.0, 1.0]])
    with pytest.raises(ValidationFailed, match="at least 3 units"):
        entropy(x, field="aggregates.1.weights")
