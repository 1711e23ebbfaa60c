"""HTTP API of residents (实有人口) and households with their members.

Unmasking is a POST with a reason (``/residents/{id}/unmask``), so that the reason is part of
the request and the read is logged; lookups by ID number are POSTs too, keeping the number
out of URLs.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from zhili.basedata.deps import VaultDep
from zhili.basedata.housing import service as housing
from zhili.basedata.housing.models import Dwelling
from zhili.basedata.population import present, service
from zhili.basedata.population.codes import ResidentType, SpecialGroup
from zhili.basedata.population.schemas import (
    HouseholdDetail,
    LookupIn,
    ResidentIn,
    ResidentOut,
    ResidentPatch,
    SpecialGroupIn,
    UnmaskIn,
)
from zhili.core.pagination import Page
from zhili.org.deps import CurrentUser, SessionDep

router = APIRouter(tags=["basedata: population"])


@router.post("/residents", response_model=ResidentOut, status_code=201)
def create_resident(
    session: SessionDep, user: CurrentUser, vault: VaultDep, body: ResidentIn
) -> ResidentOut:
    resident = service.create_resident(session, actor=user, vault=vault, data=body)
    return present.present(session, actor=user, resident=resident, vault=vault)


@router.get("/residents", response_model=Page[ResidentOut])
def list_residents(
    session: SessionDep,
    user: CurrentUser,
    region_id: int | None = Query(None, description="an area inside your scope (else 403)"),
    household_id: int | None = None,
    resident_type: ResidentType | None = None,
    special_group: SpecialGroup | None = None,
    name: str | None = Query(None, max_length=64, description="name starts with"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[ResidentOut]:
    """Residents of your area, always masked. Outside your area: filtered out."""
    rows, total = service.list_residents(
        session,
        actor=user,
        region_id=region_id,
        household_id=household_id,
        resident_type=resident_type,
        special_group=special_group,
        name=name,
        limit=limit,
        offset=offset,
    )
    items = present.present_many(session, actor=user, residents=rows)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/residents/lookup", response_model=ResidentOut)
def lookup(session: SessionDep, user: CurrentUser, vault: VaultDep, body: LookupIn) -> ResidentOut:
    """Find a resident by ID number (404 when unknown or outside your area)."""
    resident = service.lookup(
        session, actor=user, vault=vault, id_type=body.id_type, id_number=body.id_number
    )
    return present.present(
        session, actor=user, resident=resident, vault=vault, unmask=body.unmask, reason=body.reason
    )


@router.get("/residents/{resident_id}", response_model=ResidentOut)
def get_resident(
    session: SessionDep, user: CurrentUser, vault: VaultDep, resident_id: int
) -> ResidentOut:
    resident = service.get_resident(session, actor=user, resident_id=resident_id)
    return present.present(session, actor=user, resident=resident, vault=vault)


@router.post("/residents/{resident_id}/unmask", response_model=ResidentOut)
def unmask(
    session: SessionDep, user: CurrentUser, vault: VaultDep, resident_id: int, body: UnmaskIn
) -> ResidentOut:
    """The full ID number, birth date and phone: needs the permission, logs the reason."""
    resident = service.get_resident(session, actor=user, resident_id=resident_id)
    return present.present(
        session, actor=user, resident=resident, vault=vault, unmask=True, reason=body.reason
    )


@router.patch("/residents/{resident_id}", response_model=ResidentOut)
def update_resident(
    session: SessionDep, user: CurrentUser, vault: VaultDep, resident_id: int, body: ResidentPatch
) -> ResidentOut:
    resident = service.update_resident(session, actor=user, resident_id=resident_id, patch=body)
    return present.present(session, actor=user, resident=resident, vault=vault)


@router.delete("/residents/{resident_id}", status_code=204)
def delete_resident(
    session: SessionDep,
    user: CurrentUser,
    resident_id: int,
    reason: str = Query(..., min_length=2, max_length=200, description="moved away, died…"),
) -> Response:
    service.delete_resident(session, actor=user, resident_id=resident_id, reason=reason)
    return Response(status_code=204)


@router.post("/residents/{resident_id}/special-groups", response_model=ResidentOut)
def add_special_group(
    session: SessionDep, user: CurrentUser, vault: VaultDep, resident_id: int, body: SpecialGroupIn
) -> ResidentOut:
    service.add_special_group(
        session,
        actor=user,
        resident_id=resident_id,
        group=body.special_group,
        since=body.since,
        note=body.note,
    )
    resident = service.get_resident(session, actor=user, resident_id=resident_id)
    return present.present(session, actor=user, resident=resident, vault=vault)


@router.delete("/residents/{resident_id}/special-groups/{group}", status_code=204)
def remove_special_group(
    session: SessionDep,
    user: CurrentUser,
    resident_id: int,
    group: SpecialGroup,
    reason: str = Query(..., min_length=2, max_length=200),
) -> Response:
    service.remove_special_group(
        session, actor=user, resident_id=resident_id, group=group, reason=reason
    )
    return Response(status_code=204)


@router.get("/households/{household_id}", response_model=HouseholdDetail)
def household_detail(session: SessionDep, user: CurrentUser, household_id: int) -> HouseholdDetail:
    """A household with its dwelling and members (masked)."""
    household = housing.get_household(session, actor=user, household_id=household_id)
    dwelling = session.get_one(Dwelling, household.dwelling_id)
    members, _ = service.list_residents(session, actor=user, household_id=household.id, limit=500)
    return HouseholdDetail(
        id=household.id,
        code=household.code,
        dwelling_id=dwelling.id,
        grid_id=household.grid_id,
        address=housing.address_text(session, dwelling.address_id),
        dwelling_use=dwelling.use,
        members=present.present_many(session, actor=user, residents=members),
    )
