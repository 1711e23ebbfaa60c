"""Point → grid lookup: which grid (网格) holds a longitude/latitude, for one point or millions.

Two layers, both exact:

1. A raster over the city's bounding box. Every cell that no grid boundary passes through
   lies wholly inside one grid (or wholly outside all of them), so its answer is stored in
   the cell and a point there is answered by two array lookups.
2. Cells that a boundary crosses are marked mixed; points in them are tested against the
   polygons themselves with a shapely STRtree.

A point on a border shared by two grids belongs to the grid with the smaller code, so the
answer never depends on the order polygons were loaded. A point in a hole belongs to
whatever grid fills the hole, or to none.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy import ndimage

NO_GRID = -1
_MIXED = -2

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class GridShape:
    region_id: int
    code: str
    geometry: dict[str, Any]  # GeoJSON Polygon or MultiPolygon
    path: str = ""  # materialised path: lets callers know the ancestors without a query


def geometry_from_geojson(geojson: dict[str, Any]) -> shapely.Geometry:
    return shapely.from_geojson(json.dumps(geojson))


class GridIndex:
    """An immutable lookup structure over a set of grid polygons."""

    def __init__(
        self,
        shapes: Sequence[GridShape],
        *,
        cells_per_grid: int = 1024,
        max_cells: int = 16_000_000,
    ) -> None:
        ordered = sorted(shapes, key=lambda s: s.code)
        self.region_ids: IntArray = np.array([s.region_id for s in ordered], dtype=np.int64)
        self.codes = [s.code for s in ordered]
        self.paths = {s.region_id: s.path for s in ordered}
        self.polygons = np.array([geometry_from_geojson(s.geometry) for s in ordered], dtype=object)
        self.tree = shapely.STRtree(self.polygons)
        self._build_raster(cells_per_grid, max_cells)

    def __len__(self) -> int:
        return len(self.codes)

    # -- raster -------------------------------------------------------------------------

    def _build_raster(self, cells_per_grid: int, max_cells: int) -> None:
        n = len(self.polygons)
        if n == 0:
            self.x0 = self.y0 = 0.0
            self.cell = 1.0
            self.labels = np.full((1, 1), NO_GRID, dtype=np.int32)
            return
        x0, y0, x1, y1 = shapely.total_bounds(self.polygons)
        width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        target = min(max_cells, max(1024, n * cells_per_grid))
        cell = math.sqrt(width * height / target)
        nx, ny = math.ceil(width / cell) + 1, math.ceil(height / cell) + 1
        self.x0, self.y0, self.cell = float(x0), float(y0), float(cell)
        self.nx, self.ny = nx, ny

        mixed = np.zeros((ny, nx), dtype=bool)
        # Densify every ring so that each segment is shorter than half a cell: such a
        # segment crosses at most one vertical and one horizontal cell line, so the cells
        # of its two ends plus, for a diagonal step, the two corner cells are exactly the
        # cells it touches.
        rings = shapely.segmentize(shapely.boundary(self.polygons), cell / 2)
        coords, ring_index = shapely.get_coordinates(rings, return_index=True)
        # get_coordinates on MultiLineStrings concatenates parts; split where parts change
        # by also breaking on any jump longer than a segment can be.
        ix, iy = self._cell_of(coords[:, 0], coords[:, 1])
        mixed[iy, ix] = True
        same = (ring_index[1:] == ring_index[:-1]) & (
            np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1])) <= cell / 2 * 1.000001
        )
        ax, ay, bx, by = ix[:-1][same], iy[:-1][same], ix[1:][same], iy[1:][same]
        diagonal = (ax != bx) & (ay != by)
        mixed[ay[diagonal], bx[diagonal]] = True
        mixed[by[diagonal], ax[diagonal]] = True

        # Pure cells separated by the mixed band form components that each lie wholly in
        # one grid or wholly outside; one exact lookup per component labels all of it.
        components, count = ndimage.label(~mixed)
        labels = np.full((ny, nx), _MIXED, dtype=np.int32)
        if count:
            flat = components.ravel()
            order = np.argsort(flat, kind="stable")
            starts = np.searchsorted(flat[order], np.arange(1, count + 1))
            rep = order[starts]
            ry, rx = np.divmod(rep, nx)
            cx = self.x0 + (rx + 0.5) * cell
            cy = self.y0 + (ry + 0.5) * cell
            answers = self._exact(cx, cy)
            lookup = np.concatenate(([_MIXED], answers)).astype(np.int32)
            labels = lookup[components]
        self.labels = labels
        self.mixed_share = float(mixed.mean())

    def _cell_of(self, xs: FloatArray, ys: FloatArray) -> tuple[IntArray, IntArray]:
        ix = np.floor((xs - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((ys - self.y0) / self.cell).astype(np.int64)
        return ix, iy

    # -- lookup -------------------------------------------------------------------------

    def _exact(self, xs: FloatArray, ys: FloatArray) -> IntArray:
        """Polygon tests for the given points: index of the covering grid or NO_GRID."""
        result = np.full(len(xs), NO_GRID, dtype=np.int64)
        if len(xs) == 0 or len(self.polygons) == 0:
            return result
        points = shapely.points(xs, ys)
        point_idx, poly_idx = self.tree.query(points, predicate="intersects")
        if len(point_idx):
            # Several hits only on shared borders: keep the smallest index (= smallest code).
            best = np.full(len(xs), np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(best, point_idx, poly_idx)
            hit = best != np.iinfo(np.int64).max
            result[hit] = best[hit]
        return result

    def locate(
        self, lons: Sequence[float] | FloatArray, lats: Sequence[float] | FloatArray
    ) -> IntArray:
        """Index into ``region_ids`` of the grid holding each point, or NO_GRID."""
        xs = np.asarray(lons, dtype=np.float64)
        ys = np.asarray(lats, dtype=np.float64)
        if xs.shape != ys.shape:
            raise ValueError("lons and lats differ in length")
        finite = np.isfinite(xs) & np.isfinite(ys)
        if not finite.all():  # NaN or inf has no grid; keep it out of the integer cast
            xs, ys = np.where(finite, xs, self.x0 - 1.0), np.where(finite, ys, self.y0 - 1.0)
        ix, iy = self._cell_of(xs, ys)
        inside = (ix >= 0) & (iy >= 0) & (ix < self.labels.shape[1]) & (iy < self.labels.shape[0])
        result = np.full(xs.shape, NO_GRID, dtype=np.int64)
        result[inside] = self.labels[iy[inside], ix[inside]]
        mixed = np.flatnonzero(result == _MIXED)
        if len(mixed):
            result[mixed] = self._exact(xs[mixed], ys[mixed])
        return result

    def locate_region_ids(
        self, lons: Sequence[float] | FloatArray, lats: Sequence[float] | FloatArray
    ) -> IntArray:
        """Region id of the grid holding each point, or NO_GRID."""
        idx = self.locate(lons, lats)
        out = np.full(idx.shape, NO_GRID, dtype=np.int64)
        found = idx >= 0
        out[found] = self.region_ids[idx[found]]
        return out


class GridIndexCache:
    """Keeps one GridIndex per fingerprint of the grid table and rebuilds it on change.

    The fingerprint (count, highest id, sum of row versions) moves whenever a grid is added,
    removed or edited, because every edit bumps the row's optimistic-lock version.
    """

    def __init__(self, *, cells_per_grid: int = 1024, max_cells: int = 16_000_000) -> None:
        self._lock = threading.Lock()
        self._index: GridIndex | None = None
        self._fingerprint: tuple[int, int, int] | None = None
        self.cells_per_grid = cells_per_grid
        self.max_cells = max_cells
        self.builds = 0

    def get(self, fingerprint: tuple[int, int, int], load: Any) -> GridIndex:
        """Return the index for ``fingerprint``, calling ``load()`` for shapes on a change."""
        with self._lock:
            if self._index is None or self._fingerprint != fingerprint:
                self._index = GridIndex(
                    load(), cells_per_grid=self.cells_per_grid, max_cells=self.max_cells
                )
                self._fingerprint = fingerprint
                self.builds += 1
            return self._index
