"""Normalisation (OECD/JRC Handbook 2008, §5, Table 3): every indicator onto a common scale
where more is better. The direction d ∈ {1, −1} is applied first (y = d·x), so an indicator
where less is better (cases per 10 000 residents) ends up with its best unit on top.

- minmax              low + (high − low)(y − min y)/(max y − min y); a constant column sits at
                      the middle of the range
- zscore              mean + sd·(y − ȳ)/s_y (sample standard deviation); a constant column
                      sits at ``mean``
- goalposts           low + (high − low)·clip((y − d·g)/(g_high − g_low), 0, 1), with the
                      indicator's goalposts [g_low, g_high] (g = g_low for d = 1, g_high for
                      d = −1), as the HDI does
- distance_to_target  100·(1 + d(x − T)/|T|): 100 on the target, 100·x/T for d = 1 (the
                      Handbook's x/x_ref), 100·(1 − (x − T)/T) below-is-better
- rank                the rank of y, 1 for the lowest, ties sharing their average rank
- percentile          low + (high − low)(rank − 1)/(n − 1), the percentile rank
Missing values stay missing.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from zhili.indices.spec import NormaliseMethod, NormaliseSpec

Array = NDArray[np.float64]


def _ranks(y: Array) -> Array:
    out: Array = rankdata(y, axis=0, method="average", nan_policy="omit").astype(float)
    return np.where(np.isfinite(y), out, np.nan)


def normalise(
    x: Array,
    *,
    directions: Array,
    spec: NormaliseSpec,
    method: NormaliseMethod | None = None,
    targets: Array | None = None,
    goalposts: Array | None = None,
) -> Array:
    """``x`` is units × indicators; ``targets`` (per indicator) and ``goalposts`` (indicators × 2)
    are needed by the methods that use them (the framework checks they are given)."""
    method = method or spec.method
    y = x * directions
    lo, hi = spec.low, spec.high
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "minmax":
            ymin, ymax = np.nanmin(y, axis=0), np.nanmax(y, axis=0)
            span = ymax - ymin
            out = np.where(
                span > 0, lo + (hi - lo) * (y - ymin) / np.where(span > 0, span, 1), (lo + hi) / 2
            )
        elif method == "zscore":
            mean, sd = np.nanmean(y, axis=0), np.nanstd(y, axis=0, ddof=1)
            out = np.where(
                sd > 0, spec.mean + spec.sd * (y - mean) / np.where(sd > 0, sd, 1), spec.mean
            )
        elif method == "goalposts":
            assert goalposts is not None
            g_lo, g_hi = goalposts[:, 0], goalposts[:, 1]
            start = np.where(directions > 0, g_lo, -g_hi)
            share = np.clip((y - start) / (g_hi - g_lo), 0.0, 1.0)
            out = lo + (hi - lo) * share
        elif method == "distance_to_target":
            assert targets is not None
            out = 100.0 * (1.0 + directions * (x - targets) / np.abs(targets))
        else:
            r = _ranks(y)
            if method == "rank":
                out = r
            else:
                n = np.isfinite(y).sum(axis=0)
                out = lo + (hi - lo) * (r - 1) / np.where(n > 1, n - 1, 1)
    result: Array = np.where(np.isfinite(x), out, np.nan)
    return result
