"""A framework with a bad hierarchy or bad settings is refused with an error naming the
place and the problem; the shipped ones load; Excel says the same as YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from zhili.core.errors import ValidationFailed
from zhili.indices import framework, tables

GOOD = """
name: 测试指数
indicators:
  - {code: A, name: 甲, parent: D1}
  - {code: B, name: 乙, parent: D1}
  - {code: C, name: 丙, parent: D2}
aggregates:
  - {code: D1, name: 维度一, parent: IDX}
  - {code: D2, name: 维度二, parent: IDX}
  - {code: IDX, name: 指数}
"""


def refused(text: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as err:
        framework.load_text(text)
    return err.value


def test_a_good_framework_orders_levels_bottom_up() -> None:
    fw = framework.load_text(GOOD)
    assert fw.root == "IDX" and fw.order == ("D1", "D2", "IDX")
    assert fw.children["D1"] == ("A", "B") and fw.depth("A") == 2


def test_a_cycle_is_named_with_its_path() -> None:
    looped = GOOD.replace("维度一, parent: IDX}", "维度一, parent: D3}")
    err = refused(looped + "  - {code: D3, name: 三, parent: D1}\n")
    assert "cycle" in err.message and "D1 → D3 → D1" in err.message


def test_a_missing_parent_or_an_indicator_as_parent() -> None:
    err = refused(GOOD.replace("parent: D2}", "parent: D9}"))
    assert err.field == "indicators.2.parent" and "D9" in err.message and "missing" in err.message
    err = refused(GOOD.replace("{code: C, name: 丙, parent: D2}", "{code: C, name: 丙, parent: A}"))
    assert "is an indicator" in err.message


def test_two_tops_duplicates_and_empty_aggregates() -> None:
    assert (
        "found 2: D2, IDX"
        in refused(GOOD.replace("name: 维度二, parent: IDX", "name: 维度二")).message
    )
    err = refused(GOOD.replace("{code: B, name: 乙", "{code: A, name: 乙"))
    assert err.field == "indicators.1.code" and "duplicate code A" in err.message
    err = refused(GOOD + "  - {code: D3, name: 空, parent: IDX}\n")
    assert "D3 has nothing under it" in err.message


def test_unknown_keys_and_bad_values_name_the_field() -> None:
    err = refused(GOOD.replace("{code: A, name: 甲,", "{code: A, name: 甲, wieght: 2,"))
    assert err.field == "indicators.0.wieght"
    assert refused(GOOD.replace("parent: D1}", "parent: D1, direction: 2}", 1)).field == (
        "indicators.0.direction"
    )
    err = refused(
        GOOD.replace(
            "{code: A, name: 甲, parent: D1}", "{code: A, name: 甲, parent: D1, veto: true}"
        )
    )
    assert "veto: {above: N}" in err.message
    assert "line" in refused("name: [unclosed").message


def test_unknown_columns_in_the_data_are_named() -> None:
    fw = framework.load_text(GOOD)
    with pytest.raises(ValidationFailed) as err:
        framework.check_columns(fw, ["code", "A", "B"])
    assert err.value.field == "indicators.2.column" and "unknown column C" in err.value.message
    bad = tables.read_csv_text("code,name,A,B,C\nu1,x,1,2,3\nu2,y,1,oops,3\n")
    with pytest.raises(ValidationFailed, match="row 3 \\(u2\\), column B: 'oops' is not a number"):
        bad.numbers("B")


def test_inconsistent_or_misshapen_ahp_matrices() -> None:
    ahp = GOOD.replace(
        "{code: IDX, name: 指数}",
        "{code: IDX, name: 指数, weights: ahp, ahp: [[1, 3], ['1/3', 1]]}",
    )
    assert framework.load_text(ahp).aggregates["IDX"].ahp is not None
    err = refused(ahp.replace("[[1, 3], ['1/3', 1]]", "[[1, 3, 1], ['1/3', 1, 1], [1, 1, 1]]"))
    assert err.field == "aggregates.2.ahp" and "2×2" in err.message and "D1, D2" in err.message
    three = GOOD.replace(
        "parent: D2}",
        "parent: D2}\n  - {code: E, name: 戊, parent: D2}\n  - {code: F, name: 己, parent: D2}",
    )
    three = three.replace(
        "维度二, parent: IDX}",
        "维度二, parent: IDX, weights: ahp, ahp: [[1, 9, '1/9'], ['1/9', 1, 9], [9, '1/9', 1]]}",
    )
    err = refused(three)
    assert err.field == "aggregates.1.ahp" and "consistency ratio" in err.message
    assert (
        "AHP but has no ahp"
        in refused(GOOD.replace("name: 指数}", "name: 指数, weights: ahp}")).message
    )


def test_method_settings_each_indicator_needs() -> None:
    assert (
        refused(GOOD + "pipeline: {normalise: distance_to_target}\n").field == "indicators.0.target"
    )
    assert refused(GOOD + "pipeline: {normalise: goalposts}\n").field == "indicators.0.goalposts"
    err = refused(GOOD + "pipeline: {normalise: zscore, aggregate: geometric}\n")
    assert "positive values" in err.message
    assert "group" in refused(GOOD + "pipeline: {impute: group_mean}\n").message


def test_the_shipped_frameworks() -> None:
    kunming = framework.load("kunming_social_governance")
    assert len(kunming.indicators) == 36 and kunming.children["INDEX"] == (
        "VITALITY", "SERVICE", "ENVIRONMENT",
    )  # fmt: skip
    assert all(len(kunming.children[d]) == 12 for d in kunming.children["INDEX"])
    gansu = framework.load("gansu_safety")
    assert len(gansu.indicators) == 133 and len(gansu.children["INDEX"]) == 9
    assert sum(1 for i in gansu.indicators if i.veto is not None) == 5


def test_an_excel_workbook_is_read_like_the_yaml(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "indicators"
    ws.append(
        ["code", "name", "parent", "direction", "goalposts_low", "goalposts_high", "veto_above"]
    )
    ws.append(["A", "甲", "IDX", 1, 0, 10, None])
    ws.append(["B", "乙", "IDX", -1, 0, 5, 0])
    ag = wb.create_sheet("aggregates")
    ag.append(["code", "name", "parent", "weights"])
    ag.append(["IDX", "指数", None, "ahp"])
    wb.create_sheet("ahp_IDX").append([1, 2])
    wb["ahp_IDX"].append([0.5, 1])
    pipe = wb.create_sheet("pipeline")
    pipe.append(["key", "value"])
    pipe.append(["name", "表格指数"])
    pipe.append(["normalise.method", "goalposts"])
    wb.save(tmp_path / "f.xlsx")
    fw = framework.load(tmp_path / "f.xlsx")
    assert fw.name == "表格指数" and fw.spec.pipeline.normalise.method == "goalposts"
    assert fw.indicators[1].veto is not None and fw.indicators[1].goalposts == (0, 5)
    ws.cell(row=1, column=3, value="parnet")
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(ValidationFailed) as err:
        framework.load(tmp_path / "bad.xlsx")
    assert err.value.field.startswith("indicators.0.")
