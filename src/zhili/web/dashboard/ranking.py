"""三率 rankings on the dashboard: the assessment's own monthly ranking, cut to the units shown.

The figures are the assessment package's (scorecards over its rollup, small-sample shrinkage,
whistle points), so the dashboard and the 工作绩效排位 page can never disagree; a published
month is read from its frozen snapshot; the live month is recomputed at most every
``rankings_ttl_seconds`` (``RankingCache``). Ranks are the level's city-wide ranks: a district
leader sees where their streets stand among all streets.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.assessment import rankings
from zhili.assessment.metrics import COMPOSITE_PARTS, UnitKind
from zhili.core.calendar import CHINA_TZ
from zhili.core.config import Settings
from zhili.org.models import Department, Region, RegionLevel
from zhili.web.dashboard.scope import child_level


@dataclass
class RankRow:
    unit_id: int
    name: str
    rank: int | None
    score: float | None
    cases: int
    rates: dict[str, float | None]
    note: str | None = None


@dataclass
class Ranking:
    month: str
    published: bool
    level: str | None
    units: list[RankRow] = field(default_factory=list)
    departments: list[RankRow] = field(default_factory=list)


def current_month(now: datetime) -> str:
    return f"{now.astimezone(CHINA_TZ):%Y-%m}"


class RankingCache:
    """Live monthly rankings, kept for ``ttl`` seconds per level and month.

    A month's ranking moves slowly, but computing it for the 6 000 grids of a city takes
    seconds; every dashboard on screen refreshes every half minute. A published month is
    read from its snapshot and never cached (it cannot change).
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._rows: dict[tuple[str, str], tuple[float, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def rows(
        self, session: Session, settings: Settings, kind: UnitKind, month: str
    ) -> tuple[list[dict[str, Any]], bool]:
        snap = rankings.snapshot(session, kind=kind, month=month)
        if snap is not None:
            return list(snap.rows), True
        key = (kind.value, month)
        with self._lock:
            hit = self._rows.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1], False
        return self._compute(session, settings, kind, month), False

    def _compute(
        self, session: Session, settings: Settings, kind: UnitKind, month: str
    ) -> list[dict[str, Any]]:
        rows = rankings.compute(
            session, settings=settings, kind=kind, month=month, with_previous=False
        )
        with self._lock:
            self._rows[(kind.value, month)] = (time.monotonic(), rows)
        return rows

    def warm(self, session: Session, settings: Settings, month: str) -> list[UnitKind]:
        """Compute every level's live ranking of ``month`` now, off the request path.

        ``zhili serve`` calls this after each supervision tick (every minute by default,
        inside the TTL), so no leader's screen waits for the 6 000 grids to be ranked.
        Returns the levels computed (a published month needs none).
        """
        done = []
        for kind in UnitKind:
            if rankings.snapshot(session, kind=kind, month=month) is None:
                self._compute(session, settings, kind, month)
                done.append(kind)
        return done


def _cut(rows: list[dict[str, Any]], keep: set[int]) -> list[RankRow]:
    out = []
    for r in rows:
        if int(r["unit_id"]) not in keep:
            continue
        out.append(
            RankRow(
                unit_id=int(r["unit_id"]),
                name=str(r["name"]),
                rank=r.get("rank"),
                score=r.get("score"),
                cases=int(r.get("cases") or 0),
                rates={c: r["rates"][c]["rate"] for c in COMPOSITE_PARTS},
                note=r.get("note_zh"),
            )
        )
    # ranked units by rank, then the unranked (too few cases) by score and name
    return sorted(
        out,
        key=lambda x: (x.rank is None, x.rank or 0, x.score is None, -(x.score or 0), x.name),
    )


def ranking(
    session: Session, *, settings: Settings, region: Region, month: str, cache: RankingCache
) -> Ranking:
    """The child units of ``region`` and, for a city or district, its departments."""
    rankings.month_bounds(month)  # 422 on a malformed month
    level = child_level(region.level)
    result = Ranking(month=month, published=False, level=level.value if level else None)
    if level is not None:
        children = set(
            session.scalars(
                select(Region.id).where(Region.parent_id == region.id, Region.level == level.value)
            )
        )
        rows, published = cache.rows(session, settings, UnitKind(level.value), month)
        result.units = _cut(rows, children)
        result.published = published
    if region.level in (RegionLevel.city.value, RegionLevel.district.value):
        query = select(Department.id).where(Department.is_active.is_(True))
        if region.parent_id is not None:
            query = query.where(Department.region_id == region.id)
        departments = set(session.scalars(query))
        rows, _ = cache.rows(session, settings, UnitKind.department, month)
        result.departments = _cut(rows, departments)
    return result
