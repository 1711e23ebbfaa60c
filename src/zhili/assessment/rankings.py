"""Monthly rankings (工作绩效排位): computed live until published, frozen afterwards.

Fair ranking for small samples. A unit with three cases, all satisfied, must not outrank a
unit with three hundred cases at 98 %. Each of the three rates is therefore shrunk towards
the level's pooled mean as if ``ranking_prior_cases`` more cases had the mean result
(a Bayesian average: adjusted = (numerator + k·mean) ÷ (denominator + k)); the composite is
taken over the adjusted rates. Units with fewer than ``ranking_min_cases`` cases in the month
are listed with their figures but not given a rank ("样本不足"). Whistle points (negative list,
key-whistle ratings, needless whistles) and approved adjustments are added to the composite.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.assessment.metrics import COMPOSITE_PARTS, UnitKind
from zhili.assessment.models import RankingSnapshot
from zhili.assessment.points import unit_points
from zhili.assessment.scorecards import Scorecard, empty_card, scorecards, weights
from zhili.core.calendar import CHINA_TZ
from zhili.core.config import Settings
from zhili.core.errors import ValidationFailed
from zhili.org.models import Department, Region
from zhili.org.users.models import User


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first moment, first moment of the next month) in Beijing time."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=CHINA_TZ)
    except ValueError as exc:
        raise ValidationFailed("month", "month as YYYY-MM", "月份格式应为 YYYY-MM") from exc
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def previous_month(month: str) -> str:
    start, _ = month_bounds(month)
    prev = (
        start.replace(year=start.year - 1, month=12)
        if start.month == 1
        else start.replace(month=start.month - 1)
    )
    return f"{prev:%Y-%m}"


def units_of(session: Session, kind: UnitKind) -> dict[int, dict[str, Any]]:
    if kind == UnitKind.department:
        rows = session.execute(
            select(Department.id, Department.code, Department.name).where(
                Department.is_active.is_(True)
            )
        )
        return {r.id: {"code": r.code, "name": r.name} for r in rows}
    if kind == UnitKind.grid:
        # The gridder ranking: a grid and the gridder working it, in one outer join (not an
        # IN list of every grid id: at 6 000 grids that list was most of a first ranking's time).
        units: dict[int, dict[str, Any]] = {}
        for r in session.execute(
            select(Region.id, Region.code, Region.name, User.full_name)
            .outerjoin(User, (User.region_id == Region.id) & (User.role == "gridder"))
            .where(Region.level == kind.value)
        ):
            units[r.id] = {"code": r.code, "name": r.name}
            if r.full_name is not None:
                units[r.id]["gridder"] = r.full_name
        return units
    rows = session.execute(
        select(Region.id, Region.code, Region.name).where(Region.level == kind.value)
    )
    return {r.id: {"code": r.code, "name": r.name} for r in rows}


def compute(
    session: Session, *, settings: Settings, kind: UnitKind, month: str, with_previous: bool = True
) -> list[dict[str, Any]]:
    """The ranking rows of every unit of ``kind`` for ``month``, best first."""
    start, end = month_bounds(month)
    cards = scorecards(session, settings=settings, kind=kind, start=start, end=end)
    units = units_of(session, kind)
    points = unit_points(session, kind=kind, start=start, end=end, month=month)
    w = weights(settings)
    k = settings.ranking_prior_cases
    means = {}
    for code in COMPOSITE_PARTS:
        num = sum(c.figures[code].numerator for c in cards.values())
        den = sum(c.figures[code].denominator for c in cards.values())
        means[code] = num / den if den else None
    # Most grids have no event in a month: their rows are all the same but for the unit, so
    # they are stamped from one template whose figures are shared (read-only) by all of them.
    blank = empty_card(kind, 0, start, end)
    quiet: dict[str, Any] = {
        "cases": 0,
        "composite": None,
        "adjusted_composite": None,
        "points": 0.0,
        "point_items": [],
        "score": None,
        "rates": _rates(blank),
    }
    rows = []
    for unit_id, info in units.items():
        found = cards.get(unit_id)
        p = points.get(unit_id)
        if found is None and p is None:
            rows.append({"unit_id": unit_id, **info, **quiet})
            continue
        card = found or blank
        adjusted = _adjusted(card, means, k, w) if found else None
        score = None if adjusted is None else round(adjusted + (p.total if p else 0.0), 2)
        rows.append(
            {
                "unit_id": unit_id,
                **info,
                "cases": card.cases(),
                "composite": card.composite,
                "adjusted_composite": adjusted,
                "points": p.total if p else 0.0,
                "point_items": (p.items or []) if p else [],
                "score": score,
                "rates": _rates(card),
            }
        )
    eligible = [
        r for r in rows if r["score"] is not None and r["cases"] >= settings.ranking_min_cases
    ]
    eligible.sort(key=lambda r: (-r["score"], -r["cases"], r["code"]))
    ranked = {id(r) for r in eligible}  # by identity: `r not in eligible` compared dicts
    rest = sorted((r for r in rows if id(r) not in ranked), key=lambda r: r["code"])
    for i, r in enumerate(eligible, start=1):
        r["rank"] = i
    for r in rest:
        r["rank"] = None
        r["note_zh"] = "样本不足，不参与排名" if r["cases"] else "本月无案件"
    ordered = eligible + rest
    if with_previous:
        before = previous_ranks(session, settings=settings, kind=kind, month=previous_month(month))
        for r in ordered:
            r["previous_rank"] = before.get(r["unit_id"])
            r["change"] = (
                None
                if r["rank"] is None or r["previous_rank"] is None
                else r["previous_rank"] - r["rank"]
            )
    return ordered


def _rates(card: Scorecard) -> dict[str, dict[str, Any]]:
    return {
        c: {"numerator": f.numerator, "denominator": f.denominator, "rate": f.rate}
        for c, f in card.figures.items()
    }


def _adjusted(
    card: Scorecard, means: dict[str, float | None], k: int, w: dict[str, float]
) -> float | None:
    parts = []
    for code in COMPOSITE_PARTS:
        f = card.figures[code]
        mean = means[code]
        if mean is None or f.denominator + k == 0:
            continue
        parts.append((w[code], 100.0 * (f.numerator + k * mean) / (f.denominator + k)))
    total = sum(weight for weight, _ in parts)
    if not parts or total == 0 or card.cases() == 0:
        return None
    return round(sum(weight * rate for weight, rate in parts) / total, 2)


def snapshot(session: Session, *, kind: UnitKind, month: str) -> RankingSnapshot | None:
    return session.scalar(
        select(RankingSnapshot).where(
            RankingSnapshot.level == kind.value, RankingSnapshot.month == month
        )
    )


def previous_ranks(
    session: Session, *, settings: Settings, kind: UnitKind, month: str
) -> dict[int, int | None]:
    """Last month's positions: from its published snapshot, else computed live."""
    published = snapshot(session, kind=kind, month=month)
    rows = (
        published.rows
        if published
        else compute(session, settings=settings, kind=kind, month=month, with_previous=False)
    )
    return {int(r["unit_id"]): r["rank"] for r in rows}


def rule(settings: Settings) -> dict[str, Any]:
    return {
        "weights": weights(settings),
        "prior_cases": settings.ranking_prior_cases,
        "min_cases": settings.ranking_min_cases,
    }
