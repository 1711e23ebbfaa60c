"""HTTP API of units (实有单位)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from zhili.basedata.population.schemas import UnmaskIn
from zhili.basedata.units import service
from zhili.basedata.units.models import UnitKind
from zhili.basedata.units.schemas import UnitIn, UnitOut, UnitPatch
from zhili.core.pagination import Page
from zhili.org.deps import CurrentUser, SessionDep

router = APIRouter(tags=["basedata: units"])


@router.post("/units", response_model=UnitOut, status_code=201)
def create_unit(session: SessionDep, user: CurrentUser, body: UnitIn) -> UnitOut:
    unit = service.create_unit(session, actor=user, data=body)
    return service.present(session, actor=user, unit=unit)


@router.get("/units", response_model=Page[UnitOut])
def list_units(
    session: SessionDep,
    user: CurrentUser,
    region_id: int | None = Query(None, description="an area inside your scope (else 403)"),
    kind: UnitKind | None = None,
    name: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[UnitOut]:
    rows, total = service.list_units(
        session, actor=user, region_id=region_id, kind=kind, name=name, limit=limit, offset=offset
    )
    items = [service.present(session, actor=user, unit=u) for u in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/units/{unit_id}", response_model=UnitOut)
def get_unit(session: SessionDep, user: CurrentUser, unit_id: int) -> UnitOut:
    unit = service.get_unit(session, actor=user, unit_id=unit_id)
    return service.present(session, actor=user, unit=unit)


@router.post("/units/{unit_id}/unmask", response_model=UnitOut)
def unmask(session: SessionDep, user: CurrentUser, unit_id: int, body: UnmaskIn) -> UnitOut:
    unit = service.get_unit(session, actor=user, unit_id=unit_id)
    return service.present(session, actor=user, unit=unit, unmask=True, reason=body.reason)


@router.patch("/units/{unit_id}", response_model=UnitOut)
def update_unit(session: SessionDep, user: CurrentUser, unit_id: int, body: UnitPatch) -> UnitOut:
    unit = service.update_unit(session, actor=user, unit_id=unit_id, patch=body)
    return service.present(session, actor=user, unit=unit)


@router.delete("/units/{unit_id}", status_code=204)
def delete_unit(
    session: SessionDep,
    user: CurrentUser,
    unit_id: int,
    reason: str = Query(..., min_length=2, max_length=200),
) -> Response:
    service.delete_unit(session, actor=user, unit_id=unit_id, reason=reason)
    return Response(status_code=204)
