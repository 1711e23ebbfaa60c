"""Simplified GeoJSON of the units the map shows, built once per unit and kept in memory.

The city demo has 6 000 grids; real boundaries carry thousands of vertices each. The map only
ever draws one unit's children, so each unit's children are simplified (to about a
thousandth of their extent, which no screen can tell apart), rounded to 1e-5° (≈ 1 m) and
serialised once. The cache key includes a fingerprint of the children (count, newest change,
sum of versions), so an edited boundary is served fresh on the next request.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.org.models import Region
from zhili.web.dashboard.scope import child_level

_PRECISION = 5  # decimal places of a degree kept in the output (≈ 1 m)
_DETAIL = 1500  # the simplification tolerance is the drawn extent divided by this


@dataclass(frozen=True)
class GeoLayer:
    etag: str
    body: bytes
    features: int


def _round(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.round(coords, _PRECISION)


def build_layer(rows: list[Any]) -> tuple[bytes, int]:
    """A FeatureCollection of ``rows`` (id, code, name, level, geometry), simplified."""
    shaped = [(r, shapely.from_geojson(json.dumps(r.geometry))) for r in rows if r.geometry]
    if not shaped:
        return b'{"type":"FeatureCollection","features":[]}', 0
    geoms = np.array([g for _, g in shaped], dtype=object)
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    tolerance = max(x1 - x0, y1 - y0) / _DETAIL
    simple = shapely.transform(shapely.simplify(geoms, tolerance, preserve_topology=True), _round)
    features = []
    for (row, _), geom in zip(shaped, simple, strict=True):
        features.append(
            '{"type":"Feature","properties":'
            + json.dumps(
                {"id": row.id, "code": row.code, "name": row.name, "level": row.level},
                ensure_ascii=False,
            )
            + ',"geometry":'
            + shapely.to_geojson(geom)
            + "}"
        )
    body = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
    return body.encode(), len(features)


class GeoCache:
    """Per-process LRU of built layers; safe to share between request threads."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._layers: OrderedDict[tuple[Any, ...], GeoLayer] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._layers)

    def layer(self, session: Session, region: Region) -> GeoLayer:
        """The children of ``region`` (a grid: the grid itself) as simplified GeoJSON."""
        level = child_level(region.level)
        where = (
            [Region.parent_id == region.id, Region.level == level.value]
            if level is not None
            else [Region.id == region.id]
        )
        count, newest, versions = session.execute(
            select(func.count(), func.max(Region.updated_at), func.sum(Region.version)).where(
                *where
            )
        ).one()
        key = (region.id, count, str(newest), versions)
        with self._lock:
            hit = self._layers.get(key)
            if hit is not None:
                self._layers.move_to_end(key)
                return hit
        rows = list(
            session.execute(
                select(Region.id, Region.code, Region.name, Region.level, Region.geometry)
                .where(*where)
                .order_by(Region.code)
            )
        )
        body, n = build_layer(rows)
        etag = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        layer = GeoLayer(etag=etag, body=body, features=n)
        with self._lock:
            # A stale entry of the same unit (older fingerprint) is dropped, not kept to age out.
            for old in [k for k in self._layers if k[0] == region.id]:
                del self._layers[old]
            self._layers[key] = layer
            while len(self._layers) > self.max_entries:
                self._layers.popitem(last=False)
        return layer
