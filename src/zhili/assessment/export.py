"""Scorecards and rankings as Excel workbooks with Chinese headers (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zhili.assessment.metrics import METRICS, UNIT_LABELS_ZH, UnitKind
from zhili.assessment.scorecards import Scorecard

_HEAD = Font(bold=True, color="FFFFFF")
_FILL = PatternFill("solid", fgColor="1F4E79")


def _sheet_header(ws: Any, headers: list[str]) -> None:
    ws.append(headers)
    for i, _ in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = _HEAD, _FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = 14
    ws.freeze_panes = "C2"


def _bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def scorecards_workbook(
    kind: UnitKind, period: str, units: dict[int, dict[str, Any]], cards: Iterable[Scorecard]
) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{UNIT_LABELS_ZH[kind]}考核"
    headers = ["单位代码", "单位名称", "三率综合"]
    for m in METRICS:
        headers += [f"{m.name_zh}(%)", f"{m.name_zh}分子", f"{m.name_zh}分母"]
    _sheet_header(ws, headers)
    for card in sorted(cards, key=lambda c: units.get(c.unit_id, {}).get("code", "")):
        info = units.get(card.unit_id, {})
        row: list[Any] = [info.get("code"), info.get("name"), card.composite]
        for m in METRICS:
            f = card.figures[m.code]
            row += [f.rate, f.numerator, f.denominator]
        ws.append(row)
    ws.append([])
    ws.append([f"统计期间：{period}；比率为百分数，分母为 0 时留空（无可统计事项）"])
    return _bytes(wb)


def ranking_workbook(
    kind: UnitKind, month: str, rows: list[dict[str, Any]], *, published: bool
) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{month}排名"
    _sheet_header(
        ws,
        [
            "名次",
            "单位代码",
            "单位名称",
            "得分",
            "三率综合",
            "修正后综合",
            "加减分",
            "案件数",
            "上月名次",
            "名次变化",
            "说明",
        ],
    )
    for r in rows:
        ws.append(
            [
                r.get("rank"),
                r.get("code"),
                r.get("name"),
                r.get("score"),
                r.get("composite"),
                r.get("adjusted_composite"),
                r.get("points"),
                r.get("cases"),
                r.get("previous_rank"),
                r.get("change"),
                r.get("note_zh", ""),
            ]
        )
    ws.append([])
    state = "已发布（冻结）" if published else "未发布（实时计算）"
    ws.append([f"{UNIT_LABELS_ZH[kind]}排名，{month}，{state}"])
    return _bytes(wb)
