"""The nominal computation: data → prepared → normalised → weighted and aggregated level by
level → veto → scores and ranks at every level, and the effective weight of every indicator.

Weights are found bottom-up: a data-driven method at an upper node (entropy, CRITIC, PCA)
works on its children's scores, which the levels below have just produced.

Effective weights: the weight of indicator i in the index is the product of the normalised
weights on its path to the top (exact for arithmetic aggregation, nominal otherwise); next to
it the Pearson correlation of the indicator with the index shows what it really drives, as
the JRC's statistical audits report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from zhili.indices.aggregate import aggregate
from zhili.indices.framework import Framework, check_columns
from zhili.indices.normalise import normalise
from zhili.indices.prepare import Prepared, prepare
from zhili.indices.spec import AggregateMethod, ImputeMethod, NormaliseMethod
from zhili.indices.tables import Table
from zhili.indices.weights import child_weights

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Tree:
    """One pass through the levels: every aggregate's scores and its children's weights."""

    scores: dict[str, Array]
    weights: dict[str, Array]


@dataclass(frozen=True)
class Result:
    framework: Framework
    codes: list[str]
    names: list[str]
    prepared: Prepared
    normalised: Array  # units × indicators
    scores: dict[str, Array]  # aggregate → units; the index after any veto cap
    weights: dict[str, Array]  # aggregate → weights of its children (sum 1)
    vetoes: list[tuple[str, ...]]  # per unit, the veto indicators it fails
    ranks: dict[str, Array] = field(default_factory=dict)  # every node → units (1 = best)

    def values(self, code: str) -> Array:
        """A node's values: an aggregate's score or an indicator's normalised value."""
        if code in self.scores:
            return self.scores[code]
        out: Array = self.normalised[:, self.framework.leaf_index[code]]
        return out

    def effective_weights(self) -> dict[str, float]:
        fw = self.framework
        share: dict[str, float] = {fw.root: 1.0}
        for code in reversed(fw.order):
            for child, w in zip(fw.children[code], self.weights[code], strict=True):
                share[child] = share[code] * float(w)
        return {ind.code: share[ind.code] for ind in fw.indicators}

    def correlations(self) -> dict[str, float]:
        index = self.scores[self.framework.root]
        out = {}
        for j, ind in enumerate(self.framework.indicators):
            col = self.normalised[:, j]
            ok = np.isfinite(col) & np.isfinite(index)
            valid = ok.sum() > 2 and np.std(col[ok]) > 0 and np.std(index[ok]) > 0
            out[ind.code] = float(np.corrcoef(col[ok], index[ok])[0, 1]) if valid else float("nan")
        return out


def ranks_of(scores: Array) -> Array:
    """1 for the highest score; ties share the best rank (1, 2, 2, 4); missing stays NaN.
    A matrix is ranked column by column."""
    r: Array = rankdata(-scores, axis=0, method="min", nan_policy="omit").astype(float)
    return np.where(np.isfinite(scores), r, np.nan)


def normalised_matrix(fw: Framework, values: Array, method: NormaliseMethod | None = None) -> Array:
    inds = fw.indicators
    return normalise(
        values,
        directions=np.array([float(i.direction) for i in inds]),
        spec=fw.spec.pipeline.normalise,
        method=method,
        targets=np.array([i.target if i.target else np.nan for i in inds]),
        goalposts=np.array([i.goalposts if i.goalposts else (np.nan, np.nan) for i in inds]),
    )


def children_values(fw: Framework, code: str, leaves: Array, scores: dict[str, Array]) -> Array:
    cols = [
        leaves[:, fw.leaf_index[c]] if c in fw.leaf_index else scores[c] for c in fw.children[code]
    ]
    return np.column_stack(cols)


def run_tree(fw: Framework, leaves: Array, *, method: AggregateMethod | None = None) -> Tree:
    """Weights and scores of every aggregate, bottom-up, for one normalised matrix."""
    scores: dict[str, Array] = {}
    weights: dict[str, Array] = {}
    floor = fw.spec.pipeline.aggregate.floor
    for code in fw.order:
        x = children_values(fw, code, leaves, scores)
        node = fw.aggregates[code]
        w = child_weights(
            fw.weights_spec(code),
            x,
            manual=np.array([fw.node_weight(c) for c in fw.children[code]]),
            ahp_matrix=node.ahp,
            field=f"{fw.field_of(code)}.weights",
        )
        weights[code] = w
        scores[code] = aggregate(method or fw.aggregate_method(code), x, w[None, :], floor=floor)[0]
    return Tree(scores, weights)


def veto_cap(fw: Framework, index: Array, failed: NDArray[np.bool_]) -> Array:
    veto = fw.spec.pipeline.veto
    if veto.effect != "cap" or veto.cap is None:
        return index
    out: Array = np.where(failed, np.minimum(index, veto.cap), index)
    return out


def compute(
    fw: Framework,
    table: Table,
    *,
    impute: ImputeMethod | None = None,
    normalise_method: NormaliseMethod | None = None,
    method: AggregateMethod | None = None,
) -> Result:
    """The index for every unit of ``table``; the keyword arguments replace the framework's
    own choice of imputation, normalisation and (at every level) aggregation."""
    check_columns(fw, table.columns)
    prep = prepare(fw, table, impute_method=impute, normalise_method=normalise_method)
    leaves = normalised_matrix(fw, prep.values, normalise_method)
    tree = run_tree(fw, leaves, method=method)
    failed_any = np.asarray(prep.vetoes.any(axis=1), dtype=bool)
    scores = dict(tree.scores)
    scores[fw.root] = veto_cap(fw, scores[fw.root], failed_any)
    codes = [ind.code for ind in fw.indicators]
    vetoes = [tuple(c for c, f in zip(codes, row, strict=True) if f) for row in prep.vetoes]
    result = Result(fw, table.codes, table.names, prep, leaves, scores, tree.weights, vetoes)
    for code in fw.order:
        result.ranks[code] = ranks_of(result.scores[code])
    leaf_ranks = ranks_of(leaves)
    for j, code in enumerate(codes):
        result.ranks[code] = leaf_ranks[:, j]
    return result
