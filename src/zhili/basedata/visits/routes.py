"""HTTP API of grid work: household visits, visit coverage (入户率), the grid profile."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query

from zhili.basedata import profile
from zhili.basedata.visits import service
from zhili.basedata.visits.schemas import Coverage, GridProfile, VisitIn, VisitOut
from zhili.core.pagination import Page
from zhili.org.deps import CurrentUser, GridCacheDep, SessionDep, SettingsDep

router = APIRouter(tags=["basedata: grid work"])


@router.post("/visits", response_model=VisitOut, status_code=201)
def log_visit(
    session: SessionDep, user: CurrentUser, cache: GridCacheDep, body: VisitIn
) -> VisitOut:
    """上门入户: log a visit to a household of your grid; ``raise_case`` turns what you
    found into a case in the same step."""
    visit, case = service.log_visit(session, actor=user, cache=cache, data=body)
    out = VisitOut.model_validate(visit)
    out.case_number = case.number if case is not None else None
    return out


@router.get("/visits", response_model=Page[VisitOut])
def list_visits(
    session: SessionDep,
    user: CurrentUser,
    household_id: int | None = None,
    gridder_id: int | None = None,
    region_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[VisitOut]:
    rows, total = service.list_visits(
        session,
        actor=user,
        household_id=household_id,
        gridder_id=gridder_id,
        region_id=region_id,
        limit=limit,
        offset=offset,
    )
    items = [VisitOut.model_validate(v) for v in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/visits/coverage", response_model=Coverage)
def coverage(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    by: Literal["grid", "gridder"] = "grid",
    region_id: int | None = None,
    at: datetime | None = Query(None, description="end of the rolling year (default: now)"),
) -> Coverage:
    """入户率 over the rolling year, per grid or per gridder, against the target."""
    return service.coverage(
        session,
        actor=user,
        target=settings.visit_target_rate,
        by=by,
        region_id=region_id,
        at=at,
    )


@router.get("/grids/{grid_id}/profile", response_model=GridProfile)
def grid_profile(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, grid_id: int
) -> GridProfile:
    return profile.grid_profile(
        session, actor=user, grid_id=grid_id, target=settings.visit_target_rate
    )
