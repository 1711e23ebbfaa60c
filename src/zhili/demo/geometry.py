"""Geometry of the demo city: an irregular outline, a population density, exact partitions.

Work happens in a local plane in kilometres (x east, y north, origin at the city centre) so
that Voronoi cells are not stretched by the degree grid; ``to_geojson`` maps to lon/lat at
the very end with one affine formula per coordinate, so vertices shared by neighbours stay
bit-for-bit shared.

A parent is split into ``k`` children by placing seeds with k-means on points sampled from
the density inside the parent (dense areas get small cells), taking the Voronoi diagram of
the seeds and intersecting each cell with the parent itself. The cells tile the plane, so
the pieces tile the parent: no gaps, no overlaps, and their union is the parent's exact
boundary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPoint, MultiPolygon, Polygon, mapping
from shapely.geometry.polygon import orient

CENTER_LON = 106.6
CENTER_LAT = 26.6
KM_PER_DEG_LAT = 110.95
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTER_LAT))
CITY_WIDTH_KM = 40.0
CITY_HEIGHT_KM = 35.0

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Density:
    """Relative population density: a rural floor plus Gaussian urban centres (x, y, σ, w)."""

    floor: float
    centres: tuple[tuple[float, float, float, float], ...]

    def __call__(self, x: FloatArray, y: FloatArray) -> FloatArray:
        d = np.full(np.shape(x), self.floor, dtype=np.float64)
        for cx, cy, sigma, weight in self.centres:
            d += weight * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2.0 * sigma * sigma))
        return d

    def at(self, x: float, y: float) -> float:
        return float(self(np.array([x]), np.array([y]))[0])


def make_density(rng: np.random.Generator) -> Density:
    """An old town near the centre and a newer satellite centre some 8–12 km away."""
    main = (rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(4.5, 6.0), 1.0)
    angle = rng.uniform(0, 2 * math.pi)
    dist = rng.uniform(8, 12)
    satellite = (
        dist * math.cos(angle),
        dist * math.sin(angle),
        rng.uniform(2.5, 3.5),
        rng.uniform(0.35, 0.55),
    )
    return Density(floor=0.04, centres=(main, satellite))


def city_outline(rng: np.random.Generator, points: int = 120) -> Polygon:
    """A star-shaped, wobbly outline spanning CITY_WIDTH_KM × CITY_HEIGHT_KM."""
    theta = np.linspace(0.0, 2.0 * math.pi, points, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 8):
        amplitude = rng.uniform(0.02, 0.13 / math.sqrt(k))
        radius += amplitude * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    radius = np.clip(radius, 0.55, None)  # stays star-shaped, hence a simple polygon
    x = radius * np.cos(theta)
    y = radius * np.sin(theta)
    x = (x - x.min()) / (x.max() - x.min()) * CITY_WIDTH_KM - CITY_WIDTH_KM / 2
    y = (y - y.min()) / (y.max() - y.min()) * CITY_HEIGHT_KM - CITY_HEIGHT_KM / 2
    outline = orient(Polygon(np.column_stack([x, y])), sign=1.0)
    assert outline.is_valid
    return outline


def sample(parent: Any, n: int, rng: np.random.Generator, density: Density) -> FloatArray:
    """``n`` points inside ``parent`` drawn from ``density`` (rejection sampling)."""
    shapely.prepare(parent)
    x0, y0, x1, y1 = parent.bounds
    chunks: list[FloatArray] = []
    have = 0
    while have < n:
        m = max(4 * (n - have), 64)
        px = rng.uniform(x0, x1, m)
        py = rng.uniform(y0, y1, m)
        inside = shapely.contains_xy(parent, px, py)
        px, py = px[inside], py[inside]
        if px.size == 0:
            continue
        d = density(px, py)
        keep = rng.uniform(0.0, float(d.max()), px.size) < d
        chunks.append(np.column_stack([px[keep], py[keep]]))
        have += int(keep.sum())
    return np.concatenate(chunks)[:n]


def _nearest(points: FloatArray, seeds: FloatArray) -> NDArray[np.intp]:
    # |p - s|² minus the |p|² term, which is the same for every seed of a point.
    # Elementwise on purpose: BLAS matmul rounding can depend on the machine's kernels.
    cross = points[:, 0:1] * seeds[None, :, 0] + points[:, 1:2] * seeds[None, :, 1]
    d2 = (seeds[:, 0] ** 2 + seeds[:, 1] ** 2)[None, :] - 2.0 * cross
    nearest: NDArray[np.intp] = np.argmin(d2, axis=1)
    return nearest


def kmeans(points: FloatArray, k: int, rng: np.random.Generator, iters: int = 12) -> FloatArray:
    """Lloyd's algorithm with k-means++ seeding; returns ``k`` centres."""
    n = len(points)
    centres = np.empty((k, 2))
    centres[0] = points[rng.integers(n)]
    d2 = ((points - centres[0]) ** 2).sum(axis=1)
    for j in range(1, k):
        total = d2.sum()
        idx = rng.choice(n, p=d2 / total) if total > 0 else rng.integers(n)
        centres[j] = points[idx]
        d2 = np.minimum(d2, ((points - centres[j]) ** 2).sum(axis=1))
    for _ in range(iters):
        labels = _nearest(points, centres)
        counts = np.bincount(labels, minlength=k)
        sx = np.bincount(labels, weights=points[:, 0], minlength=k)
        sy = np.bincount(labels, weights=points[:, 1], minlength=k)
        full = counts > 0
        centres[full, 0] = sx[full] / counts[full]
        centres[full, 1] = sy[full] / counts[full]
        if not full.all():
            centres[~full] = points[rng.choice(n, int((~full).sum()), replace=False)]
    return centres


def _polygonal(geom: Any) -> Any:
    """The areal part of an overlay result, as a Polygon or MultiPolygon (or None)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


@dataclass(frozen=True, slots=True)
class Piece:
    geometry: Any  # shapely Polygon or MultiPolygon, in km
    share: float  # share of the parent's density mass (sums to 1 over siblings)


def partition(
    parent: Any, k: int, rng: np.random.Generator, density: Density, attempts: int = 10
) -> list[Piece]:
    """Split ``parent`` into ``k`` pieces that tile it exactly (see the module docstring).

    An attempt is refused if a piece is empty, invalid, or a sliver (under a fifth of the
    mean area); attempts whose pieces are all single polygons are preferred.
    """
    if k == 1:
        return [Piece(parent, 1.0)]
    best: list[Piece] | None = None
    best_multi = k + 1
    for _ in range(attempts):
        pieces = _attempt(parent, k, rng, density)
        if pieces is None:
            continue
        multi = sum(p.geometry.geom_type != "Polygon" for p in pieces)
        if multi < best_multi:
            best, best_multi = pieces, multi
        if multi == 0:
            break
    if best is None:
        raise RuntimeError(f"could not split a region into {k} parts")
    return best


def _attempt(parent: Any, k: int, rng: np.random.Generator, density: Density) -> list[Piece] | None:
    points = sample(parent, max(48 * k, 240), rng, density)
    seeds = kmeans(points, k, rng)
    labels = _nearest(points, seeds)
    # A k-means centre of a concave parent can fall outside it: move it to its nearest
    # own sample point, which is inside.
    outside = ~shapely.contains_xy(parent, seeds[:, 0], seeds[:, 1])
    for j in np.flatnonzero(outside):
        own = points[labels == j]
        if own.size == 0:
            return None
        seeds[j] = own[np.argmin(((own - seeds[j]) ** 2).sum(axis=1))]
    labels = _nearest(points, seeds)
    cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(seeds), extend_to=parent))
    if len(cells) != k:
        return None
    # Match cells to seeds without relying on GEOS ordering (needs GEOS ≥ 3.12).
    seed_idx, cell_idx = shapely.STRtree(cells).query(shapely.points(seeds), predicate="within")
    if len(seed_idx) != k or len(set(cell_idx.tolist())) != k:
        return None
    ordered = np.empty(k, dtype=object)
    ordered[seed_idx] = cells[cell_idx]
    clipped = shapely.intersection(ordered, parent)
    shares = np.bincount(labels, minlength=k) / len(points)
    min_area = 0.2 * parent.area / k
    pieces: list[Piece] = []
    for geom, share in zip(clipped, shares, strict=True):
        piece = _polygonal(geom)
        if piece is None or not piece.is_valid or piece.area < min_area:
            return None
        pieces.append(Piece(piece, float(share)))
    return pieces


def label_point(geom: Any) -> tuple[float, float]:
    """The centroid if it lies inside ``geom``, else a point guaranteed to be inside."""
    point = geom.centroid
    if not geom.contains(point):
        point = geom.point_on_surface()
    return float(point.x), float(point.y)


def km_to_lonlat(coords: FloatArray) -> FloatArray:
    out = np.empty_like(coords)
    out[:, 0] = CENTER_LON + coords[:, 0] / KM_PER_DEG_LON
    out[:, 1] = CENTER_LAT + coords[:, 1] / KM_PER_DEG_LAT
    return out


def to_lonlat(geom: Any) -> Any:
    return shapely.transform(geom, km_to_lonlat)


def to_geojson(geom_km: Any) -> dict[str, Any]:
    """GeoJSON (RFC 7946: lon/lat, exterior rings counter-clockwise) of a km-plane polygon."""
    geom = to_lonlat(geom_km)
    if geom.geom_type == "Polygon":
        geom = orient(geom, sign=1.0)
    else:
        geom = MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])
    return {"type": geom.geom_type, "coordinates": _lists(mapping(geom)["coordinates"])}


def _lists(value: Any) -> Any:
    """Nested tuples → nested lists, as the JSON column hands GeoJSON back."""
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    return float(value)
