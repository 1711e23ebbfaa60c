"""Weighting: how much each child counts in its parent. Every method returns weights ≥ 0
that sum to 1 over the children of one node.

- manual   w_i = v_i / Σ v   (the framework's ``weight`` values)
- equal    w_i = 1 / k
- entropy  (熵权法) on y_ij = (x_ij − min_i)/(max_i − min_i):  p_ij = y_ij / Σ_j y_ij,
           e_i = −(1/ln n) Σ_j p_ij ln p_ij (0 ln 0 = 0),  w_i = (1 − e_i) / Σ (1 − e)
- critic   (Diakoulaki et al. 1995) on the same y:  C_i = σ_i Σ_k (1 − r_ik),  w_i = C_i / Σ C
- ahp      (Saaty) principal right eigenvector of the pairwise matrix A, normalised to sum 1;
           CI = (λ_max − k)/(k − 1), CR = CI / RI_k; refused when CR ≥ 0.1 (OECD/JRC Handbook
           2008, §6.1.6 and Table 18)
- pca      (Handbook §6.1.1, the TAI example): factors of the correlation matrix with eigenvalue
           > 1 and more than 10 % of the variance each; loadings L = v √λ, varimax-rotated unless
           ``rotation: none``; squared loadings scaled to unity sum within each factor; every
           indicator joins the factor where that scaled square is largest and weighs
           scaled² × (factor's explained variance / explained variance of the retained
           factors); finally normalised to sum 1

Entropy and CRITIC rescale the children to [0, 1] first (as their authors do), so they do not
depend on the normalisation's units; a constant child carries no information and weighs 0.
Data-driven methods use the units with no missing child values.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from zhili.core.errors import ValidationFailed
from zhili.indices.spec import WeightsSpec

Array = NDArray[np.float64]

# Saaty's random consistency index: n = 1…10 as in the Handbook's Table 18, 11…15 from Saaty
# (1980). Pairwise comparison of more than 15 items is not meaningful in practice.
RANDOM_INDEX: dict[int, float] = {
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49,
    11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
}  # fmt: skip
MAX_CR = 0.1


@dataclass(frozen=True)
class Ahp:
    weights: Array
    lambda_max: float
    ci: float
    cr: float


def _number(value: float | str) -> float:
    """Pairwise judgements may be written as fractions, ``"1/3"``."""
    return float(Fraction(value)) if isinstance(value, str) else float(value)


def ahp(matrix: list[list[float | str]] | Array, *, field: str = "ahp") -> Ahp:
    """Saaty's eigenvector weights and consistency ratio; 422 naming ``field`` when the matrix
    is not a positive reciprocal square matrix or CR ≥ 0.1."""
    try:
        a = np.array([[_number(v) for v in row] for row in matrix], dtype=float)
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        raise ValidationFailed(field, f"not a number: {exc}", "判断矩阵中有非数值") from exc
    k = len(a)
    if a.ndim != 2 or a.shape != (k, k) or k == 0:
        raise ValidationFailed(field, "the pairwise matrix must be square", "判断矩阵须为方阵")
    if k > max(RANDOM_INDEX):
        raise ValidationFailed(
            field, f"AHP over {k} items is not supported (at most 15)", "AHP 比较项不能超过 15 个"
        )
    if np.any(a <= 0) or not np.allclose(np.diag(a), 1.0):
        raise ValidationFailed(
            field, "judgements must be positive with 1 on the diagonal", "判断值须为正且对角为 1"
        )
    bad = np.argwhere(np.abs(a * a.T - 1.0) > 0.01)
    if len(bad):
        i, j = (int(x) for x in bad[0])
        raise ValidationFailed(
            field,
            f"not reciprocal: a[{i + 1}][{j + 1}] = {a[i, j]:g} but a[{j + 1}][{i + 1}] = "
            f"{a[j, i]:g} (must be its inverse)",
            f"判断矩阵不互反：第{i + 1}行第{j + 1}列与第{j + 1}行第{i + 1}列须互为倒数",
        )
    values, vectors = np.linalg.eig(a)
    top = int(np.argmax(values.real))
    w = np.abs(vectors[:, top].real)
    w = w / w.sum()
    lam = float(values[top].real)
    ci = (lam - k) / (k - 1) if k > 2 else 0.0
    cr = ci / RANDOM_INDEX[k] if RANDOM_INDEX[k] else 0.0
    if cr >= MAX_CR:
        raise ValidationFailed(
            field,
            f"inconsistent pairwise judgements: consistency ratio CR = {cr:.3f} ≥ 0.10 "
            f"(λmax = {lam:.3f}, CI = {ci:.3f}, RI = {RANDOM_INDEX[k]}); revise the matrix",
            f"判断矩阵一致性检验未通过：CR = {cr:.3f} ≥ 0.10，请调整两两比较判断",
        )
    return Ahp(w, lam, ci, cr)


def _complete(x: Array, field: str) -> Array:
    rows = x[np.all(np.isfinite(x), axis=1)]
    if len(rows) < 3:
        raise ValidationFailed(
            field,
            f"data-driven weights need at least 3 units with complete data, found {len(rows)}",
            "数据驱动赋权至少需要 3 个数据完整的单位",
        )
    return rows


def _unit_range(x: Array) -> Array:
    low, high = x.min(axis=0), x.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    out: Array = (x - low) / span
    return out


def entropy(x: Array, *, field: str = "weights") -> Array:
    y = _unit_range(_complete(x, field))
    n = len(y)
    totals = y.sum(axis=0)
    p = np.divide(y, totals, out=np.zeros_like(y), where=totals > 0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = np.where(totals > 0, 1.0 - e, 0.0)  # a constant child has no information
    return _share(d)


def critic(x: Array, *, field: str = "weights") -> Array:
    y = _unit_range(_complete(x, field))
    sd = y.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(y, rowvar=False) if y.shape[1] > 1 else np.ones((1, 1))
    r = np.nan_to_num(np.atleast_2d(r), nan=0.0)
    c = sd * (1.0 - r).sum(axis=0)
    return _share(c)


@dataclass(frozen=True)
class Pca:
    weights: Array
    eigenvalues: Array
    retained: int
    loadings: Array  # (indicators × retained factors), rotated when asked


def varimax(loadings: Array, *, tol: float = 1e-10, max_iter: int = 1000) -> Array:
    """Kaiser's varimax rotation with Kaiser row normalisation (as R's ``varimax``)."""
    p, k = loadings.shape
    if k < 2:
        return loadings.copy()
    h = np.sqrt((loadings**2).sum(axis=1))
    h = np.where(h > 0, h, 1.0)
    x = loadings / h[:, None]
    rotation = np.eye(k)
    for _ in range(max_iter):
        z = x @ rotation
        u, _, vt = np.linalg.svd(x.T @ (z**3 - z * ((z**2).sum(axis=0) / p)))
        step = u @ vt
        # stop on the rotation itself: R's test on the criterion stops ~1e-5 short
        done = np.abs(step - rotation).max() < tol
        rotation = step
        if done:
            break
    out: Array = (x @ rotation) * h[:, None]
    return out


def pca(x: Array, *, rotation: str = "varimax", field: str = "weights") -> Pca:
    z = _complete(x, field)
    k = z.shape[1]
    if k == 1:
        return Pca(np.ones(1), np.ones(1), 1, np.ones((1, 1)))
    sd = z.std(axis=0, ddof=1)
    if np.any(sd == 0):
        raise ValidationFailed(
            field, "PCA weights need every indicator to vary", "主成分赋权要求各指标存在差异"
        )
    corr = np.corrcoef(z, rowvar=False)
    values, vectors = np.linalg.eigh(corr)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    keep = (values > 1.0) & (values / k > 0.10)
    keep[0] = True  # at least the first factor, even for nearly uncorrelated data
    loadings = vectors[:, keep] * np.sqrt(values[keep])
    if rotation == "varimax":
        loadings = varimax(loadings)
    squared = loadings**2
    explained = squared.sum(axis=0)
    scaled = squared / explained
    factor = np.argmax(scaled, axis=1)
    rows = np.arange(k)
    w = scaled[rows, factor] * explained[factor] / explained.sum()
    return Pca(_share(w), values, int(keep.sum()), loadings)


def _share(v: Array) -> Array:
    total = float(v.sum())
    if total <= 0 or not np.isfinite(total):
        return np.full(len(v), 1.0 / len(v))
    out: Array = v / total
    return out


def child_weights(
    spec: WeightsSpec,
    x: Array,
    *,
    manual: Array,
    ahp_matrix: list[list[float | str]] | None,
    field: str,
) -> Array:
    """The weights of one node's children from its method and the children's values ``x``
    (units × children)."""
    k = x.shape[1]
    if k == 1:
        return np.ones(1)
    if spec.method == "manual":
        return _share(manual)
    if spec.method == "equal":
        return np.full(k, 1.0 / k)
    if spec.method == "entropy":
        return entropy(x, field=field)
    if spec.method == "critic":
        return critic(x, field=field)
    if spec.method == "ahp":
        if ahp_matrix is None:
            raise ValidationFailed(field, "AHP weights need an ahp matrix", "AHP 赋权缺少判断矩阵")
        return ahp(ahp_matrix, field=field).weights
    return pca(x, rotation=spec.rotation, field=field).weights
