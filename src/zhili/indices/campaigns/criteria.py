"""The criteria catalogue (测评体系) from an Excel workbook, checked row by row.

The first sheet, header row first; headers are matched by name, so columns may come in any
order (unknown headers are refused, so a typo is not silently ignored):

    编号 | 来源要求 | 测评标准 | 分值 | 测评方法 | 印证材料 | 点位类型 |
    每项扣分 | 扣分上限 | 问卷题目 | 零分比率 | 满分比率 | 责任部门

- 测评方法: one of 实地调查 网上评估 部门审核 实地监测 问卷调查 (or the code names).
- 印证材料, 点位类型: several items separated by ；、, or new lines.
- Site methods (实地调查 网上评估 实地监测) need 每项扣分: a failed check item deducts it; an
  item may also deduct points the evaluator names. 扣分上限 caps the deductions (default: the
  full score). 部门审核 deducts 每项扣分 (default: full ÷ number of materials) per required
  material not accepted. 问卷调查 names the question whose rate maps linearly from 零分比率
  (0 points) to 满分比率 (full score); rates as 0.8, 80 or 80%.
- 责任部门: a department code; that department reviews the units' materials.

Every problem of every row is collected before anything is written: a file with one bad row
imports nothing, and the report names each row, column and reason.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook

from zhili.core.errors import ValidationFailed
from zhili.indices.campaigns.models import CHECKED_METHODS, METHOD_LABELS_ZH, Method

HEADERS: dict[str, str] = {
    "编号": "code",
    "来源要求": "requirement",
    "测评标准": "name",
    "分值": "full_score",
    "测评方法": "method",
    "印证材料": "evidence",
    "点位类型": "site_types",
    "每项扣分": "per_item",
    "扣分上限": "cap",
    "问卷题目": "question",
    "零分比率": "zero_at",
    "满分比率": "full_at",
    "责任部门": "department",
}
REQUIRED = ("编号", "测评标准", "分值", "测评方法")
_METHODS = {**{label: m for m, label in METHOD_LABELS_ZH.items()}, **{m.value: m for m in Method}}
_SPLIT = re.compile(r"[;；、,，\n]+")
MAX_ROWS = 5000


@dataclass
class Problem:
    row: int
    column: str
    message: str
    message_zh: str


class ImportRejected(ValidationFailed):
    """A catalogue file with problems: 422 listing every row, column and reason."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(
            "file",
            f"{len(problems)} problem(s); row {first.row} {first.column}: {first.message}",
            f"共 {len(problems)} 处错误；第 {first.row} 行「{first.column}」：{first.message_zh}",
        )
        self.problems = problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "detail": [
                {
                    "loc": ["body", "file", p.row, p.column],
                    "msg": p.message,
                    "msg_zh": p.message_zh,
                    "type": "value_error",
                }
                for p in self.problems
            ],
        }


@dataclass
class CriterionRow:
    row: int
    code: str
    requirement: str
    name: str
    full_score: float
    method: Method
    evidence: list[str] = field(default_factory=list)
    site_types: list[str] = field(default_factory=list)
    per_item: float | None = None
    cap: float | None = None
    question: str | None = None
    zero_at: float | None = None
    full_at: float | None = None
    department: str | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores the code 1 as 1.0
    return str(value).strip()


def _items(value: Any) -> list[str]:
    return [part.strip() for part in _SPLIT.split(_text(value)) if part.strip()]


class _Row:
    """One data row being checked; problems accumulate instead of stopping at the first."""

    def __init__(self, number: int, values: dict[str, Any], problems: list[Problem]) -> None:
        self.number, self.values, self.problems = number, values, problems

    def bad(self, column: str, message: str, message_zh: str) -> None:
        self.problems.append(Problem(self.number, column, message, message_zh))

    def number_of(self, column: str, *, rate: bool = False) -> float | None:
        raw = self.values.get(column)
        text = _text(raw)
        if text == "":
            return None
        percent = text.endswith("%")
        try:
            value = float(text.rstrip("%"))
        except ValueError:
            self.bad(column, f"not a number: {text}", f"不是数字：{text}")
            return None
        if rate and (percent or value > 1):
            value /= 100  # 80 and 80% both mean 0.8
        if value < 0 or (rate and value > 1):
            self.bad(column, f"out of range: {text}", f"超出范围：{text}")
            return None
        return value


def _check(r: _Row) -> CriterionRow | None:
    v = r.values
    code, name = _text(v.get("编号")), _text(v.get("测评标准"))
    if not code:
        r.bad("编号", "missing", "不能为空")
    elif len(code) > 32:
        r.bad("编号", "longer than 32 characters", "超过 32 个字符")
    if not name:
        r.bad("测评标准", "missing", "不能为空")
    full = r.number_of("分值")
    if full is None or full <= 0:
        if _text(v.get("分值")) == "" or full is not None:
            r.bad("分值", "must be a positive number", "须为正数")
        full = None
    method = _METHODS.get(_text(v.get("测评方法")))
    if method is None:
        r.bad(
            "测评方法",
            f"unknown method {_text(v.get('测评方法'))!r}",
            f"未知测评方法「{_text(v.get('测评方法'))}」，须为{'、'.join(METHOD_LABELS_ZH.values())}之一",
        )
    per_item, cap = r.number_of("每项扣分"), r.number_of("扣分上限")
    zero_at, full_at = r.number_of("零分比率", rate=True), r.number_of("满分比率", rate=True)
    evidence, question = _items(v.get("印证材料")), _text(v.get("问卷题目")) or None
    if full is not None and cap is not None and cap > full:
        r.bad("扣分上限", "larger than the full score", "不能大于分值")
    if method in CHECKED_METHODS and per_item is None:
        r.bad("每项扣分", "site methods need a per-item deduction", "实地类测评方法须填写每项扣分")
    if method == Method.department_review and not evidence:
        r.bad("印证材料", "department review needs the materials", "部门审核须列明印证材料")
    if method == Method.questionnaire:
        if question is None:
            r.bad(
                "问卷题目", "a questionnaire criterion names its question", "问卷调查须填写题目编号"
            )
        lo, hi = zero_at if zero_at is not None else 0.0, full_at if full_at is not None else 1.0
        if lo >= hi:
            r.bad("满分比率", "must be above the zero-score rate", "须大于零分比率")
    if full is None or method is None or not code or not name:
        return None
    return CriterionRow(
        row=r.number,
        code=code,
        requirement=_text(v.get("来源要求")),
        name=name,
        full_score=full,
        method=method,
        evidence=evidence,
        site_types=_items(v.get("点位类型")),
        per_item=per_item,
        cap=cap,
        question=question,
        zero_at=zero_at,
        full_at=full_at,
        department=_text(v.get("责任部门")) or None,
    )


def parse_workbook(data: bytes, *, departments: dict[str, int]) -> list[CriterionRow]:
    """Every row checked, or ImportRejected with all problems. ``departments``: code → id."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRejected(
            [Problem(0, "file", f"not an .xlsx workbook: {exc}", "不是有效的 Excel（.xlsx）文件")]
        ) from exc
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    problems: list[Problem] = []
    if not rows:
        raise ImportRejected([Problem(1, "file", "the sheet is empty", "工作表为空")])
    header = [_text(h) for h in rows[0]]
    for h in header:
        if h and h not in HEADERS:
            problems.append(Problem(1, h, "unknown column", "无法识别的列名"))
    for h in REQUIRED:
        if h not in header:
            problems.append(Problem(1, h, "required column missing", "缺少必需的列"))
    if problems:
        raise ImportRejected(problems)
    if len(rows) - 1 > MAX_ROWS:
        raise ImportRejected([Problem(0, "file", f"more than {MAX_ROWS} rows", "行数过多")])
    out: list[CriterionRow] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if all(_text(c) == "" for c in cells):
            continue
        values = {h: c for h, c in zip(header, cells, strict=False) if h}
        row = _Row(number, values, problems)
        checked = _check(row)
        if checked is None:
            continue
        if checked.code in seen:
            row.bad(
                "编号",
                f"duplicate of row {seen[checked.code]}",
                f"与第 {seen[checked.code]} 行重复",
            )
            continue
        seen[checked.code] = number
        if checked.department is not None and checked.department not in departments:
            row.bad(
                "责任部门",
                f"unknown department {checked.department}",
                f"未知部门代码 {checked.department}",
            )
            continue
        out.append(checked)
    if not out and not problems:
        problems.append(Problem(2, "file", "no criteria in the file", "文件中没有测评标准"))
    if problems:
        raise ImportRejected(problems)
    return out
