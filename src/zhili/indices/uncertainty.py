"""Uncertainty and sensitivity analysis (Handbook §7): how much do the ranks depend on the
choices made while building the index?

Factors, each drawn uniformly and independently per run: the imputation method, the
normalisation, multiplicative noise on every weight (w × U(1 − a, 1 + a), renormalised among
siblings — one factor for the whole weight vector), the aggregation method (used at every
level), and one indicator left out (or none; an only child is never left out). A factor with
no alternatives keeps its nominal choice and gets no index.

Sampling follows Saltelli et al. (2010): two independent N × k sample matrices A and B, and
for every factor i the matrix A_B^(i) (A with factor i's columns taken from B), so
``runs`` = N (k + 2) model evaluations. For an output Y:
  first order  S_i  = mean(f(B)·(f(A_B^i) − f(A))) / V(Y)
  total        S_Ti = mean((f(A) − f(A_B^i))²) / (2 V(Y))
with V(Y) estimated on f(A) and f(B). Y is the Handbook's average shift in ranks,
R̄_S = (1/n) Σ_c |rank_nominal(c) − rank(c)|, and, per unit, the unit's rank. Rank
distributions (median, 5 % and 95 %) use every run.

Speed: the expensive steps are shared — data preparation and normalisation once per
(imputation, normalisation) pair, with that pair's data-driven weights — and each group of
runs with the same pair and aggregation method is aggregated with one matrix product per node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from zhili.indices.aggregate import aggregate
from zhili.indices.framework import Framework, check_columns
from zhili.indices.pipeline import compute, normalised_matrix, run_tree, veto_cap
from zhili.indices.prepare import prepare
from zhili.indices.spec import AggregateMethod, UncertaintySpec
from zhili.indices.tables import Table

Array = NDArray[np.float64]
Ints = NDArray[np.int64]
FACTOR_LABELS_ZH = {
    "impute": "缺失值插补",
    "normalise": "标准化方法",
    "weights": "权重扰动",
    "aggregate": "汇总方法",
    "leave_one_out": "剔除单项指标",
}


@dataclass(frozen=True)
class Uncertainty:
    codes: list[str]
    names: list[str]
    runs: int
    base_samples: int  # N
    nominal_rank: Array
    median_rank: Array
    p05_rank: Array
    p95_rank: Array
    mean_rank: Array
    ranks: NDArray[np.float64]  # runs × units
    factors: list[str]
    first_order: dict[str, float]  # on the average shift in ranks
    total: dict[str, float]
    unit_first_order: Array  # factors × units, on each unit's rank
    unit_total: Array
    mean_shift: float  # average over runs of R̄_S


def sobol(y_a: Array, y_b: Array, y_ab: list[Array]) -> tuple[Array, Array]:
    """First-order and total indices (Saltelli 2010 / Jansen) for every column of Y at once;
    rows are the N base samples. Returns two arrays of shape factors × columns."""
    var = np.var(np.concatenate([y_a, y_b]), axis=0, ddof=1)
    safe = np.where(var > 0, var, 1.0)
    first = np.array([np.mean(y_b * (y_i - y_a), axis=0) / safe for y_i in y_ab])
    total = np.array([0.5 * np.mean((y_a - y_i) ** 2, axis=0) / safe for y_i in y_ab])
    zero = var <= 0
    first[:, zero], total[:, zero] = 0.0, 0.0
    return first, total


@dataclass(frozen=True)
class _Design:
    factors: list[str]
    n_base: int
    impute: Ints
    normalise: Ints
    aggregate: Ints
    leave_out: Ints  # −1 = none, else an indicator column
    noise: Array  # runs × weights


def _design(spec: UncertaintySpec, fw: Framework, weight_count: int) -> _Design:
    eligible = [
        fw.leaf_index[c] for code in fw.order for c in fw.children[code]
        if c in fw.leaf_index and len(fw.children[code]) > 1
    ]  # fmt: skip
    sizes = {
        "impute": len(spec.impute),
        "normalise": len(spec.normalise),
        "weights": 1 if spec.weights_noise > 0 else 0,
        "aggregate": len(spec.aggregate),
        "leave_one_out": len(eligible) + 1 if spec.leave_one_out else 0,
    }
    factors = [f for f, s in sizes.items() if s > 0]
    k = len(factors)
    n_base = max(2, spec.runs // (k + 2)) if k else spec.runs
    rng = np.random.default_rng(spec.seed)

    def draw(name: str) -> Array:
        if name == "weights":
            a = spec.weights_noise
            return rng.uniform(1 - a, 1 + a, size=(n_base, weight_count))
        return rng.integers(0, max(sizes[name], 1), size=(n_base, 1)).astype(float)

    a_mat = {f: draw(f) for f in sizes}
    b_mat = {f: draw(f) for f in sizes}
    blocks = [a_mat, b_mat] if k else [a_mat]
    for f in factors:
        blocks.append({g: (b_mat[g] if g == f else a_mat[g]) for g in sizes})
    cat = {f: np.concatenate([blk[f] for blk in blocks]) for f in sizes}
    leave = cat["leave_one_out"][:, 0].astype(np.int64)
    options = np.array([-1, *eligible], dtype=np.int64)
    return _Design(
        factors,
        n_base,
        cat["impute"][:, 0].astype(np.int64),
        cat["normalise"][:, 0].astype(np.int64),
        cat["aggregate"][:, 0].astype(np.int64),
        options[leave] if spec.leave_one_out else np.full(len(leave), -1, dtype=np.int64),
        cat["weights"] if spec.weights_noise > 0 else np.ones((len(leave), weight_count)),
    )


def _group_scores(
    fw: Framework,
    leaves: Array,
    base: dict[str, Array],
    noise: Array,
    leave_out: Ints,
    method: AggregateMethod | None,
) -> Array:
    """Index scores (runs × units) for runs sharing one normalised matrix and one method."""
    runs = len(noise)
    floor = fw.spec.pipeline.aggregate.floor
    scores: dict[str, Array] = {}
    offset = 0
    for code in fw.order:
        kids = fw.children[code]
        c = len(kids)
        w = base[code][None, :] * noise[:, offset : offset + c]
        offset += c
        for i, kid in enumerate(kids):
            if kid in fw.leaf_index:
                w[leave_out == fw.leaf_index[kid], i] = 0.0
        w = w / w.sum(axis=1, keepdims=True)
        if all(k in fw.leaf_index for k in kids):
            x = leaves[:, [fw.leaf_index[k] for k in kids]]
        else:
            cols = [
                np.broadcast_to(leaves[:, fw.leaf_index[k]], (runs, len(leaves)))
                if k in fw.leaf_index else scores[k]
                for k in kids
            ]  # fmt: skip
            x = np.stack(cols, axis=2)
        scores[code] = aggregate(method or fw.aggregate_method(code), x, w, floor=floor)
    return scores[fw.root]


def analyse(fw: Framework, table: Table, spec: UncertaintySpec | None = None) -> Uncertainty:
    """Monte Carlo ranks and Sobol indices of ``fw`` on ``table`` (``spec`` defaults to the
    framework's own ``uncertainty`` section)."""
    spec = spec or fw.spec.uncertainty or UncertaintySpec()
    check_columns(fw, table.columns)
    pipe = fw.spec.pipeline
    nominal = compute(fw, table)
    nominal_rank = nominal.ranks[fw.root]
    weight_count = sum(len(fw.children[c]) for c in fw.order)
    d = _design(spec, fw, weight_count)
    imputes = spec.impute or [pipe.impute.method]
    normalisers = spec.normalise or [pipe.normalise.method]
    methods: list[AggregateMethod | None] = list(spec.aggregate) or [None]
    runs = len(d.leave_out)
    index = np.empty((runs, table.n))
    failed = np.asarray(nominal.prepared.vetoes.any(axis=1), dtype=bool)
    for i_imp, imp in enumerate(imputes):
        for i_norm, norm_method in enumerate(normalisers):
            prep = prepare(fw, table, impute_method=imp, normalise_method=norm_method)
            leaves = normalised_matrix(fw, prep.values, norm_method)
            base = run_tree(fw, leaves).weights
            for i_agg, method in enumerate(methods):
                sel = np.flatnonzero(
                    (d.impute == i_imp) & (d.normalise == i_norm) & (d.aggregate == i_agg)
                )
                if len(sel):
                    s = _group_scores(fw, leaves, base, d.noise[sel], d.leave_out[sel], method)
                    index[sel] = veto_cap(fw, s, failed[None, :])
    ranks = rankdata(-index, axis=1, method="min", nan_policy="omit").astype(float)
    shift = np.nanmean(np.abs(ranks - nominal_rank[None, :]), axis=1)
    y = np.column_stack([shift, ranks])
    k, n_base = len(d.factors), d.n_base
    if k:
        blocks = [y[i * n_base : (i + 1) * n_base] for i in range(k + 2)]
        first, total = sobol(blocks[0], blocks[1], blocks[2:])
    else:
        first = total = np.zeros((0, y.shape[1]))
    p05, med, p95 = np.nanpercentile(ranks, [5, 50, 95], axis=0)
    return Uncertainty(
        codes=table.codes,
        names=table.names,
        runs=runs,
        base_samples=n_base,
        nominal_rank=nominal_rank,
        median_rank=med,
        p05_rank=p05,
        p95_rank=p95,
        mean_rank=np.nanmean(ranks, axis=0),
        ranks=ranks,
        factors=d.factors,
        first_order={f: float(first[i, 0]) for i, f in enumerate(d.factors)},
        total={f: float(total[i, 0]) for i, f in enumerate(d.factors)},
        unit_first_order=first[:, 1:],
        unit_total=total[:, 1:],
        mean_shift=float(np.mean(shift)),
    )


def summary(u: Uncertainty) -> dict[str, Any]:
    """Plain data for JSON and the web UI's charts (ECharts renders them; see charts.py)."""
    return {
        "runs": u.runs,
        "base_samples": u.base_samples,
        "mean_rank_shift": round(u.mean_shift, 4),
        "factors": [
            {
                "factor": f,
                "label_zh": FACTOR_LABELS_ZH[f],
                "first_order": round(u.first_order[f], 4),
                "total": round(u.total[f], 4),
            }
            for f in u.factors
        ],
        "units": [
            {
                "code": code,
                "name": u.names[i],
                "nominal_rank": _num(u.nominal_rank[i]),
                "median_rank": _num(u.median_rank[i]),
                "p05_rank": _num(u.p05_rank[i]),
                "p95_rank": _num(u.p95_rank[i]),
                "mean_rank": _num(u.mean_rank[i]),
            }
            for i, code in enumerate(u.codes)
        ],
    }


def _num(v: float) -> float | None:
    return round(float(v), 4) if np.isfinite(v) else None
