"""Aggregation of one node's children into its score, for many Monte Carlo runs at once.

``x`` holds the children's values, either shared by every run (units × children) or one set
per run (runs × units × children); ``w`` holds each run's weights (runs × children, summing
to 1). The result is runs × units. A missing child value drops out and the unit's remaining
weights are rescaled (the "available data" rule) for the three means.

- arithmetic  Σ w_i x_i                                  (Handbook §6.2.1)
- geometric   Π max(x_i, f)^w_i                          (§6.2.2; f = the positive floor)
- harmonic    1 / Σ (w_i / max(x_i, f))
- topsis      v_ij = w_i x_ij; ideal A⁺_i = max_j x_ij, anti-ideal A⁻_i = min_j x_ij;
              S⁺_j = √Σ w_i²(x_ij − A⁺_i)², S⁻_j likewise; score 100·S⁻/(S⁺ + S⁻)
              (Hwang & Yoon; the inputs are already normalised, so the usual vector
              normalisation step is not repeated)
- copeland    (§6.2.3, non-compensatory) e_jk = Σ_i w_i (1[x_ij > x_ik] + ½·1[x_ij = x_ik]);
              j beats k when e_jk > e_kj; C_j = wins − losses ∈ [−(n−1), n−1], reported as
              100·(C_j + n − 1)/(2(n − 1)), the share of the others a unit outranks. Since
              e_jk − e_kj = Σ_i w_i sgn(x_ij − x_ik), one matrix product gives every pair.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from zhili.indices.spec import AggregateMethod

Array = NDArray[np.float64]
_CHUNK_ELEMENTS = 2_000_000  # per-run Copeland works in slices of about 8 MB
_TIE = 1e-6


def _wsum(x: Array, w: Array) -> tuple[Array, Array]:
    """Σ w x and Σ w over the children each unit has values for."""
    mask = np.isfinite(x)
    full = bool(mask.all())
    xz = x if full else np.where(mask, x, 0.0)
    if x.ndim == 2:
        num = w @ xz.T
        den = np.broadcast_to(w.sum(axis=1)[:, None], num.shape) if full else w @ mask.T
    else:
        num = np.einsum("rnc,rc->rn", xz, w)
        den = (
            np.broadcast_to(w.sum(axis=1)[:, None], num.shape)
            if full
            else np.einsum("rnc,rc->rn", mask.astype(float), w)
        )
    return num, den


def _mean(x: Array, w: Array) -> Array:
    num, den = _wsum(x, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: Array = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


def arithmetic(x: Array, w: Array) -> Array:
    return _mean(x, w)


def geometric(x: Array, w: Array, floor: float) -> Array:
    with np.errstate(invalid="ignore"):
        out: Array = np.exp(_mean(np.log(np.fmax(x, floor)), w))
    return out


def harmonic(x: Array, w: Array, floor: float) -> Array:
    out: Array = 1.0 / _mean(1.0 / np.fmax(x, floor), w)
    return out


def topsis(x: Array, w: Array) -> Array:
    axis = -2  # the units
    best = np.nanmax(x, axis=axis, keepdims=True)
    worst = np.nanmin(x, axis=axis, keepdims=True)
    plus = np.nan_to_num((x - best) ** 2)
    minus = np.nan_to_num((x - worst) ** 2)
    w2 = w**2
    if x.ndim == 2:
        dp, dm = np.sqrt(w2 @ plus.T), np.sqrt(w2 @ minus.T)
    else:
        dp = np.sqrt(np.einsum("rnc,rc->rn", plus, w2))
        dm = np.sqrt(np.einsum("rnc,rc->rn", minus, w2))
    total = dp + dm
    out: Array = np.where(total > 0, 100.0 * dm / np.where(total > 0, total, 1.0), 50.0)
    return out


def _pair_matrix(n: int) -> tuple[NDArray[np.intp], NDArray[np.intp], sparse.csr_array]:
    j, k = np.triu_indices(n, 1)
    pairs = len(j)
    rows = np.concatenate([j, k])
    cols = np.concatenate([np.arange(pairs), np.arange(pairs)])
    vals = np.concatenate([np.ones(pairs), -np.ones(pairs)])
    # units × pairs: +1 where the unit is the first of the pair, −1 where it is the second
    scatter = sparse.csr_array((vals, (rows, cols)), shape=(n, pairs))
    return j, k, scatter


def _beats(e: NDArray[np.float32]) -> NDArray[np.float32]:
    # float sums of ±w that should cancel (a tie) may leave a rounding residue
    out: NDArray[np.float32] = np.sign(e) * (np.abs(e) > _TIE)
    return out


def copeland(x: Array, w: Array) -> Array:
    n = x.shape[-2]
    if n < 2:
        return np.full((len(w), n), 50.0)
    w32 = w.astype(np.float32)
    if x.ndim == 2:
        j, k, scatter = _pair_matrix(n)
        signs = np.nan_to_num(np.sign(x[j] - x[k])).astype(np.float32)  # pairs × children
        beats = _beats(w32 @ signs.T)  # runs × pairs
        wins_minus_losses = np.asarray(scatter @ beats.T.astype(np.float64)).T
    else:
        # one full n × n outranking matrix per run, built child by child; its row sums are
        # each unit's wins minus losses (the matrix is antisymmetric)
        runs, _, c = x.shape
        wins_minus_losses = np.empty((runs, n))
        step = max(1, _CHUNK_ELEMENTS // (n * n))
        for s in range(0, runs, step):
            xs = x[s : s + step].astype(np.float32)
            e = np.zeros((len(xs), n, n), dtype=np.float32)
            gaps = bool(np.isnan(xs).any())
            for i in range(c):
                xc = xs[:, :, i]
                d = np.subtract(xc[:, :, None], xc[:, None, :])
                np.sign(d, out=d)
                if gaps:
                    np.nan_to_num(d, copy=False)
                d *= w32[s : s + step, i, None, None]
                e += d
            wins_minus_losses[s : s + step] = _beats(e).sum(axis=2)
    out: Array = 100.0 * (wins_minus_losses + n - 1) / (2 * (n - 1))
    return out


def aggregate(method: AggregateMethod, x: Array, w: Array, *, floor: float = 1.0) -> Array:
    """Scores (runs × units) of one node from its children's values and weights."""
    if method == "arithmetic":
        return arithmetic(x, w)
    if method == "geometric":
        return geometric(x, w, floor)
    if method == "harmonic":
        return harmonic(x, w, floor)
    if method == "topsis":
        return topsis(x, w)
    return copeland(x, w)
