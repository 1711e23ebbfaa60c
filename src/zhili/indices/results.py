"""What people read from a computed index: one row per unit with every aggregate's score and
rank, each unit's strengths and weaknesses, and the comparison of periods.

Comparing periods: min-max, z-scores and ranks are relative to the units of one table, so
scores of two separately computed years cannot be subtracted. ``compare`` therefore
normalises (and estimates any data-driven weights) on all periods pooled, then ranks each
period on its own — a change in score is then a change in performance, not in the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zhili.core.errors import ValidationFailed
from zhili.indices.framework import Framework
from zhili.indices.pipeline import Result, compute, ranks_of
from zhili.indices.tables import Cell, Table

Array = NDArray[np.float64]


def aggregate_codes(fw: Framework) -> list[str]:
    """The index first, then each level down, in file order within a level."""
    codes = list(fw.aggregates)
    return sorted(codes, key=lambda c: (fw.depth(c), codes.index(c)))


def _r(v: float, digits: int = 4) -> float | None:
    return round(float(v), digits) if np.isfinite(v) else None


def result_rows(result: Result, *, indicators: bool = False) -> tuple[list[str], list[list[Cell]]]:
    """Rows for CSV: code, name, ``<code>`` and ``<code>_rank`` per aggregate, then the veto
    indicators failed (and each indicator's normalised value when asked)."""
    fw = result.framework
    codes = aggregate_codes(fw)
    leaves = [ind.code for ind in fw.indicators] if indicators else []
    header = ["code", "name"]
    for c in codes:
        header += [c, f"{c}_rank"]
    header += ["veto", *leaves]
    rows: list[list[Cell]] = []
    for i, unit in enumerate(result.codes):
        row: list[Cell] = [unit, result.names[i]]
        for c in codes:
            rank = result.ranks[c][i]
            row += [_r(result.scores[c][i]), int(rank) if np.isfinite(rank) else None]
        row.append(";".join(result.vetoes[i]))
        row += [_r(result.values(c)[i]) for c in leaves]
        rows.append(row)
    return header, rows


def strengths_weaknesses(result: Result, unit: int, *, k: int = 3) -> dict[str, Any]:
    """The indicators where a unit ranks best and worst among the units (COINr's rule: by the
    unit's rank on each indicator, ties by the indicator's effective weight)."""
    fw = result.framework
    eff = result.effective_weights()
    items: list[tuple[int, float, dict[str, Any]]] = []
    for j, ind in enumerate(fw.indicators):
        rank = result.ranks[ind.code][unit]
        if np.isfinite(rank):
            items.append(
                (int(rank), eff[ind.code], {
                    "code": ind.code,
                    "name": ind.name,
                    "value": _r(result.prepared.raw[unit, j]),
                    "unit": ind.unit,
                    "normalised": _r(result.normalised[unit, j]),
                    "rank": int(rank),
                    "weight": round(eff[ind.code], 6),
                })
            )  # fmt: skip
    best = sorted(items, key=lambda t: (t[0], -t[1]))
    worst = sorted(items, key=lambda t: (-t[0], -t[1]))
    return {"strengths": [t[2] for t in best[:k]], "weaknesses": [t[2] for t in worst[:k]]}


@dataclass(frozen=True)
class Comparison:
    periods: list[str]
    codes: list[str]
    names: list[str]
    scores: dict[str, Array]  # aggregate → units × periods (NaN where a unit is absent)
    ranks: dict[str, Array]  # ranked within each period


def compare(fw: Framework, tables: Mapping[str, Table]) -> Comparison:
    if len(tables) < 2:
        raise ValidationFailed("periods", "give at least two periods", "至少需要两个时期的数据")
    periods = list(tables)
    codes: list[str] = []
    names: dict[str, str] = {}
    for t in tables.values():
        for c, nm in zip(t.codes, t.names, strict=True):
            if c not in names:
                codes.append(c)
                names[c] = nm
    columns = sorted({col for t in tables.values() for col in t.columns})
    pooled_codes, pooled_names = [], []
    cells: dict[str, list[Cell]] = {col: [] for col in columns}
    for p, t in tables.items():
        pooled_codes += [f"{p}\u0000{c}" for c in t.codes]
        pooled_names += t.names
        for col in columns:
            cells[col] += t.cells.get(col, [None] * t.n)
    pooled = compute(fw, Table(pooled_codes, pooled_names, cells))
    where = {code: i for i, code in enumerate(pooled.codes)}
    scores: dict[str, Array] = {}
    ranks: dict[str, Array] = {}
    for agg in aggregate_codes(fw):
        s = np.full((len(codes), len(periods)), np.nan)
        for pi, p in enumerate(periods):
            for ui, c in enumerate(codes):
                row = where.get(f"{p}\u0000{c}")
                if row is not None:
                    s[ui, pi] = pooled.scores[agg][row]
        scores[agg] = s
        ranks[agg] = np.column_stack([ranks_of(s[:, pi]) for pi in range(len(periods))])
    return Comparison(periods, codes, [names[c] for c in codes], scores, ranks)


def comparison_rows(comp: Comparison, code: str) -> tuple[list[str], list[list[Cell]]]:
    """One aggregate across periods: score and rank per period, then the change from the
    first period to the last (a positive rank change means the unit moved up)."""
    first, last = comp.periods[0], comp.periods[-1]
    header = ["code", "name"]
    for p in comp.periods:
        header += [f"{code}_{p}", f"{code}_rank_{p}"]
    header += [f"{code}_change_{first}_{last}", f"{code}_rank_change_{first}_{last}"]
    rows: list[list[Cell]] = []
    s, r = comp.scores[code], comp.ranks[code]
    for i, unit in enumerate(comp.codes):
        row: list[Cell] = [unit, comp.names[i]]
        for pi in range(len(comp.periods)):
            row += [_r(s[i, pi]), int(r[i, pi]) if np.isfinite(r[i, pi]) else None]
        moved = r[i, 0] - r[i, -1]
        row += [_r(s[i, -1] - s[i, 0]), int(moved) if np.isfinite(moved) else None]
        rows.append(row)
    return header, rows
