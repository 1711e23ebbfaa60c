"""HTTP API of housing: buildings, dwellings and households."""

from __future__ import annotations

from fastapi import APIRouter, Query

from zhili.basedata.housing import service
from zhili.basedata.housing.models import DwellingUse
from zhili.basedata.housing.schemas import (
    BuildingIn,
    BuildingOut,
    DwellingIn,
    DwellingOut,
    DwellingPatch,
    HouseholdIn,
    HouseholdOut,
)
from zhili.core.pagination import Page
from zhili.org.deps import CurrentUser, SessionDep

router = APIRouter(tags=["basedata: housing"])


@router.post("/buildings", response_model=BuildingOut, status_code=201)
def create_building(session: SessionDep, user: CurrentUser, body: BuildingIn) -> BuildingOut:
    return BuildingOut.model_validate(service.create_building(session, actor=user, data=body))


@router.post("/dwellings", response_model=DwellingOut, status_code=201)
def create_dwelling(session: SessionDep, user: CurrentUser, body: DwellingIn) -> DwellingOut:
    dwelling = service.create_dwelling(session, actor=user, data=body)
    out = DwellingOut.model_validate(dwelling)
    out.address = service.address_text(session, dwelling.address_id)
    return out


@router.get("/dwellings", response_model=Page[DwellingOut])
def list_dwellings(
    session: SessionDep,
    user: CurrentUser,
    region_id: int | None = None,
    use: DwellingUse | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[DwellingOut]:
    """Dwellings in your area (others are filtered out; a region outside it is 403)."""
    rows, total = service.list_dwellings(
        session, actor=user, region_id=region_id, use=use, limit=limit, offset=offset
    )
    items = []
    for dwelling, text in rows:
        out = DwellingOut.model_validate(dwelling)
        out.address = text
        items.append(out)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/dwellings/{dwelling_id}", response_model=DwellingOut)
def get_dwelling(session: SessionDep, user: CurrentUser, dwelling_id: int) -> DwellingOut:
    dwelling = service.get_dwelling(session, actor=user, dwelling_id=dwelling_id)
    out = DwellingOut.model_validate(dwelling)
    out.address = service.address_text(session, dwelling.address_id)
    return out


@router.patch("/dwellings/{dwelling_id}", response_model=DwellingOut)
def update_dwelling(
    session: SessionDep, user: CurrentUser, dwelling_id: int, body: DwellingPatch
) -> DwellingOut:
    dwelling = service.update_dwelling(session, actor=user, dwelling_id=dwelling_id, patch=body)
    out = DwellingOut.model_validate(dwelling)
    out.address = service.address_text(session, dwelling.address_id)
    return out


@router.post("/households", response_model=HouseholdOut, status_code=201)
def create_household(session: SessionDep, user: CurrentUser, body: HouseholdIn) -> HouseholdOut:
    household = service.create_household(
        session, actor=user, code=body.code, dwelling_id=body.dwelling_id
    )
    return HouseholdOut.model_validate(household)
