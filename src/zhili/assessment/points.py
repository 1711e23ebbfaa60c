"""Whistle points per unit and period: negative-list deductions, key-whistle ratings, the
departments' view of street whistles, and approved adjustments. Read-only.

What is decided by people (ratings, adjustments) is stored; what the events show (late
report-ins, returns, unfinished parts) is counted here, so it can never be typed in by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from zhili.assessment.metrics import UnitKind
from zhili.assessment.models import ScoreAdjustment, WhistleFeedback, WhistleRating
from zhili.cases.models import Case, CaseEvent
from zhili.cases.whistles.models import SummonsState, Whistle, WhistleSummons, WhistleType

S, W = WhistleSummons, Whistle  # short names keep the grouped queries readable


@lru_cache(maxsize=1)
def negative_list() -> dict[str, Any]:
    text = resources.files("zhili.assessment").joinpath("negative_list.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@dataclass
class Points:
    """Whistle and adjustment points of one unit in one period, with their reasons."""

    total: float = 0.0
    items: list[dict[str, Any]] | None = None

    def add(self, code: str, name: str, points: float, count: int = 1) -> None:
        if count == 0 or points == 0:
            return
        self.items = self.items or []
        self.items.append({"code": code, "name": name, "count": count, "points": points * count})
        self.total = round(self.total + points * count, 2)


def department_points(
    session: Session, *, start: datetime, end: datetime, month: str | None
) -> dict[int, Points]:
    """Negative-list deductions (daily whistles), key-whistle ratings and adjustments."""
    rules = {r["code"]: r for r in negative_list()["rules"]}
    out: dict[int, Points] = {}

    def pts(dept: int) -> Points:
        return out.setdefault(dept, Points())

    daily = and_(W.type == WhistleType.daily.value, W.blown_at >= start, W.blown_at < end)
    # every summons of a daily whistle blown in the period, joined to its whistle and case
    summons = select(S.department_id, func.count()).select_from(S).join(W, W.id == S.whistle_id)
    late = session.execute(
        summons.where(daily, S.reported_late.is_(True), S.reported_at.is_not(None)).group_by(
            S.department_id
        )
    )
    for dept, n in late:
        pts(dept).add(
            "late_report_in", rules["late_report_in"]["name"], rules["late_report_in"]["points"], n
        )
    absent = session.execute(
        summons.where(
            daily, S.state == SummonsState.summoned.value, S.report_due_at < end
        ).group_by(S.department_id)
    )
    for dept, n in absent:
        pts(dept).add(
            "no_report_in", rules["no_report_in"]["name"], rules["no_report_in"]["points"], n
        )
    unfinished = session.execute(
        summons.join(Case, Case.id == W.case_id)
        .where(daily, S.state == SummonsState.reported.value, Case.deadline_at < end)
        .group_by(S.department_id)
    )
    for dept, n in unfinished:
        pts(dept).add("no_result", rules["no_result"]["name"], rules["no_result"]["points"], n)
    # 推诿: a summoned department sending the case back instead of doing its part
    buck = session.execute(
        select(CaseEvent.unit_department_id, func.count())
        .where(
            CaseEvent.action == "return",
            CaseEvent.at >= start,
            CaseEvent.at < end,
            CaseEvent.unit_department_id.is_not(None),
            select(S.id)
            .where(
                S.whistle_id == W.id,
                W.case_id == CaseEvent.case_id,
                S.department_id == CaseEvent.unit_department_id,
            )
            .exists(),
        )
        .group_by(CaseEvent.unit_department_id)
    )
    for buck_dept, n in buck:
        assert buck_dept is not None  # filtered above
        pts(buck_dept).add(
            "passing_the_buck",
            rules["passing_the_buck"]["name"],
            rules["passing_the_buck"]["points"],
            n,
        )
    step = float(negative_list()["key_whistle_step"])
    ratings = session.execute(
        select(
            WhistleRating.department_id,
            (WhistleRating.report_in + WhistleRating.result + WhistleRating.attitude),
        )
        .join(W, W.id == WhistleRating.whistle_id)
        .where(W.blown_at >= start, W.blown_at < end)
    )
    for dept, total in ratings:
        pts(dept).add("key_whistle_rating", "重点哨一案一评", round((total / 3 - 3) * step, 2))
    _adjustments(session, out, UnitKind.department, month)
    return out


def street_points(
    session: Session, *, start: datetime, end: datetime, month: str | None
) -> dict[int, Points]:
    """Departments' view of each street's whistles: needless ones count against it."""
    cfg = negative_list()["street"]
    out: dict[int, Points] = {}
    rows = session.execute(
        select(Whistle.blown_by_region_id, WhistleFeedback.needless, WhistleFeedback.quality)
        .join(Whistle, Whistle.id == WhistleFeedback.whistle_id)
        .where(Whistle.blown_at >= start, Whistle.blown_at < end)
    )
    for street, needless, quality in rows:
        p = out.setdefault(street, Points())
        if needless:
            p.add("needless_whistle", "无效吹哨", float(cfg["needless_whistle"]))
        p.add(
            "whistle_quality", "吹哨质量评价", round((quality - 3) * float(cfg["quality_step"]), 2)
        )
    _adjustments(session, out, UnitKind.street, month)
    return out


def _adjustments(
    session: Session, out: dict[int, Points], kind: UnitKind, month: str | None
) -> None:
    if month is None:
        return
    rows = session.execute(
        select(ScoreAdjustment.unit_id, ScoreAdjustment.points, ScoreAdjustment.reason).where(
            ScoreAdjustment.unit_kind == kind.value,
            ScoreAdjustment.month == month,
            ScoreAdjustment.state == "approved",
        )
    )
    for unit_id, points, reason in rows:
        out.setdefault(unit_id, Points()).add("adjustment", f"加减分：{reason}", float(points))


def unit_points(
    session: Session, *, kind: UnitKind, start: datetime, end: datetime, month: str | None
) -> dict[int, Points]:
    if kind == UnitKind.department:
        return department_points(session, start=start, end=end, month=month)
    if kind == UnitKind.street:
        return street_points(session, start=start, end=end, month=month)
    out: dict[int, Points] = {}
    _adjustments(session, out, kind, month)
    return out
