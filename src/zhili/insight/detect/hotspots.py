"""Hotspots (热点): space-time clusters of one category's cases above the area's baseline.

The statistic is the expectation-based Poisson scan (Neill et al. 2005, a form of Kulldorff's
space-time scan for a *known* baseline): a candidate cluster is a cylinder — a zone (a grid cell
and up to ``neighbours`` of its nearest cells, within ``max_radius_km``) times a run of 1 to
``max_days`` days inside the study period — with ``c`` cases where ``e`` were expected, scored by
the log-likelihood ratio ``c·ln(c/e) − (c − e)``. The expected count factorises into the
category's daily level (recent and long-run rates, the week's rhythm) times the zone's share of
that category (its own history, shrunk towards its share of all cases): a busy street is only a
hotspot when it is busier than it usually is.

Significance: the exact Poisson tail P(X ≥ c | e) of each cylinder, Bonferroni-corrected over
every cylinder of every category scanned (a conservative bound on the scan's family-wise error,
so no Monte Carlo replicates are needed: a year of a megacity's cases scans in seconds; see
docs/decisions). Overlapping significant cylinders are reported once, the strongest first
(Kulldorff's non-overlapping secondary clusters).

Only cylinders with at least ``min_cases`` cases can be significant, so the scan enumerates
them sparsely from the cases themselves (each case joins the zones that contain its cell),
never the dense cells × zones × windows cube.

Days are integers: local calendar days since 1970-01-01 (so ``(day + 3) % 7`` is the weekday,
Monday 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from scipy.special import pdtrc

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class HotspotParams:
    neighbours: int = 4  # a zone is a cell and up to this many of its nearest cells
    max_radius_km: float = 2.0  # …none further than this from the centre cell
    max_days: int = 7  # longest run of days a cluster may span
    min_cases: int = 3  # fewer cases are never a hotspot, however rare the category
    min_ratio: float = 2.0  # observed / expected, so that a significant trickle is not news
    alpha: float = 0.05  # family-wise, over every cylinder of every category scanned
    baseline_days: int = 365  # history used for the expected counts
    recent_days: int = 28  # the category's recent level, averaged with its long-run level
    # pseudo-cases per cell pulling a category's cell shares towards those of all cases: a
    # cell where a category has not been seen yet is not thereby a hundred times quieter
    shrink_per_cell: float = 1.0


@dataclass(frozen=True, slots=True)
class Hotspot:
    category: int
    cells: tuple[int, ...]  # the zone, centre first
    first_day: int
    last_day: int  # inclusive
    count: int
    expected: float
    llr: float
    p_value: float  # Bonferroni-adjusted


@dataclass(frozen=True)
class Zones:
    """Each cell with its nearest neighbours (``members[c, r]``: rank r, -1 beyond the radius)."""

    members: IntArray  # (cells, neighbours + 1)
    sizes: IntArray  # valid ranks per centre
    # inverse lists (CSR): for cell x, the (centre, rank) pairs with members[centre, rank] == x
    inv_ptr: IntArray
    inv_centre: IntArray
    inv_rank: IntArray

    @property
    def cells(self) -> int:
        return int(self.members.shape[0])

    @property
    def count(self) -> int:
        return int(self.sizes.sum())

    def cells_of(self, zone: int) -> tuple[int, ...]:
        width = self.members.shape[1]
        centre, rank = divmod(zone, width)
        return tuple(int(x) for x in self.members[centre, : rank + 1])


def km_coordinates(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Longitude/latitude to local kilometres (equirectangular: fine over a city)."""
    lat0 = float(np.mean(lat)) if len(lat) else 0.0
    return np.column_stack((lon * 111.32 * np.cos(np.radians(lat0)), lat * 110.57))


def build_zones(xy: FloatArray, *, neighbours: int, max_radius_km: float) -> Zones:
    n = len(xy)
    k = min(neighbours + 1, max(n, 1))
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Zones(np.zeros((0, 1), dtype=np.int64), empty, np.zeros(1, np.int64), empty, empty)
    dist, idx = cKDTree(xy).query(xy, k=k)
    dist, idx = dist.reshape(n, k), idx.reshape(n, k).astype(np.int64)
    # the centre is always rank 0, whatever ties the tree returned
    self_pos = np.argmax(idx == np.arange(n)[:, None], axis=1)
    has_self = idx[np.arange(n), self_pos] == np.arange(n)
    swap = has_self & (self_pos > 0)
    rows = np.nonzero(swap)[0]
    idx[rows, self_pos[rows]] = idx[rows, 0]
    idx[:, 0] = np.arange(n)
    dist[:, 0] = 0.0
    # a zone grows outwards, so it ends at the first neighbour beyond the radius
    valid = np.cumprod(dist <= max_radius_km, axis=1).astype(bool)
    members = np.where(valid, idx, -1)
    sizes = valid.sum(axis=1).astype(np.int64)
    centre, rank = np.nonzero(valid)
    cell = members[centre, rank]
    order = np.argsort(cell, kind="stable")
    inv_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=n), out=inv_ptr[1:])
    return Zones(members, sizes, inv_ptr, centre[order].astype(np.int64), rank[order])


def weekday_weights(day: IntArray, first: int, last: int) -> FloatArray:
    """Relative intake per weekday (Monday first, mean 1) from the cases on days [first, last)."""
    if last - first < 28 or len(day) == 0:
        return np.ones(7)
    sel = day[(day >= first) & (day < last)]
    counts = np.bincount((sel + 3) % 7, minlength=7).astype(float)
    days = np.bincount((np.arange(first, last) + 3) % 7, minlength=7).astype(float)
    per_day = counts / np.maximum(days, 1)
    mean = per_day.mean()
    return per_day / mean if mean > 0 else np.ones(7)


def _expand(starts: IntArray, lengths: IntArray) -> tuple[IntArray, IntArray]:
    """For runs (start, length): the run each element belongs to, and the element's index."""
    total = int(lengths.sum())
    owner = np.repeat(np.arange(len(lengths)), lengths)
    offset = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, starts[owner] + offset


def scan_hotspots(
    day: IntArray,
    category: IntArray,
    cell: IntArray,
    *,
    zones: Zones,
    categories: int,
    start: int,
    end: int,
    params: HotspotParams | None = None,
    history_start: int | None = None,
) -> list[Hotspot]:
    """Significant clusters among the cases on days [start, end), against the days before.

    ``history_start``: the first day the data covers (default: the earliest case), so that a
    short history is not mistaken for a quiet one.
    """
    p = params or HotspotParams()
    n_cells, width = zones.cells, zones.members.shape[1]
    span = end - start
    if span <= 0 or len(day) == 0:
        return []
    first = int(day.min()) if history_start is None else history_start
    base_first = max(start - p.baseline_days, first)
    base_days = max(start - base_first, 1)

    # -- the baseline: category levels, weekday rhythm, cell shares ------------------------
    hist = (day >= base_first) & (day < start)
    h_cat, h_cell, h_day = category[hist], cell[hist], day[hist]
    long_rate = (np.bincount(h_cat, minlength=categories) + 0.5) / base_days
    recent_first = max(start - p.recent_days, base_first)
    recent = h_day >= recent_first
    recent_rate = np.bincount(h_cat[recent], minlength=categories) / max(start - recent_first, 1)
    rate = (long_rate + recent_rate) / 2 if start - recent_first >= 7 else long_rate
    week = weekday_weights(h_day, base_first, start)
    cum_week = np.concatenate(([0.0], np.cumsum(week[(np.arange(start, end) + 3) % 7])))
    all_cells = np.bincount(h_cell, minlength=n_cells).astype(float)
    all_share = (all_cells + 1.0) / (all_cells.sum() + n_cells)

    # -- the study period: cases per (category, cell, day) -------------------------------
    now = (day >= start) & (day < end)
    s_cat, s_cell, s_day = category[now], cell[now], day[now] - start
    per_cat = np.bincount(s_cat, minlength=categories)
    scanned = np.nonzero(per_cat >= p.min_cases)[0]
    if len(scanned) == 0:
        return []
    keep = per_cat[s_cat] >= p.min_cases
    s_cat, s_cell, s_day = s_cat[keep], s_cell[keep], s_day[keep]
    key, count = np.unique((s_cat * n_cells + s_cell) * span + s_day, return_counts=True)
    e_cat, rest = np.divmod(key, n_cells * span)
    e_cell, e_day = np.divmod(rest, span)

    # each (category, cell, day) joins every zone whose centre lists the cell at rank ≤ k
    lengths = zones.inv_ptr[e_cell + 1] - zones.inv_ptr[e_cell]
    owner, pos = _expand(zones.inv_ptr[e_cell], lengths)
    centre, rank = zones.inv_centre[pos], zones.inv_rank[pos]
    owner2, k = _expand(rank, zones.sizes[centre] - rank)
    owner = owner[owner2]
    zone = centre[owner2] * width + k
    n_zones_all = n_cells * width
    zkey = (e_cat[owner] * n_zones_all + zone) * span + e_day[owner]
    order = np.argsort(zkey)  # one sort; equal keys (one zone-day from two cells) then add up
    zkey, weights = zkey[order], count[owner][order]
    heads = np.flatnonzero(np.concatenate(([True], zkey[1:] != zkey[:-1])))
    zkey, zcount = zkey[heads], np.add.reduceat(weights, heads).astype(np.int64)
    group, zday = np.divmod(zkey, span)
    cum = np.cumsum(zcount)

    # -- every run of days within max_days that starts and ends on a day with cases ------
    cands: list[tuple[IntArray, IntArray, IntArray]] = []
    n = len(zkey)
    for lag in range(min(p.max_days, span)):
        # slices, not gathers: element i pairs with element i + lag
        c = cum[lag:] - cum[: n - lag] + zcount[: n - lag]
        ok = (c >= p.min_cases) & (group[lag:] == group[: n - lag])
        ok &= zday[lag:] - zday[: n - lag] < p.max_days
        i = np.nonzero(ok)[0]
        cands.append((i, i + lag, c[i]))
    if not cands:
        return []
    ci = np.concatenate([x[0] for x in cands])
    cj = np.concatenate([x[1] for x in cands])
    cc = np.concatenate([x[2] for x in cands])
    if len(cc) == 0:
        return []
    g_cat, g_zone = np.divmod(group[ci], n_zones_all)
    g_centre, g_rank = np.divmod(g_zone, width)
    # a category's share of each cell: its own history shrunk towards all cases' shares
    prior = p.shrink_per_cell * n_cells
    own = np.bincount(h_cat * n_cells + h_cell, minlength=categories * n_cells)
    own = own.reshape(categories, n_cells)[scanned]
    share = (own + prior * all_share[None, :]) / (own.sum(axis=1, keepdims=True) + prior)
    members = zones.members
    zone_share = np.cumsum(
        np.where(members >= 0, share[:, np.where(members >= 0, members, 0)], 0.0), axis=2
    )  # (scanned categories, centres, ranks)
    row = np.zeros(categories, dtype=np.int64)
    row[scanned] = np.arange(len(scanned))
    zone_share_c = zone_share[row[g_cat], g_centre, g_rank]
    expected = rate[g_cat] * zone_share_c * (cum_week[zday[cj] + 1] - cum_week[zday[ci]])
    windows = sum(span - length + 1 for length in range(1, min(p.max_days, span) + 1))
    tests = float(len(scanned)) * zones.count * windows
    # the cheap test first: most cylinders of a busy category hold about what they should
    big = np.nonzero(cc >= p.min_ratio * expected)[0]
    p_adj = np.minimum(pdtrc(cc[big] - 1, expected[big]) * tests, 1.0)
    hit = big[p_adj <= p.alpha]
    p_adj_of = dict(zip(hit.tolist(), p_adj[p_adj <= p.alpha].tolist(), strict=True))
    llr = np.zeros(len(cc))
    llr[hit] = cc[hit] * np.log(cc[hit] / expected[hit]) - (cc[hit] - expected[hit])
    hit = hit[np.argsort(-llr[hit], kind="stable")]

    found: list[Hotspot] = []
    taken: list[tuple[int, int, int, set[int]]] = []
    for h in hit:
        cat, a, b = int(g_cat[h]), int(zday[ci[h]]), int(zday[cj[h]])
        cells = tuple(int(x) for x in members[g_centre[h], : g_rank[h] + 1])
        if any(
            tc == cat and a <= tb and ta <= b and not tcells.isdisjoint(cells)
            for tc, ta, tb, tcells in taken
        ):
            continue
        taken.append((cat, a, b, set(cells)))
        found.append(
            Hotspot(
                category=cat,
                cells=cells,
                first_day=start + a,
                last_day=start + b,
                count=int(cc[h]),
                expected=float(expected[h]),
                llr=float(llr[h]),
                p_value=p_adj_of[int(h)],
            )
        )
    return found
