"""`zhili index …` round trips on files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from factories.indices import DATA, FW
from zhili.cli import app

runner = CliRunner()


def test_compute_writes_one_row_per_unit_with_scores_and_ranks(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(FW, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    out, details = tmp_path / "r.csv", tmp_path / "r.json"
    r = runner.invoke(
        app,
        ["index", "compute", "-f", str(tmp_path / "f.yaml"), "-d", str(tmp_path / "d.csv"),
         "--out", str(out), "--details", str(details)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(row["code"], row["IDX"], row["IDX_rank"]) for row in rows] == [
        ("u1", "50.0", "2"), ("u2", "41.6667", "3"), ("u3", "58.3333", "1"),
    ]  # fmt: skip
    assert json.loads(details.read_text())["units"][0]["strengths"][0]["code"] == "B"


def test_demo_data_then_compute_and_uncertainty_for_a_shipped_framework(tmp_path: Path) -> None:
    data, out, unc = tmp_path / "d.csv", tmp_path / "r.csv", tmp_path / "u.csv"
    fw = ["-f", "gansu_safety"]
    r = runner.invoke(app, ["index", "demo-data", *fw, "--level", "street", "-o", str(data)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["index", "compute", *fw, "-d", str(data), "-o", str(out)])
    assert r.exit_code == 0, r.output
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:4] == ["code", "name", "INDEX", "INDEX_rank"] and "PUBLIC_SAFETY_rank" in header
    r = runner.invoke(
        app, ["index", "uncertainty", *fw, "-d", str(data), "-o", str(unc), "--runs", "70"]
    )
    assert r.exit_code == 0, r.output
    assert "Sobol" in r.output and len(unc.read_text().splitlines()) == 13  # 12 streets


def test_errors_are_reported_in_both_languages(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(FW.replace("parent: D2}", "parent: NOPE}"), encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    r = runner.invoke(
        app, ["index", "compute", "-f", str(tmp_path / "f.yaml"), "-d", str(tmp_path / "d.csv"),
              "-o", str(tmp_path / "r.csv")],
    )  # fmt: skip
    assert r.exit_code == 1 and "NOPE" in r.output and "错误" in r.output
