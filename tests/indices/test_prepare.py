"""Denomination, imputation, outlier treatment and veto indicators."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import kurtosis, skew

from zhili.indices import framework, pipeline, tables
from zhili.indices.prepare import impute, skew_kurtosis, treat_column
from zhili.indices.spec import TreatSpec

RULE = TreatSpec(method="winsorise", skew=2, kurtosis=3.5, max_points=5, fallback="log")
BASE = [float(v) for v in range(1, 21)]


def test_skew_and_kurtosis_are_the_bias_corrected_sample_estimates() -> None:
    x = np.array([*BASE, 60.0])
    s, k = skew_kurtosis(x)
    assert s == pytest.approx(skew(x, bias=False)) and k == pytest.approx(kurtosis(x, bias=False))


def test_one_outlier_is_winsorised_to_the_next_value() -> None:
    out, note = treat_column(np.array([*BASE, 60.0]), RULE)  # skew 3.0, kurtosis 11.5
    assert note == "winsorised 1 high" and out[-1] == 20 and list(out[:-1]) == BASE


def test_winsorisation_goes_one_value_at_a_time_until_the_rule_no_longer_holds() -> None:
    out, note = treat_column(np.array([*BASE, 60.0, 61.0]), RULE)
    # 61 → 60 leaves the rule holding; then both 60s → 20: three points in all
    assert note == "winsorised 3 high" and list(out[-2:]) == [20, 20]
    mirrored, note = treat_column(-np.array([*BASE, 60.0]), RULE)
    assert note == "winsorised 1 low" and mirrored[-1] == -20


def test_past_the_point_limit_the_log_transform_is_used_instead() -> None:
    x = np.array([*BASE, 60.0, 61.0])
    out, note = treat_column(x, RULE.model_copy(update={"max_points": 2}))
    assert note == "log" and out == pytest.approx(np.log(x - 1 + 1))
    kept, note = treat_column(x, RULE.model_copy(update={"max_points": 2, "fallback": "none"}))
    assert note == "winsorised 1 (limit reached)" and kept[-1] == 60


def test_moderate_skew_is_left_alone() -> None:
    x = np.array([*BASE, 40.0, 45.0, 50.0])  # skew 1.6
    out, note = treat_column(x, RULE)
    assert note == "" and out is x


def test_imputation_by_mean_median_and_group() -> None:
    x = np.array([[1.0], [np.nan], [3.0], [10.0], [np.nan]])
    groups = ["a", "a", "a", "b", "c"]
    mean, n = impute(x, "mean", None)
    assert mean[1, 0] == pytest.approx(14 / 3) and n[0] == 2
    assert impute(x, "median", None)[0][1, 0] == 3
    grouped = impute(x, "group_mean", groups)[0][:, 0]
    assert grouped[1] == 2  # its group's mean
    assert grouped[4] == pytest.approx(14 / 3)  # group c has no value: the overall mean
    assert math.isnan(impute(x, "none", None)[0][1, 0])


VETO_FW = """
name: t
indicators:
  - {code: CRIME, name: 每万人刑事案件, parent: IDX, direction: -1, denominator: POP, per: 10000}
  - {code: SAFE, name: 安全感, parent: IDX, veto: {below: 85}}
  - {code: INCIDENT, name: 重大事件数, parent: IDX, weight: 0, veto: {above: 0}}
aggregates:
  - {code: IDX, name: 指数}
pipeline: {veto: {effect: cap, cap: 40}}
"""
DATA = """code,name,CRIME,POP,SAFE,INCIDENT
a,甲,10,20000,100,0
b,乙,30,10000,90,1
c,丙,20,40000,80,0
"""


def test_denominated_values_and_vetoes_capping_the_index() -> None:
    fw = framework.load_text(VETO_FW)
    r = pipeline.compute(fw, tables.read_csv_text(DATA))
    # per 10 000 residents: 5, 30, 5
    assert list(r.prepared.raw[:, 0]) == [5, 30, 5]
    assert r.vetoes == [(), ("INCIDENT",), ("SAFE",)]
    # uncapped: a = (100 + 100)/2, b = (0 + 50)/2 = 25, c = (100 + 0)/2 = 50 → c capped at 40
    assert list(r.scores["IDX"]) == pytest.approx([100, 25, 40])
    flagged = framework.load_text(VETO_FW.replace("effect: cap, cap: 40", "effect: flag"))
    assert list(pipeline.compute(flagged, tables.read_csv_text(DATA)).scores["IDX"]) == [
        100,
        25,
        50,
    ]
