"""Grid polygons for the maps of the work pages (no internet tiles: the city draws itself).

``/web/geo/grids.geojson`` returns the grids of the viewer's scope (the whole city for the
public report page), simplified for drawing and cached until any grid changes.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import shapely
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.security import Role
from zhili.org.access import scope_region
from zhili.org.deps import SessionDep
from zhili.org.models import Region, RegionLevel
from zhili.org.service import grid_fingerprint
from zhili.web.deps import MaybeUser

router = APIRouter()

# About 5 m at these latitudes: invisible at street zoom, and the payload shrinks a lot.
SIMPLIFY_DEGREES = 0.00005
_cache: dict[tuple[str, tuple[int, int, int]], bytes] = {}
_lock = threading.Lock()


def grids_geojson(session: Session, scope_path: str) -> bytes:
    key = (scope_path, grid_fingerprint(session))
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    rows = session.execute(
        select(Region.id, Region.name, Region.code, Region.geometry).where(
            Region.level == RegionLevel.grid.value,
            Region.geometry.is_not(None),
            Region.path.startswith(scope_path),
        )
    ).all()
    features: list[dict[str, Any]] = []
    for row in rows:
        geom = shapely.from_geojson(json.dumps(row.geometry))
        simple = shapely.simplify(geom, SIMPLIFY_DEGREES, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "id": row.id,
                "properties": {"id": row.id, "name": row.name, "code": row.code},
                "geometry": json.loads(shapely.to_geojson(simple, indent=None)),
            }
        )
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    with _lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = body
    return body


@router.get("/web/geo/grids.geojson")
def grids(request: Request, session: SessionDep, user: MaybeUser) -> Response:
    scope = None
    if user is not None and user.role != Role.citizen:
        scope = scope_region(session, user)
    path = scope.path if scope is not None else "/"
    return Response(
        grids_geojson(session, path),
        media_type="application/geo+json",
        headers={"Cache-Control": "private, max-age=300"},
    )
