"""A framework from an Excel workbook, as offices keep them.

Sheets (header row first, headers are the YAML field names):

- ``indicators``: code, name, parent, direction, weight, unit, column, denominator, per,
  target, goalposts_low, goalposts_high, veto_above, veto_below, source, description
- ``aggregates``: code, name, parent, weight, aggregate, weights, description
- ``pipeline`` (optional): two columns, a dotted key (``normalise.method``) and its value;
  ``name`` and ``description`` of the framework may be given here too
- ``ahp_<CODE>`` (optional): the pairwise matrix of aggregate CODE, numbers only

An unknown header is refused by the schema like an unknown YAML key.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from zhili.core.errors import ValidationFailed

_TOP = {"name", "description", "version"}


def _records(rows: list[list[Any]], sheet: str) -> list[dict[str, Any]]:
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = []
    for row in rows[1:]:
        if all(c is None or c == "" for c in row):
            continue
        rec = {h: v for h, v in zip(header, row, strict=False) if h and v not in (None, "")}
        low, high = rec.pop("goalposts_low", None), rec.pop("goalposts_high", None)
        if low is not None or high is not None:
            rec["goalposts"] = [low, high]
        above, below = rec.pop("veto_above", None), rec.pop("veto_below", None)
        if above is not None:
            rec["veto"] = {"above": above}
        if below is not None:
            rec["veto"] = {"below": below}
        for key in ("code", "parent", "column", "denominator"):
            if key in rec:
                rec[key] = str(rec[key]).strip()
        out.append(rec)
    return out


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *path, last = dotted.split(".")
    for key in path:
        node = tree.setdefault(key, {})
        if not isinstance(node, dict):
            node = tree[key] = {"method": node}
        tree = node
    tree[last] = value


def framework_data_from_bytes(raw: bytes, name: str) -> dict[str, Any]:
    return framework_data(io.BytesIO(raw), name=Path(name).stem)


def framework_data(source: Path | io.BytesIO, *, name: str | None = None) -> dict[str, Any]:
    """The workbook as the same plain data a YAML framework file gives."""
    wb = load_workbook(source, read_only=True, data_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    wb.close()
    for required in ("indicators", "aggregates"):
        if required not in sheets:
            raise ValidationFailed(
                required, f"the workbook has no '{required}' sheet", f"工作簿缺少 {required} 工作表"
            )
    data: dict[str, Any] = {"name": name or (source.stem if isinstance(source, Path) else "")}
    data["indicators"] = _records(sheets["indicators"], "indicators")
    data["aggregates"] = _records(sheets["aggregates"], "aggregates")
    pipeline: dict[str, Any] = {}
    for row in sheets.get("pipeline", [])[1:]:
        if not row or row[0] in (None, ""):
            continue
        key, value = str(row[0]).strip(), row[1] if len(row) > 1 else None
        _set(data if key in _TOP else pipeline, key, value)
    if pipeline:
        data["pipeline"] = pipeline
    by_code = {a["code"]: a for a in data["aggregates"] if "code" in a}
    for title, rows in sheets.items():
        if title.startswith("ahp_"):
            code = title[4:]
            if code not in by_code:
                raise ValidationFailed(
                    title,
                    f"sheet {title}: no aggregate {code}",
                    f"工作表 {title} 对应的汇总项不存在",
                )
            by_code[code]["ahp"] = [[c for c in r if c is not None] for r in rows if any(r)]
    return data
