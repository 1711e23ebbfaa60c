"""The whole computation on an example small enough to do by hand."""

from __future__ import annotations

import numpy as np
import pytest

from factories.indices import DATA, FW
from zhili.indices import framework, results, tables
from zhili.indices.pipeline import compute


def test_scores_ranks_and_effective_weights_by_hand() -> None:
    r = compute(framework.load_text(FW), tables.read_csv_text(DATA))
    # A → 0, 50, 100; B (less is better) → 100, 0, 50; C → 0, 100, 50
    assert list(r.values("B")) == [100, 0, 50]
    assert list(r.scores["D1"]) == pytest.approx([75, 12.5, 62.5])  # ¼A + ¾B
    assert list(r.scores["IDX"]) == pytest.approx([50, 125 / 3, 175 / 3])  # ⅔D1 + ⅓D2
    assert list(r.ranks["IDX"]) == [2, 3, 1] and list(r.ranks["B"]) == [1, 3, 2]
    assert r.effective_weights() == pytest.approx({"A": 1 / 6, "B": 1 / 2, "C": 1 / 3})
    # the index moves with B (its heaviest indicator) and against... nothing here
    assert r.correlations()["B"] == pytest.approx(np.corrcoef([100, 0, 50], r.scores["IDX"])[0, 1])


def test_result_rows_are_one_per_unit_with_each_aggregate_and_its_rank() -> None:
    r = compute(framework.load_text(FW), tables.read_csv_text(DATA))
    header, rows = results.result_rows(r)
    assert header == ["code", "name", "IDX", "IDX_rank", "D1", "D1_rank", "D2", "D2_rank", "veto"]
    assert rows[2] == ["u3", "三", 58.3333, 1, 62.5, 2, 50.0, 2, ""]


def test_strengths_and_weaknesses_are_the_units_best_and_worst_indicators() -> None:
    r = compute(framework.load_text(FW), tables.read_csv_text(DATA))
    sw = results.strengths_weaknesses(r, 0, k=2)
    assert [s["code"] for s in sw["strengths"]] == ["B", "C"]  # ranks 1, then 3 (C outweighs A)
    assert [w["code"] for w in sw["weaknesses"]] == ["C", "A"]
    assert sw["strengths"][0]["value"] == 1 and sw["strengths"][0]["rank"] == 1


def test_periods_are_compared_on_a_pooled_scale() -> None:
    fw = framework.load_text(FW)
    later = "code,name,A,B,C\nu1,一,0,1,10\nu2,二,9,1,30\nu3,三,10,2,20\n"
    comp = results.compare(
        fw, {"2024": tables.read_csv_text(DATA), "2025": tables.read_csv_text(later)}
    )
    s = comp.scores["IDX"]
    assert s[0, 0] == s[0, 1] and s[2, 0] == s[2, 1]  # unchanged data, unchanged score
    assert s[1, 1] > s[1, 0] + 30
    header, rows = results.comparison_rows(comp, "IDX")
    assert header[-1] == "IDX_rank_change_2024_2025"
    assert rows[1][-1] == 2  # u2 climbs from third to first
