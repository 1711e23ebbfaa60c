"""HTTP API of standard addresses: search free text, read, register, correct."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from zhili.basedata.addresses import service
from zhili.basedata.addresses.models import Address
from zhili.basedata.addresses.schemas import (
    AddressIn,
    AddressMatch,
    AddressMatches,
    AddressOut,
    AddressPatch,
)
from zhili.basedata.addresses.search import normalise
from zhili.core.pagination import Page
from zhili.core.security import Permission
from zhili.org.access import authorize
from zhili.org.deps import CurrentUser, SessionDep
from zhili.org.service import get_region

router = APIRouter(tags=["basedata: addresses"])


@router.get("/addresses/search", response_model=AddressMatches)
def search(
    session: SessionDep,
    user: CurrentUser,
    q: str = Query(..., min_length=2, max_length=200, description="free-text address"),
    limit: int = Query(10, ge=1, le=50),
    region_id: int | None = Query(None, description="only inside this area"),
) -> AddressMatches:
    """模糊匹配: a free-text address to standard addresses, best first. Addresses are not
    personal data: every staff member may search the whole city."""
    authorize(session, actor=user, permission=Permission.region_read)
    path = get_region(session, region_id).path if region_id is not None else None
    found = service.search_addresses(session, text=q, limit=limit, region_path=path)
    return AddressMatches(
        query=q,
        normalised=normalise(q),
        items=[AddressMatch(address=AddressOut.model_validate(a), score=s) for a, s in found],
    )


@router.get("/addresses", response_model=Page[AddressOut])
def list_addresses(
    session: SessionDep,
    user: CurrentUser,
    grid_id: int | None = None,
    parent_id: int | None = Query(None, description="the children of this address"),
    code: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[AddressOut]:
    authorize(session, actor=user, permission=Permission.region_read)
    query = select(Address)
    if grid_id is not None:
        query = query.where(Address.grid_id == grid_id)
    if parent_id is not None:
        query = query.where(Address.parent_id == parent_id)
    elif grid_id is not None:
        query = query.where(Address.parent_id.is_(None))
    if code is not None:
        query = query.where(Address.code == code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Address.code).limit(limit).offset(offset)).all()
    return Page(
        items=[AddressOut.model_validate(a) for a in rows], total=total, limit=limit, offset=offset
    )


@router.get("/addresses/{address_id}", response_model=AddressOut)
def get_address(session: SessionDep, user: CurrentUser, address_id: int) -> AddressOut:
    authorize(session, actor=user, permission=Permission.region_read)
    return AddressOut.model_validate(service.get_address(session, address_id))


@router.post("/addresses", response_model=AddressOut, status_code=201)
def create_address(session: SessionDep, user: CurrentUser, body: AddressIn) -> AddressOut:
    return AddressOut.model_validate(service.create_address(session, actor=user, data=body))


@router.patch("/addresses/{address_id}", response_model=AddressOut)
def update_address(
    session: SessionDep, user: CurrentUser, address_id: int, body: AddressPatch
) -> AddressOut:
    address = service.update_address(session, actor=user, address_id=address_id, patch=body)
    return AddressOut.model_validate(address)
