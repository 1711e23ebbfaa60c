"""The data an index is computed from: one row per unit (``code``, ``name``, group columns,
indicator columns, denominator columns), read from CSV or Excel; and CSV out.

Cells stay as read until a column is used, so a stray "12,3" in an indicator column is a 422
naming the row and column, while text columns (groups) are left alone.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from openpyxl import load_workbook

from zhili.core.errors import ValidationFailed

Array = NDArray[np.float64]
Cell = str | float | int | None
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "—", "缺失", "无数据"})


@dataclass
class Table:
    codes: list[str]
    names: list[str]
    cells: dict[str, list[Cell]] = field(default_factory=dict)
    # parsed columns: an uncertainty analysis reads every column once per choice of method
    _parsed: dict[str, Array] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def columns(self) -> list[str]:
        return list(self.cells)

    def numbers(self, column: str) -> Array:
        """The column as floats, NaN where missing; 422 naming the first cell that is not a
        number."""
        if column in self._parsed:
            return self._parsed[column].copy()
        out = np.empty(self.n)
        for i, cell in enumerate(self.cells[column]):
            if cell is None or (isinstance(cell, str) and cell.strip().lower() in MISSING):
                out[i] = math.nan
                continue
            try:
                out[i] = float(cell)
            except ValueError:
                raise ValidationFailed(
                    f"data.{column}",
                    f"row {i + 2} ({self.codes[i]}), column {column}: {cell!r} is not a number",
                    f"第 {i + 2} 行（{self.codes[i]}）{column} 列不是数值：{cell}",
                ) from None
        self._parsed[column] = out
        return out.copy()

    def texts(self, column: str) -> list[str]:
        return ["" if c is None else str(c) for c in self.cells[column]]

    def with_column(self, column: str, values: Sequence[Cell]) -> Table:
        cells = dict(self.cells)
        cells[column] = list(values)
        return Table(self.codes, self.names, cells)


def from_rows(header: Sequence[Cell], rows: Sequence[Sequence[Cell]]) -> Table:
    names = [str(h).strip() if h is not None else "" for h in header]
    if "code" not in names:
        raise ValidationFailed(
            "data.code", "the data needs a 'code' column (one row per unit)", "数据缺少 code 列"
        )
    dup = {h for h in names if names.count(h) > 1 and h}
    if dup:
        raise ValidationFailed(
            f"data.{sorted(dup)[0]}", f"column {sorted(dup)[0]} appears twice", "列名重复"
        )
    body = [
        list(r) + [None] * (len(names) - len(r))
        for r in rows
        if any(c not in (None, "") for c in r)
    ]
    columns = {h: [r[j] for r in body] for j, h in enumerate(names) if h}
    codes = [str(c).strip() if c is not None else "" for c in columns.pop("code")]
    for i, c in enumerate(codes):
        if not c:
            raise ValidationFailed(
                "data.code", f"row {i + 2} has no code", f"第 {i + 2} 行缺少代码"
            )
        if c in codes[:i]:
            raise ValidationFailed(
                "data.code", f"unit {c} appears twice (row {i + 2})", f"单位 {c} 重复"
            )
    unit_names = [
        str(x) if x not in (None, "") else codes[i]
        for i, x in enumerate(columns.pop("name", [None] * len(codes)))
    ]
    if not codes:
        raise ValidationFailed("data", "the data has no rows", "数据为空")
    return Table(codes, unit_names, columns)


def read_csv_text(text: str) -> Table:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise ValidationFailed("data", "the data file is empty", "数据文件为空")
    return from_rows(rows[0], rows[1:])


def read_xlsx(source: Path | io.BytesIO) -> Table:
    wb = load_workbook(source, read_only=True, data_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    if not rows:
        raise ValidationFailed("data", "the worksheet is empty", "工作表为空")
    return from_rows(rows[0], rows[1:])


def read(path: Path) -> Table:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    return read_csv_text(path.read_text(encoding="utf-8-sig"))


def write_csv(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if c is None or (isinstance(c, float) and math.isnan(c)) else c for c in row]
        )
    return out.getvalue()
