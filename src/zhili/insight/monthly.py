"""The monthly issue (每月一题): which problem to take on this month.

Every leaf category with cases in the month is a candidate, measured four ways:

- **volume**: its cases in the month;
- **growth**: (month + 1) ÷ (mean of the three months before + 1);
- **dissatisfaction**: the share of its rated or revisited cases reopened, judged unresolved
  or unsatisfied;
- **spread**: the streets it came from ÷ all streets with cases in the month.

Each measure becomes a percentile rank among the candidates (so no measure's unit dominates)
and the score is their weighted mean (``WEIGHTS``, data not code: callers may pass their own).
The cases behind each candidate come with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from scipy.stats import rankdata
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.categories.models import Category
from zhili.cases.models import Case, CaseState, Satisfaction
from zhili.core.calendar import CHINA_TZ

WEIGHTS = {"volume": 0.35, "growth": 0.25, "dissatisfaction": 0.25, "spread": 0.15}
CASES_SHOWN = 100


@dataclass
class Candidate:
    category_id: int
    code: str
    name: str
    volume: int
    growth: float
    dissatisfaction: float
    spread: float
    score: float = 0.0
    ranks: dict[str, float] = field(default_factory=dict)
    case_ids: list[int] = field(default_factory=list)


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=CHINA_TZ)


def _shift(d: date, months: int) -> tuple[int, int]:
    n = d.year * 12 + d.month - 1 + months
    return n // 12, n % 12 + 1


def monthly_issue(
    session: Session,
    *,
    month: date,
    region_path: str | None = None,
    weights: dict[str, float] | None = None,
    top: int = 10,
) -> list[Candidate]:
    """Candidates for ``month`` (any day in it), best first; ``region_path`` limits the area."""
    w = weights or WEIGHTS
    lo = _month_start(*_shift(month, -3))
    start = _month_start(month.year, month.month)
    end = _month_start(*_shift(month, 1))
    query = select(
        Case.id,
        Case.created_at,
        Case.category_id,
        Case.street_id,
        Case.reopen_count,
        Case.resolved,
        Case.satisfaction,
    ).where(
        Case.created_at >= lo,
        Case.created_at < end,
        Case.category_id.is_not(None),
        Case.state != CaseState.merged.value,
    )
    if region_path:
        query = query.where(Case.region_path.startswith(region_path))
    before: dict[int, int] = defaultdict(int)
    now: dict[int, list[int]] = defaultdict(list)
    rated: dict[int, int] = defaultdict(int)
    unhappy: dict[int, int] = defaultdict(int)
    streets: dict[int, set[int]] = defaultdict(set)
    all_streets: set[int] = set()
    for cid, at, cat, street, reopens, resolved, satisfaction in session.execute(
        query.order_by(Case.id)
    ):
        cat = int(cat or 0)
        if at < start:
            before[cat] += 1
            continue
        now[cat].append(int(cid))
        if street is not None:
            streets[cat].add(int(street))
            all_streets.add(int(street))
        if reopens or resolved is not None or satisfaction is not None:
            rated[cat] += 1
            if reopens or resolved is False or satisfaction == Satisfaction.unsatisfied.value:
                unhappy[cat] += 1
    if not now:
        return []
    cats = {c.id: c for c in session.scalars(select(Category).where(Category.id.in_(list(now))))}
    out = [
        Candidate(
            category_id=cat,
            code=cats[cat].code,
            name=cats[cat].name,
            volume=len(ids),
            growth=(len(ids) + 1) / (before[cat] / 3 + 1),
            dissatisfaction=unhappy[cat] / rated[cat] if rated[cat] else 0.0,
            spread=len(streets[cat]) / max(len(all_streets), 1),
            case_ids=sorted(ids)[-CASES_SHOWN:],
        )
        for cat, ids in now.items()
        if cat in cats
    ]
    total = sum(w.values()) or 1.0
    scores = np.zeros(len(out))
    for measure, weight in w.items():
        values = np.array([getattr(c, measure) for c in out], dtype=float)
        pct = rankdata(values, method="average") / len(values)
        for c, r in zip(out, pct, strict=True):
            c.ranks[measure] = round(float(r), 4)
        scores += weight * pct
    for c, s in zip(out, scores / total, strict=True):
        c.score = round(float(s), 4)
    out.sort(key=lambda c: (-c.score, -c.volume, c.code))
    return out[:top]
