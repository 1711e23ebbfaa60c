"""Risk lists (风险清单): people, places and units heading for trouble.

- **Repeat complainants** (重复来电): one caller (by phone, or account) behind ``min_cases`` or
  more cases in ``window`` days, at least one of them still open, reopened, unresolved or
  unsatisfied, or ``min_cases`` of them about the same problem (category and grid) — the risk
  of escalation to a petition (信访). Personal data stays masked.
- **Places with repeated failures** (反复失败的地点): grids with ``min_cases`` or more cases
  reopened, judged unresolved or unsatisfied in ``window`` days.
- **Units whose response is slipping** (响应下滑): a unit's on-time rate over the last
  ``recent_days`` against the ``prior_days`` before, flagged when it fell by at least
  ``min_drop`` and a one-sided two-proportion z-test gives z ≥ ``min_z``.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhili.cases.models import OPEN_STATES, Case, CaseCaller, CaseEvent, Satisfaction
from zhili.core.security import mask_phone
from zhili.insight.models import WarningKind
from zhili.insight.warnings import Detection
from zhili.org.models import Department, Region

_OPEN = [s.value for s in OPEN_STATES]


@dataclass(frozen=True, slots=True)
class RiskParams:
    window_days: int = 90
    min_cases: int = 3
    recent_days: int = 28
    prior_days: int = 56
    min_events: int = 10
    min_drop: float = 0.10
    min_z: float = 2.33


def _troubled(case: Any) -> bool:
    return (
        case.state in _OPEN
        or case.reopen_count > 0
        or case.resolved is False
        or case.satisfaction == Satisfaction.unsatisfied.value
    )


def mask_name(name: str | None) -> str | None:
    return name[0] + "*" * max(len(name) - 1, 1) if name else name


def repeat_callers(
    session: Session, *, end: datetime, params: RiskParams | None = None
) -> list[Detection]:
    p = params or RiskParams()
    start = end - timedelta(days=p.window_days)
    rows = session.execute(
        select(CaseCaller.phone, CaseCaller.user_id, CaseCaller.name, Case)
        .join(Case, Case.id == CaseCaller.case_id)
        .where(
            CaseCaller.at >= start,
            CaseCaller.at < end,
            or_(CaseCaller.phone.is_not(None), CaseCaller.user_id.is_not(None)),
        )
        .order_by(CaseCaller.id)
    ).all()
    by_caller: dict[str, dict[int, Case]] = defaultdict(dict)
    names: dict[str, tuple[str | None, str | None]] = {}
    for phone, user_id, name, case in rows:
        key = f"phone:{phone}" if phone else f"user:{user_id}"
        by_caller[key][case.id] = case
        names[key] = (phone, name)
    out: list[Detection] = []
    for key, found in by_caller.items():
        cases = sorted(found.values(), key=lambda c: c.created_at)
        # the same problem (category and grid) reported again and again was not solved
        problems = Counter((c.category_id, c.grid_id) for c in cases)
        again = {k for k, n in problems.items() if n >= p.min_cases}
        troubled = [c for c in cases if _troubled(c) or (c.category_id, c.grid_id) in again]
        if len(cases) < p.min_cases or not troubled:
            continue
        phone, name = names[key]
        last = cases[-1]
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        caller = mask_phone(phone) or "平台用户"
        summary = (
            f"来电人 {mask_name(name) or ''}（{caller}）{p.window_days} 天内反映 {len(cases)} 次，"
            f"{len(troubled)} 件未解决、重办或不满意"
        )
        out.append(
            Detection(
                kind=WarningKind.repeat_caller,
                title=f"重复来电：{summary}",
                region_id=last.district_id or last.grid_id,
                region_path=_path(last),
                category_id=last.category_id,
                period_start=cases[0].created_at,
                period_end=end,
                score=float(len(cases) + len(troubled)),
                evidence={
                    "summary": summary,
                    "caller": caller,
                    "name": mask_name(name),
                    "cases": len(cases),
                    "troubled": len(troubled),
                    "case_ids": [c.id for c in cases],
                    "case_numbers": [c.number for c in cases],
                },
                fingerprint=f"repeat_caller:{digest}:{last.id}",
            )
        )
    return out


def _path(case: Case) -> str:
    return case.region_path or "/"


def failing_places(
    session: Session, *, end: datetime, params: RiskParams | None = None
) -> list[Detection]:
    p = params or RiskParams()
    start = end - timedelta(days=p.window_days)
    cases = session.scalars(
        select(Case)
        .where(
            Case.created_at >= start,
            Case.created_at < end,
            Case.grid_id.is_not(None),
            or_(
                Case.reopen_count > 0,
                Case.resolved.is_(False),
                Case.satisfaction == Satisfaction.unsatisfied.value,
            ),
        )
        .order_by(Case.id)
    ).all()
    by_grid: dict[int, list[Case]] = defaultdict(list)
    for c in cases:
        by_grid[int(c.grid_id or 0)].append(c)
    out: list[Detection] = []
    for grid_id, found in by_grid.items():
        if len(found) < p.min_cases:
            continue
        grid = session.get(Region, grid_id)
        name = grid.name if grid else str(grid_id)
        reopened = sum(c.reopen_count > 0 for c in found)
        summary = (
            f"{name} {p.window_days} 天内 {len(found)} 件重办、未解决或不满意（重办 {reopened} 件）"
        )
        out.append(
            Detection(
                kind=WarningKind.failing_place,
                title=f"反复失败：{summary}",
                region_id=grid_id,
                region_path=grid.path if grid else _path(found[-1]),
                category_id=None,
                period_start=found[0].created_at,
                period_end=end,
                score=float(len(found)),
                evidence={
                    "summary": summary,
                    "grid": {"id": grid_id, "name": name},
                    "cases": len(found),
                    "reopened": reopened,
                    "case_ids": [c.id for c in found],
                },
                fingerprint=f"failing_place:{grid_id}:{found[-1].id}",
            )
        )
    return out


def slipping_units(
    session: Session, *, end: datetime, params: RiskParams | None = None
) -> list[Detection]:
    p = params or RiskParams()
    split = end - timedelta(days=p.recent_days)
    start = split - timedelta(days=p.prior_days)
    rows = session.execute(
        select(CaseEvent.unit_department_id, CaseEvent.at, CaseEvent.on_time, CaseEvent.case_id)
        .where(
            CaseEvent.at >= start,
            CaseEvent.at < end,
            CaseEvent.on_time.is_not(None),
            CaseEvent.unit_department_id.is_not(None),
        )
        .order_by(CaseEvent.id)
    ).all()
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # prior n, ok, recent n, ok
    late_cases: dict[int, list[int]] = defaultdict(list)
    for unit, at, on_time, case_id in rows:
        t = tally[int(unit or 0)]
        recent = at >= split
        t[2 if recent else 0] += 1
        t[3 if recent else 1] += int(bool(on_time))
        if recent and not on_time:
            late_cases[int(unit or 0)].append(int(case_id))
    out: list[Detection] = []
    for unit, (n0, k0, n1, k1) in tally.items():
        if n0 < p.min_events or n1 < p.min_events:
            continue
        r0, r1 = k0 / n0, k1 / n1
        pooled = (k0 + k1) / (n0 + n1)
        se = math.sqrt(max(pooled * (1 - pooled) * (1 / n0 + 1 / n1), 1e-12))
        z = (r0 - r1) / se
        if r0 - r1 < p.min_drop or z < p.min_z:
            continue
        dept = session.get(Department, unit)
        region = session.get(Region, dept.region_id) if dept else None
        name = dept.name if dept else str(unit)
        summary = f"{name} 按时率由 {r0:.0%} 降至 {r1:.0%}（近 {p.recent_days} 天 {n1} 个环节）"
        out.append(
            Detection(
                kind=WarningKind.slipping_unit,
                title=f"响应下滑：{summary}",
                region_id=region.id if region else None,
                region_path=region.path if region else "/",
                category_id=None,
                department_id=unit,
                period_start=start,
                period_end=end,
                score=float(z),
                evidence={
                    "summary": summary,
                    "prior": {"events": n0, "on_time": k0, "rate": round(r0, 4)},
                    "recent": {"events": n1, "on_time": k1, "rate": round(r1, 4)},
                    "z": round(z, 3),
                    "case_ids": sorted(set(late_cases[unit]))[-50:],
                },
                fingerprint=f"slipping_unit:{unit}:{split.date().isoformat()}",
            )
        )
    return out
