"""The raw data made ready for normalisation: denomination, imputation, outlier treatment,
and the veto tests (on the denominated values, before anything is filled in or clipped).

- denomination   x_ij = value_ij / denominator_ij × per   (e.g. cases / POP × 10 000)
- imputation     none (missing stays missing and aggregation re-weights the available
                 indicators), mean, median, or the mean / median of the unit's group (the
                 whole column's when the group has no value) — Handbook §4, unconditional and
                 group-wise substitution
- treatment      a column is an outlier column when |skew| ≥ s and excess kurtosis ≥ k
                 (Excel's SKEW and KURT, the bias-corrected sample estimates the JRC uses).
                 Winsorise one point at a time: the most extreme value on the side of the skew
                 takes the next value in line, and the test is repeated; if the rule still
                 holds after ``max_points`` values, undo that and log-transform instead:
                 ln(x − min + 1) for positive skew, −ln(max − x + 1) for negative skew (both
                 keep the order of the units)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from zhili.indices.framework import Framework
from zhili.indices.spec import ImputeMethod, NormaliseMethod, TreatSpec
from zhili.indices.tables import Table

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Prepared:
    raw: Array  # units × indicators, denominated, missing as NaN
    values: Array  # imputed and treated
    imputed: NDArray[np.int64]  # values filled in, per indicator
    treatment: tuple[str, ...]  # per indicator: "", "winsorised N high|low", "log"
    vetoes: NDArray[np.bool_]  # units × indicators: the unit fails that veto indicator


def denominated(fw: Framework, table: Table) -> Array:
    pipe = fw.spec.pipeline
    x = np.empty((table.n, len(fw.indicators)))
    for j, ind in enumerate(fw.indicators):
        col = table.numbers(ind.data_column)
        if pipe.denominate and ind.denominator:
            den = table.numbers(ind.denominator)
            with np.errstate(divide="ignore", invalid="ignore"):
                col = np.where(den > 0, col / den * ind.per, np.nan)
        x[:, j] = col
    return x


def veto_failures(fw: Framework, raw: Array) -> NDArray[np.bool_]:
    fails = np.zeros(raw.shape, dtype=bool)
    for j, ind in enumerate(fw.indicators):
        if ind.veto is not None:
            col = raw[:, j]
            ok = np.isfinite(col)
            limit = ind.veto.above if ind.veto.above is not None else ind.veto.below
            assert limit is not None
            fails[ok, j] = col[ok] > limit if ind.veto.above is not None else col[ok] < limit
    return fails


def impute(
    x: Array, method: ImputeMethod, groups: list[str] | None
) -> tuple[Array, NDArray[np.int64]]:
    """Missing values filled; returns the new matrix and the count filled per column."""
    missing = ~np.isfinite(x)
    counts: NDArray[np.int64] = missing.sum(axis=0).astype(np.int64)
    if method == "none" or not missing.any():
        return x, counts
    stat = np.nanmean if method.endswith("mean") else np.nanmedian
    out = x.copy()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # the mean of an all-missing group warns; the overall value is used there instead
        warnings.simplefilter("ignore", RuntimeWarning)
        overall = stat(x, axis=0)
        if method.startswith("group_") and groups is not None:
            labels = np.asarray(groups)
            for g in np.unique(labels):
                rows = labels == g
                sub = stat(x[rows], axis=0)
                fill = np.where(np.isfinite(sub), sub, overall)
                hole = missing & rows[:, None]
                out[hole] = np.broadcast_to(fill, x.shape)[hole]
        else:
            out[missing] = np.broadcast_to(overall, x.shape)[missing]
    return out, counts


def skew_kurtosis(col: Array) -> tuple[float, float]:
    """Excel's SKEW and KURT (bias-corrected); NaN below 4 values or for a constant column."""
    v = col[np.isfinite(col)]
    n = len(v)
    if n < 4:
        return math.nan, math.nan
    sd = v.std(ddof=1)
    if sd == 0:
        return 0.0, math.nan
    z = (v - v.mean()) / sd
    skew = n / ((n - 1) * (n - 2)) * float((z**3).sum())
    kurt = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * float((z**4).sum()) - 3 * (n - 1) ** 2 / (
        (n - 2) * (n - 3)
    )
    return skew, kurt


def _outlying(col: Array, spec: TreatSpec) -> tuple[bool, float]:
    skew, kurt = skew_kurtosis(col)
    return bool(abs(skew) >= spec.skew and kurt >= spec.kurtosis), skew


def treat_column(col: Array, spec: TreatSpec) -> tuple[Array, str]:
    if spec.method == "none":
        return col, ""
    flagged, skew0 = _outlying(col, spec)
    if not flagged:
        return col, ""
    out = col.copy()
    used, skew = 0, skew0
    ok = np.isfinite(out)
    while flagged:
        vals = np.unique(out[ok])
        extreme, nxt = (vals[-1], vals[-2]) if skew > 0 else (vals[0], vals[1])
        hit = ok & (out == extreme)
        if used + int(hit.sum()) > spec.max_points:
            break
        out[hit] = nxt
        used += int(hit.sum())
        flagged, skew = _outlying(out, spec)
    if not flagged:
        return out, f"winsorised {used} {'high' if skew0 > 0 else 'low'}"
    if spec.fallback == "none":
        return out, f"winsorised {used} (limit reached)"
    if skew0 > 0:
        return np.log(col - np.nanmin(col) + 1.0), "log"
    return -np.log(np.nanmax(col) - col + 1.0), "log"


def prepare(
    fw: Framework,
    table: Table,
    *,
    impute_method: ImputeMethod | None = None,
    normalise_method: NormaliseMethod | None = None,
) -> Prepared:
    """``normalise_method`` matters because goalposts and targets are in the data's own
    units: for them a log transform would be meaningless, so only winsorisation is done."""
    pipe = fw.spec.pipeline
    treat_spec = pipe.treat
    if (normalise_method or pipe.normalise.method) in ("goalposts", "distance_to_target"):
        treat_spec = treat_spec.model_copy(update={"fallback": "none"})
    raw = denominated(fw, table)
    method = impute_method or pipe.impute.method
    groups = table.texts(pipe.impute.group) if pipe.impute.group else None
    values, counts = impute(raw, method, groups)
    notes = []
    treated = values.copy()
    for j in range(values.shape[1]):
        treated[:, j], note = treat_column(values[:, j], treat_spec)
        notes.append(note)
    return Prepared(raw, treated, counts, tuple(notes), veto_failures(fw, raw))
