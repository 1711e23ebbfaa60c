"""Anomalies (异常): daily counts per category × area against their expected level.

All category × area series are one array ``counts[category, area, day]``; every step is
vectorised over it (the only loop is over the days of a CUSUM, over all series at once).

Expected level of series (k, a) on day t: the category's city-wide level (its last
``trend_days`` days, weekday-adjusted, leaning on its long-run rate when they are few) × the
weekday's weight × the area's share of the category (all days before t, shrunk towards the
area's share of all cases). Pooling the level over the city lets a quiet series (a rare
category in one district) borrow the season and trend of the whole category.

- **Surges** (激增): a run of 1–``max_days`` days whose count has an exact Poisson upper tail
  below ``alpha`` after a Bonferroni correction over every series × day × run length scanned,
  and is at least ``min_ratio`` times the expected count. Flagged runs of one series are joined.
- **Change points** (趋势拐点): a one-sided Poisson CUSUM per series against the long-run level
  (Lucas 1985): it alarms when the evidence for a ``shift``-fold rise exceeds ``threshold``; the
  change point is the day the sum last left zero.

Days are local calendar days since 1970-01-01 (weekday ``(day + 3) % 7``, Monday 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import pdtrc

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class AnomalyParams:
    max_days: int = 5  # longest run tested as one surge
    min_cases: int = 3
    min_ratio: float = 2.0
    alpha: float = 0.05  # family-wise over series × days × run lengths
    trend_days: int = 14  # the category's recent level
    prior_days: float = 3.0  # weight (in days) of the long-run rate in the recent level
    warmup_days: int = 28  # no verdicts before this much history
    shrink: float = 5.0  # pseudo-cases pulling an area's share towards its share of all cases
    cusum_shift: float = 2.0  # the rise a CUSUM looks for (2: a doubling)
    cusum_threshold: float = 6.0
    cusum_min_cases: int = 10  # cases since the change point before it is reported


@dataclass(frozen=True, slots=True)
class Surge:
    category: int
    area: int
    first_day: int
    last_day: int  # inclusive
    count: int
    expected: float
    p_value: float  # Bonferroni-adjusted


@dataclass(frozen=True, slots=True)
class ChangePoint:
    category: int
    area: int
    day: int  # when the rise began
    alarm_day: int  # when the CUSUM crossed its threshold
    count: int  # cases from ``day`` to ``alarm_day``
    expected: float  # at the long-run level


def daily_counts(
    day: IntArray,
    category: IntArray,
    area: IntArray,
    *,
    categories: int,
    areas: int,
    first: int,
    last: int,
) -> IntArray:
    """``counts[category, area, day - first]`` for the days [first, last)."""
    span = last - first
    sel = (day >= first) & (day < last)
    key = (category[sel] * areas + area[sel]) * span + (day[sel] - first)
    out: IntArray = np.bincount(key, minlength=categories * areas * span).astype(np.int64)
    return out.reshape(categories, areas, span)


@dataclass(frozen=True)
class Expected:
    recent: FloatArray  # (categories, areas, days): the surge baseline
    long_run: FloatArray  # the CUSUM baseline


def expected_counts(counts: IntArray, first: int, params: AnomalyParams) -> Expected:
    """Expected counts for every series and day from the days before it (never the day)."""
    p = params
    cats, areas, span = counts.shape
    days = np.arange(first, first + span)
    w = _weekday_rhythm(counts.sum(axis=(0, 1)), (days + 3) % 7)
    city = counts.sum(axis=1).astype(float)  # (categories, days)
    cum_city = _cum_before(city)  # sum over days before t
    cum_w = _cum_before(w[None, :])[0]
    long_rate = (cum_city + 0.5) / (cum_w + 1.0)
    t = p.trend_days
    recent_num = cum_city - np.concatenate(
        (np.zeros((cats, min(t, span))), cum_city[:, : max(span - t, 0)]), axis=1
    )
    recent_den = cum_w - np.concatenate((np.zeros(min(t, span)), cum_w[: max(span - t, 0)]))
    level = (recent_num + p.prior_days * long_rate) / (recent_den + p.prior_days)
    by_area = counts.sum(axis=0).astype(float)  # (areas, days)
    cum_area = _cum_before(by_area)
    all_share = (cum_area + 1.0) / (cum_area.sum(axis=0) + areas)[None, :]
    cum_series = np.cumsum(counts, axis=2) - counts  # before t
    share = (cum_series + p.shrink * all_share[None, :, :]) / (cum_city[:, None, :] + p.shrink)
    return Expected(
        recent=level[:, None, :] * w[None, None, :] * share,
        long_run=long_rate[:, None, :] * w[None, None, :] * share,
    )


def _cum_before(x: FloatArray) -> FloatArray:
    out: FloatArray = np.cumsum(x, axis=-1) - x
    return out


def _weekday_rhythm(total: IntArray, weekday: IntArray) -> FloatArray:
    """Each day's weekday weight (mean 1) from the days before it only; 1 for the first 4
    weeks."""
    span = len(total)
    onehot = np.zeros((span, 7))
    onehot[np.arange(span), weekday] = 1.0
    cases = _cum_before((onehot * total[:, None]).T).T
    days = _cum_before(onehot.T).T
    per_day = cases / np.maximum(days, 1.0)
    mean = per_day.mean(axis=1)
    w = per_day[np.arange(span), weekday] / np.where(mean > 0, mean, 1.0)
    w = np.where((np.arange(span) < 28) | (mean <= 0), 1.0, w)
    out: FloatArray = np.maximum(w, 0.05)
    return out


def detect_surges(
    counts: IntArray,
    expected: Expected,
    *,
    first: int,
    start: int,
    end: int,
    params: AnomalyParams | None = None,
) -> list[Surge]:
    """Surges among the days [start, end) of ``counts`` (which begins on day ``first``)."""
    p = params or AnomalyParams()
    cats, areas, span = counts.shape
    lo = max(start - first, p.warmup_days)
    hi = min(end - first, span)
    if hi <= lo:
        return []
    mu = expected.recent
    active = counts[:, :, lo:hi].sum(axis=2) > 0
    tests = float(active.sum()) * (hi - lo) * p.max_days
    if tests == 0:
        return []
    cum_y = np.concatenate((np.zeros((cats, areas, 1)), np.cumsum(counts, axis=2)), axis=2)
    cum_mu = np.concatenate((np.zeros((cats, areas, 1)), np.cumsum(mu, axis=2)), axis=2)
    flagged = np.zeros((cats, areas, span), dtype=bool)
    best = np.ones((cats, areas, span))
    for length in range(1, p.max_days + 1):
        ends = np.arange(max(lo, length - 1), hi)  # run [t - length + 1, t]
        y = cum_y[:, :, ends + 1] - cum_y[:, :, ends + 1 - length]
        m = cum_mu[:, :, ends + 1] - cum_mu[:, :, ends + 1 - length]
        p_adj = np.minimum(pdtrc(y - 1, m) * tests, 1.0)
        hit = (p_adj <= p.alpha) & (y >= p.min_cases) & (y >= p.min_ratio * m)
        for back in range(length):  # every day of a flagged run is flagged
            days = ends - back
            flagged[:, :, days] |= hit
            best[:, :, days] = np.minimum(best[:, :, days], np.where(hit, p_adj, 1.0))
    out: list[Surge] = []
    k_idx, a_idx = np.nonzero(flagged.any(axis=2))
    for k, a in zip(k_idx.tolist(), a_idx.tolist(), strict=True):
        row = flagged[k, a]
        edges = np.diff(np.concatenate(([0], row.astype(np.int8), [0])))
        for s, e in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0], strict=True):
            out.append(
                Surge(
                    category=k,
                    area=a,
                    first_day=first + int(s),
                    last_day=first + int(e) - 1,
                    count=int(counts[k, a, s:e].sum()),
                    expected=float(mu[k, a, s:e].sum()),
                    p_value=float(best[k, a, s:e].min()),
                )
            )
    return out


def cusum(
    counts: IntArray, expected: FloatArray, *, shift: float, threshold: float
) -> tuple[NDArray[np.bool_], IntArray]:
    """Poisson CUSUM over the last axis for every series at once.

    Returns (alarm[..., t], start[..., t]): whether the sum crossed ``threshold`` on day t (it
    then restarts from zero), and the day index at which the current excursion began."""
    step = counts * np.log(shift) - (shift - 1.0) * expected
    s = np.zeros(counts.shape[:-1])
    began = np.zeros(counts.shape[:-1], dtype=np.int64)
    alarm = np.zeros(counts.shape, dtype=bool)
    start = np.zeros(counts.shape, dtype=np.int64)
    for t in range(counts.shape[-1]):
        began = np.where(s <= 0, t, began)
        s = np.maximum(s + step[..., t], 0.0)
        hit = s >= threshold
        alarm[..., t] = hit
        start[..., t] = began
        s = np.where(hit, 0.0, s)
    return alarm, start


def detect_changes(
    counts: IntArray,
    expected: Expected,
    *,
    first: int,
    start: int,
    end: int,
    params: AnomalyParams | None = None,
) -> list[ChangePoint]:
    """Sustained rises (CUSUM alarms) whose alarm falls in [start, end), the first per series."""
    p = params or AnomalyParams()
    span = counts.shape[2]
    lo = max(start - first, p.warmup_days)
    hi = min(end - first, span)
    if hi <= lo:
        return []
    # the CUSUM runs from the end of the warm-up so that its state at `start` is honest
    w0 = p.warmup_days
    alarm, began = cusum(
        counts[:, :, w0:],
        expected.long_run[:, :, w0:],
        shift=p.cusum_shift,
        threshold=p.cusum_threshold,
    )
    cum_y = np.concatenate((np.zeros((*counts.shape[:2], 1)), np.cumsum(counts, axis=2)), 2)
    cum_mu = np.concatenate(
        (np.zeros((*counts.shape[:2], 1)), np.cumsum(expected.long_run, axis=2)), 2
    )
    out: list[ChangePoint] = []
    seen: set[tuple[int, int]] = set()
    for k, a, t in zip(*np.nonzero(alarm), strict=True):
        at = int(t) + w0
        # the first alarm of a series in the range: a lasting rise keeps alarming after it
        if not lo <= at < hi or (int(k), int(a)) in seen:
            continue
        since = int(began[k, a, t]) + w0
        y = int(cum_y[k, a, at + 1] - cum_y[k, a, since])
        if y < p.cusum_min_cases:
            continue
        seen.add((int(k), int(a)))
        out.append(
            ChangePoint(
                category=int(k),
                area=int(a),
                day=first + since,
                alarm_day=first + at,
                count=y,
                expected=float(cum_mu[k, a, at + 1] - cum_mu[k, a, since]),
            )
        )
    return out
