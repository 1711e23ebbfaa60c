"""Chart data, not pictures: matplotlib is not a dependency of zhili (it would add ~30 MB to a
server that never shows a window), and the web UI draws with ECharts from the package's own
static files. So this module returns plain series the UI (or any notebook) can plot:

- ``rank_intervals``: units in nominal-rank order with nominal, median, 5 % and 95 % ranks
  (the Handbook's uncertainty plot; ECharts: a scatter plus a custom error bar)
- ``sobol``: first-order and total index per factor (grouped bars)
- ``effective_weights``: each indicator's weight in the index and its correlation with it
- ``strengths``: per unit, the best and worst indicators (a radar or two lists)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zhili.indices.pipeline import Result
from zhili.indices.results import aggregate_codes, strengths_weaknesses
from zhili.indices.uncertainty import FACTOR_LABELS_ZH, Uncertainty


def _num(v: float) -> float | None:
    return round(float(v), 4) if np.isfinite(v) else None


def uncertainty_charts(u: Uncertainty) -> dict[str, Any]:
    order = np.argsort(np.where(np.isfinite(u.nominal_rank), u.nominal_rank, np.inf), kind="stable")
    return {
        "rank_intervals": {
            "units": [u.names[i] for i in order],
            "nominal": [_num(u.nominal_rank[i]) for i in order],
            "median": [_num(u.median_rank[i]) for i in order],
            "p05": [_num(u.p05_rank[i]) for i in order],
            "p95": [_num(u.p95_rank[i]) for i in order],
        },
        "sobol": {
            "factors": [FACTOR_LABELS_ZH[f] for f in u.factors],
            "first_order": [round(u.first_order[f], 4) for f in u.factors],
            "total": [round(u.total[f], 4) for f in u.factors],
        },
    }


def result_details(result: Result) -> dict[str, Any]:
    """Everything behind the scores: weights at every node, effective weights, the
    treatment of each indicator, and every unit's strengths and weaknesses."""
    fw = result.framework
    eff = result.effective_weights()
    corr = result.correlations()
    names = {
        **{a.code: a.name for a in fw.spec.aggregates},
        **{i.code: i.name for i in fw.indicators},
    }
    return {
        "framework": fw.name,
        "levels": [
            {"code": c, "name": names[c], "depth": fw.depth(c)} for c in aggregate_codes(fw)
        ],
        "weights": {
            code: {
                child: round(float(w), 6) for child, w in zip(fw.children[code], ws, strict=True)
            }
            for code, ws in result.weights.items()
        },
        "effective_weights": [
            {
                "code": ind.code,
                "name": ind.name,
                "weight": round(eff[ind.code], 6),
                "correlation": _num(corr[ind.code]),
                "treatment": result.prepared.treatment[j],
                "imputed": int(result.prepared.imputed[j]),
            }
            for j, ind in enumerate(fw.indicators)
        ],
        "units": [
            {
                "code": code,
                "name": result.names[i],
                "scores": {c: _num(result.scores[c][i]) for c in aggregate_codes(fw)},
                "ranks": {c: _num(result.ranks[c][i]) for c in aggregate_codes(fw)},
                "veto": list(result.vetoes[i]),
                **strengths_weaknesses(result, i),
            }
            for i, code in enumerate(result.codes)
        ],
    }
