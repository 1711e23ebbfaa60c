"""``zhili insight scan``: read the recent cases as arrays, detect, describe what was found.

Counted: every case with a category and a grid except those merged into another (a merged
case repeats a problem already counted: a hotspot is of problems, not of calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.categories.models import Category
from zhili.cases.models import Case, CaseState
from zhili.core.calendar import CHINA_TZ
from zhili.insight import risks, warnings
from zhili.insight.detect.anomalies import ChangePoint, Surge
from zhili.insight.detect.hotspots import Hotspot, HotspotParams, build_zones, km_coordinates
from zhili.insight.detect.run import CaseArrays, ScanResult, scan
from zhili.insight.models import WarningKind
from zhili.insight.warnings import Detection
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User

EPOCH = date(1970, 1, 1)
HISTORY_DAYS = 365
EVIDENCE_CASES = 50  # case ids kept per warning


def local_day(at: datetime) -> int:
    return (at.astimezone(CHINA_TZ).date() - EPOCH).days


def day_start(day: int) -> datetime:
    local = datetime.combine(EPOCH + timedelta(days=day), datetime.min.time(), tzinfo=CHINA_TZ)
    return local.astimezone(UTC)


@dataclass
class Loaded:
    arrays: CaseArrays
    case_ids: np.ndarray
    grids: list[Region]
    districts: list[Region]
    categories: list[Category]


def load(session: Session, *, start: datetime, end: datetime) -> Loaded:
    """The cases of [start − a year, end) as arrays, with the grids, districts, categories."""
    grids = list(
        session.scalars(
            select(Region).where(Region.level == RegionLevel.grid.value).order_by(Region.id)
        )
    )
    districts = list(
        session.scalars(
            select(Region).where(Region.level == RegionLevel.district.value).order_by(Region.id)
        )
    )
    categories = list(
        session.scalars(
            select(Category).where(Category.parent_id.is_not(None)).order_by(Category.id)
        )
    )
    cell_of = {g.id: i for i, g in enumerate(grids)}
    area_of = {d.id: i for i, d in enumerate(districts)}
    cat_of = {c.id: i for i, c in enumerate(categories)}
    rows = session.execute(
        select(Case.id, Case.created_at, Case.category_id, Case.grid_id, Case.district_id)
        .where(
            Case.created_at >= start - timedelta(days=HISTORY_DAYS),
            Case.created_at < end,
            Case.category_id.is_not(None),
            Case.grid_id.is_not(None),
            Case.state != CaseState.merged.value,
        )
        .order_by(Case.id)
    ).all()
    kept: list[tuple[int, datetime, int, int, int]] = [
        (r[0], r[1], int(r[2]), int(r[3]), int(r[4]))
        for r in rows
        if r[2] in cat_of and r[3] in cell_of and r[4] in area_of
    ]
    ids = np.array([r[0] for r in kept], dtype=np.int64)
    day = np.array([local_day(r[1]) for r in kept], dtype=np.int64)
    arrays = CaseArrays(
        day=day,
        category=np.array([cat_of[r[2]] for r in kept], dtype=np.int64),
        cell=np.array([cell_of[r[3]] for r in kept], dtype=np.int64),
        area=np.array([area_of[r[4]] for r in kept], dtype=np.int64),
        categories=len(categories),
        areas=max(len(districts), 1),
        history_start=int(day.min()) if len(day) else local_day(start),
    )
    return Loaded(arrays, ids, grids, districts, categories)


def detect(
    loaded: Loaded, *, start: datetime, end: datetime, params: HotspotParams | None = None
) -> ScanResult:
    hp = params or HotspotParams()
    xy = km_coordinates(
        np.array([g.centroid_lon or 0.0 for g in loaded.grids]),
        np.array([g.centroid_lat or 0.0 for g in loaded.grids]),
    )
    zones = build_zones(xy, neighbours=hp.neighbours, max_radius_km=hp.max_radius_km)
    return scan(
        loaded.arrays, zones=zones, start=local_day(start), end=local_day(end), hotspot_params=hp
    )


def detections(loaded: Loaded, result: ScanResult) -> list[Detection]:
    """Hotspots, surges and change points as warnings, with the cases behind each."""
    out: list[Detection] = []
    for h in result.hotspots:
        out.append(_hotspot(loaded, h))
    for s in result.surges:
        out.append(_series(loaded, WarningKind.surge, s, s.first_day, s.last_day, s.p_value))
    for c in result.changes:
        out.append(_series(loaded, WarningKind.trend, c, c.day, c.alarm_day, None))
    return out


def run(session: Session, *, actor: User | None, start: datetime, end: datetime) -> dict[str, int]:
    """Detect over the cases of [start, end) and store new warnings (the caller commits)."""
    loaded = load(session, start=start, end=end)
    result = detect(loaded, start=start, end=end)
    found = detections(loaded, result)
    found += risks.repeat_callers(session, end=end)
    found += risks.failing_places(session, end=end)
    found += risks.slipping_units(session, end=end)
    new = warnings.store(session, actor=actor, detections=found)
    counts: dict[str, int] = {}
    for d in found:
        counts[d.kind.value] = counts.get(d.kind.value, 0) + 1
    return {"cases": len(loaded.case_ids), **counts, "new": new}


def _cases(loaded: Loaded, mask: np.ndarray) -> list[int]:
    return [int(x) for x in loaded.case_ids[mask][-EVIDENCE_CASES:]]


def _score(p: float | None, count: int) -> float:
    return float(-np.log10(max(p, 1e-300))) if p is not None else float(count)


def _hotspot(loaded: Loaded, h: Hotspot) -> Detection:
    a, cat = loaded.arrays, loaded.categories[h.category]
    grids = [loaded.grids[c] for c in h.cells]
    mask = (
        (a.category == h.category)
        & np.isin(a.cell, np.array(h.cells))
        & (a.day >= h.first_day)
        & (a.day <= h.last_day)
    )
    first, last = EPOCH + timedelta(days=h.first_day), EPOCH + timedelta(days=h.last_day)
    summary = (
        f"{grids[0].name}等{len(grids)}个网格 {first:%m-%d}至{last:%m-%d} "
        f"{cat.name} {h.count} 件（预期 {h.expected:.1f} 件）"
    )
    return Detection(
        kind=WarningKind.hotspot,
        title=f"热点：{summary}",
        region_id=grids[0].id,
        region_path=grids[0].path,
        category_id=cat.id,
        period_start=day_start(h.first_day),
        period_end=day_start(h.last_day + 1),
        score=_score(h.p_value, h.count),
        evidence={
            "summary": summary,
            "grids": [{"id": g.id, "code": g.code, "name": g.name} for g in grids],
            "category": cat.code,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "count": h.count,
            "expected": round(h.expected, 4),
            "llr": round(h.llr, 3),
            "p_value": h.p_value,
            "case_ids": _cases(loaded, mask),
        },
        fingerprint=f"hotspot:{cat.id}:{grids[0].id}:{h.first_day}",
    )


def _series(
    loaded: Loaded,
    kind: WarningKind,
    s: Surge | ChangePoint,
    first_day: int,
    last_day: int,
    p_value: float | None,
) -> Detection:
    a, cat, district = loaded.arrays, loaded.categories[s.category], loaded.districts[s.area]
    mask = (
        (a.category == s.category) & (a.area == s.area) & (a.day >= first_day) & (a.day <= last_day)
    )
    first, last = EPOCH + timedelta(days=first_day), EPOCH + timedelta(days=last_day)
    word = "激增" if kind == WarningKind.surge else "持续上升"
    summary = (
        f"{district.name} {cat.name} {first:%m-%d}至{last:%m-%d} {word}："
        f"{s.count} 件（预期 {s.expected:.1f} 件）"
    )
    return Detection(
        kind=kind,
        title=f"{'激增' if kind == WarningKind.surge else '趋势'}：{summary}",
        region_id=district.id,
        region_path=district.path,
        category_id=cat.id,
        period_start=day_start(first_day),
        period_end=day_start(last_day + 1),
        score=_score(p_value, s.count),
        evidence={
            "summary": summary,
            "district": {"id": district.id, "code": district.code, "name": district.name},
            "category": cat.code,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "count": s.count,
            "expected": round(s.expected, 4),
            "p_value": p_value,
            "case_ids": _cases(loaded, mask),
        },
        fingerprint=f"{kind.value}:{cat.id}:{district.id}:{first_day}",
    )
