"""HTTP API of the org domain: the region tree, departments, point → grid lookup."""

from __future__ import annotations

from fastapi import APIRouter, Query

from zhili.core.errors import NotFound
from zhili.core.pagination import Page
from zhili.core.security import Permission
from zhili.org import service
from zhili.org.access import authorize
from zhili.org.deps import CurrentUser, GridCacheDep, SessionDep
from zhili.org.models import LEVEL_ORDER, DepartmentKind, Region, RegionLevel
from zhili.org.schemas import (
    BatchLookupIn,
    BatchLookupOut,
    DepartmentCreate,
    DepartmentOut,
    GridLookupOut,
    RegionCreate,
    RegionDetail,
    RegionOut,
    RegionTreeNode,
    RegionUpdate,
)

router = APIRouter(tags=["org"])


def _detail(session: SessionDep, region: Region) -> RegionDetail:
    detail = RegionDetail.model_validate(region, from_attributes=True)
    detail.ancestors = [
        RegionOut.model_validate(a) for a in service.ancestors(session, region)[:-1]
    ]
    detail.children_count = service.count_children(session, region.id)
    return detail


@router.get("/regions", response_model=Page[RegionOut])
def search_regions(
    session: SessionDep,
    user: CurrentUser,
    q: str | None = Query(None, max_length=100, description="name fragment or code prefix"),
    level: RegionLevel | None = None,
    within: int | None = Query(None, description="only below this region id"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[RegionOut]:
    authorize(session, actor=user, permission=Permission.region_read)
    within_region = service.get_region(session, within) if within is not None else None
    rows, total = service.search_regions(
        session, q=q, level=level, within=within_region, limit=limit, offset=offset
    )
    return Page(
        items=[RegionOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/regions/tree", response_model=RegionTreeNode)
def region_tree(
    session: SessionDep,
    user: CurrentUser,
    root: int | None = Query(None, description="region id; default the whole city"),
    depth: int = Query(2, ge=0, le=6, description="levels below the root to include"),
) -> RegionTreeNode:
    authorize(session, actor=user, permission=Permission.region_read)
    if root is None:
        found, _ = service.search_regions(session, level=RegionLevel.city, limit=1)
        if not found:
            raise NotFound("region", "city")
        top = found[0]
    else:
        top = service.get_region(session, root)
    top_index = LEVEL_ORDER.index(RegionLevel(top.level))
    levels = list(LEVEL_ORDER[top_index : top_index + depth + 1])
    rows = service.subtree(session, top, levels=levels)
    nodes = {
        r.id: RegionTreeNode(id=r.id, code=r.code, name=r.name, level=RegionLevel(r.level))
        for r in rows
    }
    for r in rows:  # ordered by code, so children come out in code order
        if r.id != top.id and r.parent_id in nodes:
            nodes[r.parent_id].children.append(nodes[r.id])
    return nodes[top.id]


@router.get("/regions/{region_id}", response_model=RegionDetail)
def get_region(session: SessionDep, user: CurrentUser, region_id: int) -> RegionDetail:
    authorize(session, actor=user, permission=Permission.region_read)
    return _detail(session, service.get_region(session, region_id))


@router.get("/regions/{region_id}/children", response_model=list[RegionOut])
def region_children(session: SessionDep, user: CurrentUser, region_id: int) -> list[RegionOut]:
    authorize(session, actor=user, permission=Permission.region_read)
    service.get_region(session, region_id)
    return [RegionOut.model_validate(r) for r in service.children(session, region_id)]


@router.post("/regions", response_model=RegionDetail, status_code=201)
def create_region(session: SessionDep, user: CurrentUser, body: RegionCreate) -> RegionDetail:
    region = service.create_region(session, actor=user, **body.model_dump())
    return _detail(session, region)


@router.patch("/regions/{region_id}", response_model=RegionDetail)
def update_region(
    session: SessionDep, user: CurrentUser, region_id: int, body: RegionUpdate
) -> RegionDetail:
    region = service.update_region(session, actor=user, region_id=region_id, **body.model_dump())
    return _detail(session, region)


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(
    session: SessionDep,
    user: CurrentUser,
    region_id: int | None = None,
    kind: DepartmentKind | None = None,
) -> list[DepartmentOut]:
    authorize(session, actor=user, permission=Permission.department_read)
    region = service.get_region(session, region_id) if region_id is not None else None
    rows = service.list_departments(session, region=region, kind=kind)
    return [DepartmentOut.model_validate(d) for d in rows]


@router.post("/departments", response_model=DepartmentOut, status_code=201)
def create_department(
    session: SessionDep, user: CurrentUser, body: DepartmentCreate
) -> DepartmentOut:
    return DepartmentOut.model_validate(
        service.create_department(session, actor=user, **body.model_dump())
    )


def _lookup_out(lon: float, lat: float, chain: list[Region] | None) -> GridLookupOut:
    if chain is None:
        return GridLookupOut(lon=lon, lat=lat, found=False, message_zh="该位置不在任何网格内")
    by_level = {r.level: RegionOut.model_validate(r) for r in chain}
    return GridLookupOut(
        lon=lon,
        lat=lat,
        found=True,
        grid=by_level.get("grid"),
        community=by_level.get("community"),
        street=by_level.get("street"),
        district=by_level.get("district"),
        city=by_level.get("city"),
    )


@router.get("/grids/lookup", response_model=GridLookupOut)
def lookup_point(
    session: SessionDep,
    user: CurrentUser,
    cache: GridCacheDep,
    lon: float = Query(..., ge=-180, le=180),
    lat: float = Query(..., ge=-90, le=90),
) -> GridLookupOut:
    """The grid (and community, street, district, city) holding one point."""
    authorize(session, actor=user, permission=Permission.region_read)
    [chain] = service.locate(session, cache=cache, lons=[lon], lats=[lat])
    return _lookup_out(lon, lat, chain)


@router.post("/grids/lookup", response_model=BatchLookupOut)
def lookup_points(
    session: SessionDep, user: CurrentUser, cache: GridCacheDep, body: BatchLookupIn
) -> BatchLookupOut:
    """Many points at once (up to 100 000 a request)."""
    authorize(session, actor=user, permission=Permission.region_read)
    lons = [p.lon for p in body.points]
    lats = [p.lat for p in body.points]
    chains = service.locate(session, cache=cache, lons=lons, lats=lats)
    results = [_lookup_out(lon, lat, c) for lon, lat, c in zip(lons, lats, chains, strict=True)]
    found = sum(r.found for r in results)
    return BatchLookupOut(results=results, found=found, not_found=len(results) - found)
