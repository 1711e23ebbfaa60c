"""State changes and queries of the org domain. Services never commit: the caller does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
from shapely import validation
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zhili.core import audit
from zhili.core.errors import Conflict, NotFound, ValidationFailed
from zhili.core.security import Permission
from zhili.org.access import authorize
from zhili.org.geo import NO_GRID, GridIndex, GridIndexCache, GridShape, geometry_from_geojson
from zhili.org.models import (
    CODE_LENGTH,
    LEVEL_ORDER,
    Department,
    DepartmentKind,
    Region,
    RegionLevel,
)
from zhili.org.users.models import User

REGION_AUDIT_FIELDS = ("parent_id", "level", "code", "name", "population", "households", "version")
DEPARTMENT_AUDIT_FIELDS = ("code", "name", "kind", "region_id", "phone", "is_active")
# Slivers below this area (in square degrees, ≈ 1 m²) are floating-point noise, not overlap.
_AREA_TOLERANCE = 1e-10


def get_region(session: Session, region_id: int) -> Region:
    region = session.get(Region, region_id)
    if region is None:
        raise NotFound("region", region_id)
    return region


def get_region_by_code(session: Session, code: str) -> Region:
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound("region", code)
    return region


def ancestors(session: Session, region: Region) -> list[Region]:
    """The chain from the city down to ``region`` (inclusive), in one query."""
    ids = region.ancestor_ids
    rows = {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def children(session: Session, region_id: int) -> Sequence[Region]:
    return session.scalars(
        select(Region).where(Region.parent_id == region_id).order_by(Region.code)
    ).all()


def count_children(session: Session, region_id: int) -> int:
    return session.scalar(select(func.count()).where(Region.parent_id == region_id)) or 0


def subtree(
    session: Session, region: Region, *, levels: Sequence[RegionLevel] | None = None
) -> Sequence[Region]:
    """``region`` and everything below it (optionally only some levels), ordered by code."""
    query = select(Region).where(Region.path.startswith(region.path)).order_by(Region.code)
    if levels is not None:
        query = query.where(Region.level.in_([lv.value for lv in levels]))
    return session.scalars(query).all()


def search_regions(
    session: Session,
    *,
    q: str | None = None,
    level: RegionLevel | None = None,
    within: Region | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Region], int]:
    """Regions whose name contains ``q`` or whose code starts with it; (page, total)."""
    query = select(Region)
    if q:
        query = query.where(or_(Region.name.contains(q), Region.code.startswith(q)))
    if level is not None:
        query = query.where(Region.level == level.value)
    if within is not None:
        query = query.where(Region.path.startswith(within.path))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Region.code).limit(limit).offset(offset)).all()
    return rows, total


def _validate_geometry(geojson: dict[str, Any]) -> shapely.Geometry:
    if geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationFailed(
            "geometry.type",
            "geometry must be a GeoJSON Polygon or MultiPolygon",
            "边界必须是 GeoJSON 的 Polygon 或 MultiPolygon",
        )
    try:
        geom = geometry_from_geojson(geojson)
    except Exception as exc:  # shapely raises GEOSException or ValueError on bad input
        raise ValidationFailed(
            "geometry", f"not valid GeoJSON: {exc}", "边界不是有效的 GeoJSON"
        ) from exc
    if geom.is_empty or not geom.is_valid:
        reason = validation.explain_validity(geom)
        raise ValidationFailed(
            "geometry", f"invalid polygon: {reason}", f"边界多边形无效：{reason}"
        )
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValidationFailed(
            "geometry", "coordinates must be longitude/latitude (WGS84)", "坐标必须是经纬度"
        )
    return geom


def _check_grid_fits(
    session: Session, *, parent: Region, geom: shapely.Geometry, exclude_id: int | None
) -> None:
    """A grid must lie inside its community and overlap none of its sibling grids."""
    if parent.geometry is not None:
        outside = geom.difference(geometry_from_geojson(parent.geometry)).area
        if outside > _AREA_TOLERANCE:
            raise ValidationFailed(
                "geometry",
                f"grid extends {outside:.3g} deg² outside {parent.code}",
                f"网格边界超出所属{parent.name}的范围",
            )
    for sibling in children(session, parent.id):
        if sibling.id == exclude_id or sibling.geometry is None:
            continue
        overlap = geom.intersection(geometry_from_geojson(sibling.geometry)).area
        if overlap > _AREA_TOLERANCE:
            raise ValidationFailed(
                "geometry",
                f"grid overlaps grid {sibling.code}",
                f"网格边界与{sibling.name}（{sibling.code}）重叠",
            )


def _check_code(level: RegionLevel, code: str, parent: Region | None) -> None:
    if len(code) != CODE_LENGTH[level]:
        raise ValidationFailed(
            "code",
            f"a {level.value} code has {CODE_LENGTH[level]} digits",
            f"该级区划代码应为{CODE_LENGTH[level]}位数字",
        )
    if parent is None:
        return
    prefix = parent.code[:4] if level == RegionLevel.district else parent.code
    if not code.startswith(prefix):
        raise ValidationFailed(
            "code",
            f"code must start with {prefix} (its parent's code)",
            f"代码必须以上级代码 {prefix} 开头",
        )


def create_region(
    session: Session,
    *,
    actor: User | None,
    level: RegionLevel,
    code: str,
    name: str,
    parent_id: int | None = None,
    geometry: dict[str, Any] | None = None,
    population: int | None = None,
    households: int | None = None,
) -> Region:
    """Add a unit to the tree under ``parent_id`` (the city alone has no parent)."""
    parent = None
    if level == RegionLevel.city:
        if parent_id is not None:
            raise ValidationFailed("parent_id", "a city has no parent", "市级区划没有上级")
    else:
        if parent_id is None:
            raise ValidationFailed("parent_id", "parent_id is required", "请指定上级区划")
        parent = get_region(session, parent_id)
        expected_parent = LEVEL_ORDER[LEVEL_ORDER.index(level) - 1]
        if parent.level != expected_parent:
            raise ValidationFailed(
                "parent_id",
                f"a {level.value} belongs to a {expected_parent.value}",
                f"上级区划层级不正确，应为{expected_parent.value}",
            )
    if actor is not None:
        authorize(session, actor=actor, permission=Permission.region_write, region=parent)
    _check_code(level, code, parent)
    if session.scalar(select(Region.id).where(Region.code == code)) is not None:
        raise Conflict(f"region code {code} exists", f"区划代码 {code} 已存在")
    geom = _validate_geometry(geometry) if geometry is not None else None
    if geom is not None and parent is not None and level == RegionLevel.grid:
        _check_grid_fits(session, parent=parent, geom=geom, exclude_id=None)
    region = Region(
        parent_id=parent_id,
        level=level.value,
        code=code,
        name=name,
        path="",
        geometry=geometry,
        population=population,
        households=households,
    )
    _set_centroid(region, geom)
    session.add(region)
    session.flush()  # the id is part of the materialised path
    region.path = (parent.path if parent else "/") + f"{region.id}/"
    audit.record(
        session,
        actor=actor,
        action="region.create",
        entity_type="region",
        entity_id=region.id,
        after=audit.snapshot(region, REGION_AUDIT_FIELDS),
    )
    return region


def _set_centroid(region: Region, geom: shapely.Geometry | None) -> None:
    if geom is None:
        region.centroid_lon = region.centroid_lat = None
        return
    # A representative point always lies inside, unlike the centroid of a crescent.
    point = geom.representative_point()
    region.centroid_lon, region.centroid_lat = float(point.x), float(point.y)


def update_region(
    session: Session,
    *,
    actor: User,
    region_id: int,
    version: int,
    name: str | None = None,
    geometry: dict[str, Any] | None = None,
    population: int | None = None,
    households: int | None = None,
) -> Region:
    """Edit a unit; ``version`` must be the one the editor read (optimistic locking)."""
    region = get_region(session, region_id)
    authorize(session, actor=actor, permission=Permission.region_write, region=region)
    if region.version != version:
        raise Conflict(
            f"region {region.code} was changed by someone else (now version {region.version})",
            "该区划已被他人修改，请刷新后重试",
            current_state=f"version {region.version}",
        )
    before = audit.snapshot(region, REGION_AUDIT_FIELDS)
    if name is not None:
        region.name = name.strip()
    if geometry is not None:
        geom = _validate_geometry(geometry)
        if region.level == RegionLevel.grid and region.parent_id is not None:
            _check_grid_fits(
                session,
                parent=get_region(session, region.parent_id),
                geom=geom,
                exclude_id=region.id,
            )
        region.geometry = geometry
        _set_centroid(region, geom)
    if population is not None:
        region.population = population
    if households is not None:
        region.households = households
    try:
        session.flush()
    except StaleDataError as exc:  # a concurrent writer committed between our read and write
        raise Conflict("region changed concurrently", "该区划已被他人修改，请刷新后重试") from exc
    audit.record(
        session,
        actor=actor,
        action="region.update",
        entity_type="region",
        entity_id=region.id,
        before=before,
        after=audit.snapshot(region, REGION_AUDIT_FIELDS),
    )
    return region


def create_department(
    session: Session,
    *,
    actor: User | None,
    region_id: int,
    kind: DepartmentKind,
    name: str,
    code: str,
    phone: str | None = None,
) -> Department:
    """Add a functional department to a district (or to the city)."""
    region = get_region(session, region_id)
    if region.level not in (RegionLevel.city, RegionLevel.district):
        raise ValidationFailed(
            "region_id", "departments belong to a city or a district", "部门只能设在市或区县"
        )
    if actor is not None:
        authorize(session, actor=actor, permission=Permission.department_write, region=region)
    if session.scalar(select(Department.id).where(Department.code == code)) is not None:
        raise Conflict(f"department code {code} exists", f"部门代码 {code} 已存在")
    dept = Department(
        region_id=region_id, kind=kind.value, name=name.strip(), code=code, phone=phone
    )
    session.add(dept)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="department.create",
        entity_type="department",
        entity_id=dept.id,
        after=audit.snapshot(dept, DEPARTMENT_AUDIT_FIELDS),
    )
    return dept


def list_departments(
    session: Session, *, region: Region | None = None, kind: DepartmentKind | None = None
) -> Sequence[Department]:
    """Departments of ``region`` and of every district below it."""
    query = select(Department).join(Region, Department.region_id == Region.id)
    if region is not None:
        query = query.where(Region.path.startswith(region.path))
    if kind is not None:
        query = query.where(Department.kind == kind.value)
    return session.scalars(query.order_by(Department.code)).all()


# -- point → grid ------------------------------------------------------------------------


# Built once: it runs before every point lookup (each case intake), and building the
# statement cost about three times as much CPU as executing it from the compiled cache.
_GRID_FINGERPRINT = select(
    func.count(),
    func.coalesce(func.max(Region.id), 0),
    func.coalesce(func.sum(Region.version), 0),
).where(Region.level == RegionLevel.grid.value)


def grid_fingerprint(session: Session) -> tuple[int, int, int]:
    row = session.execute(_GRID_FINGERPRINT).one()
    return int(row[0]), int(row[1]), int(row[2])


def load_grid_shapes(session: Session) -> list[GridShape]:
    rows = session.execute(
        select(Region.id, Region.code, Region.geometry, Region.path).where(
            Region.level == RegionLevel.grid.value, Region.geometry.is_not(None)
        )
    ).all()
    return [GridShape(region_id=r.id, code=r.code, geometry=r.geometry, path=r.path) for r in rows]


def grid_index(session: Session, *, cache: GridIndexCache) -> GridIndex:
    """The current index, rebuilt only when grids have changed since the last call."""
    return cache.get(grid_fingerprint(session), lambda: load_grid_shapes(session))


def locate(
    session: Session, *, cache: GridIndexCache, lons: Sequence[float], lats: Sequence[float]
) -> list[list[Region] | None]:
    """For each point, the chain city → … → grid that holds it, or None outside every grid."""
    region_ids = grid_index(session, cache=cache).locate_region_ids(lons, lats)
    wanted = {int(i) for i in region_ids if i != NO_GRID}
    grids = (
        {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(wanted)))}
        if wanted
        else {}
    )
    ancestor_ids = {a for g in grids.values() for a in g.ancestor_ids}
    chain_rows = (
        {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(ancestor_ids)))}
        if ancestor_ids
        else {}
    )
    out: list[list[Region] | None] = []
    for rid in region_ids:
        grid = grids.get(int(rid))
        out.append(None if grid is None else [chain_rows[a] for a in grid.ancestor_ids])
    return out
