"""Reports as Excel workbooks (openpyxl), Chinese headers, numbers as numbers."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zhili.indices.campaigns.models import METHOD_LABELS_ZH, Method
from zhili.indices.campaigns.reports import Report, criterion_rates, unit_of
from zhili.indices.campaigns.scoring import UnitScore

_HEAD = Font(bold=True, color="FFFFFF")
_FILL = PatternFill("solid", fgColor="1F4E79")
_SHORT = Font(color="C0392B", bold=True)


def _sheet(wb: Workbook, title: str, headers: list[str], first: bool = False) -> Any:
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(headers)
    for i, _ in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = _HEAD, _FILL
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = 14
    ws.freeze_panes = "A2"
    return ws


def _bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _criteria_sheet(wb: Workbook, unit: UnitScore, first: bool) -> None:
    ws = _sheet(
        wb, "得分明细",
        ["编号", "测评标准", "测评方法", "分值", "得分", "短板", "说明"], first=first,
    )  # fmt: skip
    for c in unit.criteria:
        ws.append(
            [c.code, c.name, METHOD_LABELS_ZH[Method(c.method)], c.full, c.score,
             "是" if c.shortfall else "", c.detail]
        )  # fmt: skip
        if c.shortfall:
            ws.cell(row=ws.max_row, column=5).font = _SHORT


def _surveys_sheet(wb: Workbook, units: list[UnitScore]) -> None:
    ws = _sheet(
        wb,
        "问卷调查",
        ["单位", "题目编号", "题目", "样本量", "肯定回答", "比率", "置信下限", "置信上限"],
    )
    for u in units:
        for t in u.surveys.values():
            d = t.as_dict()
            ws.append([u.name, d["code"], d["text"], d["n"], d["positive"], d["rate"],
                       d["ci_low"], d["ci_high"]])  # fmt: skip
    ws.append([])
    ws.append(["比率为肯定回答占作答人数之比；置信区间为 95% Wilson 区间"])


def _tasks_sheets(wb: Workbook, report: Report, region_id: int | None) -> None:
    tasks = [t for t in report.tasks if region_id is None or t["region_id"] == region_id]
    if tasks:
        ws = _sheet(
            wb,
            "整改任务",
            ["单位", "编号", "测评标准", "原得分", "分值", "负责人", "整改期限", "状态"],
        )
        for t in tasks:
            ws.append([t["unit_name"], t["criterion_code"], t["criterion_name"], t["score_before"],
                       t["full_score"], t["owner"], t["deadline"], t["state"]])  # fmt: skip
    rows = [f for f in report.follow_up or [] if region_id is None or f["region_id"] == region_id]
    if report.follow_up is not None:
        ws = _sheet(wb, "回头看", ["单位", "编号", "测评标准", "整改前", "回头看", "变化", "结论"])
        for f in rows:
            verdict = "" if f["fixed"] is None else ("已整改到位" if f["fixed"] else "仍为短板")
            ws.append([f["unit_name"], f["criterion_code"], f["criterion_name"], f["score_before"],
                       f["score_after"], f["change"], verdict])  # fmt: skip


def unit_workbook(report: Report, region_id: int) -> bytes:
    unit = unit_of(report, region_id)
    wb = Workbook()
    ws = _sheet(
        wb,
        "总体情况",
        ["单位代码", "单位名称", "得分", "应得分", "得分率(%)", "名次", "单位数"],
        first=True,
    )
    ws.append(
        [unit.code, unit.name, unit.total, unit.full, unit.rate, unit.rank, report.total_units]
    )
    _criteria_sheet(wb, unit, first=False)
    _surveys_sheet(wb, [unit])
    _tasks_sheets(wb, report, region_id)
    return _bytes(wb)


def overall_workbook(report: Report) -> bytes:
    wb = Workbook()
    ws = _sheet(
        wb,
        "总排名",
        ["名次", "单位代码", "单位名称", "得分", "应得分", "得分率(%)", "短板数"],
        first=True,
    )
    for u in sorted(report.units, key=lambda u: (u.rank is None, u.rank or 0, u.code)):
        ws.append([u.rank, u.code, u.name, u.total, u.full, u.rate,
                   sum(1 for c in u.criteria if c.shortfall)])  # fmt: skip
    criteria = report.units[0].criteria if report.units else []
    ws = _sheet(wb, "得分矩阵", ["单位代码", "单位名称", *(f"{c.code} {c.name}" for c in criteria)])
    for u in report.units:
        ws.append([u.code, u.name, *(c.score for c in u.criteria)])
    ws = _sheet(wb, "测评标准", ["编号", "测评标准", "测评方法", "平均得分率(%)", "短板单位数"])
    for c in criterion_rates(report.units):
        ws.append([c["code"], c["name"], c["method"], c["rate"], c["shortfalls"]])
    _surveys_sheet(wb, report.units)
    _tasks_sheets(wb, report, None)
    return _bytes(wb)
