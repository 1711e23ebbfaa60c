"""Point → grid lookup: exact on borders, in holes and outside the city, in batch."""

from __future__ import annotations

import json

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from factories.org import LAT0, LON0, box, make_tiny_city, make_user, polygon
from zhili.core.security import Role
from zhili.org import service
from zhili.org.geo import NO_GRID, GridIndex, GridIndexCache, GridShape
from zhili.org.users.models import User


def tiny_index(cells_per_grid: int = 64) -> GridIndex:
    hole = box(2.4, 0.4, 2.6, 0.6)
    shapes = [
        GridShape(1, "A1", polygon(box(0, 0, 1, 1))),
        GridShape(2, "A2", polygon(box(1, 0, 2, 1))),
        GridShape(3, "A3", polygon(box(2, 0, 3, 1), hole[::-1])),
        GridShape(4, "A4", polygon(box(2.4, 0.4, 2.5, 0.6))),
    ]
    return GridIndex(shapes, cells_per_grid=cells_per_grid)


def at(index: GridIndex, x: float, y: float) -> int:
    return int(index.locate_region_ids([LON0 + x], [LAT0 + y])[0])


def test_a_point_inside_a_grid_is_found_in_that_grid() -> None:
    index = tiny_index()
    assert at(index, 0.5, 0.5) == 1
    assert at(index, 1.5, 0.2) == 2
    assert at(index, 2.9, 0.9) == 3


def test_a_point_on_a_shared_border_belongs_to_the_grid_with_the_smaller_code() -> None:
    index = tiny_index()
    assert at(index, 1.0, 0.5) == 1  # edge shared by A1 and A2
    assert at(index, 2.0, 0.5) == 2  # edge shared by A2 and A3
    assert at(index, 1.0, 1.0) == 1  # a corner on the city's outer edge


def test_a_point_on_the_outer_edge_of_the_city_is_inside() -> None:
    index = tiny_index()
    assert at(index, 0.0, 0.5) == 1
    assert at(index, 3.0, 0.0) == 3


def test_a_hole_belongs_to_the_grid_filling_it_or_to_none() -> None:
    index = tiny_index()
    assert at(index, 2.45, 0.5) == 4  # left half of the hole: grid A4
    assert at(index, 2.55, 0.5) == NO_GRID  # right half: a hole in A3, no grid at all
    assert at(index, 2.4, 0.5) == 3  # on the hole's edge shared by A3 and A4: smaller code


def test_points_outside_the_city_have_no_grid() -> None:
    index = tiny_index()
    assert at(index, -0.001, 0.5) == NO_GRID
    assert at(index, 1.5, 1.0001) == NO_GRID
    assert at(index, 50.0, 50.0) == NO_GRID
    assert int(index.locate_region_ids([float("nan")], [26.5])[0]) == NO_GRID


def test_an_empty_index_answers_no_grid() -> None:
    index = GridIndex([])
    assert list(index.locate_region_ids([106.0, 107.0], [26.0, 27.0])) == [NO_GRID, NO_GRID]


def jittered_tiling(seed: int, nx: int = 12, ny: int = 9) -> list[GridShape]:
    """Quadrilaterals sharing jittered corners: a gap-free tiling with awkward edges."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.linspace(0, 3, nx + 1), np.linspace(0, 2, ny + 1))
    xs[1:-1, 1:-1] += rng.uniform(-0.08, 0.08, (ny - 1, nx - 1))
    ys[1:-1, 1:-1] += rng.uniform(-0.08, 0.08, (ny - 1, nx - 1))
    shapes = []
    for j in range(ny):
        for i in range(nx):
            ring = [
                [LON0 + xs[a, b], LAT0 + ys[a, b]]
                for a, b in ((j, i), (j, i + 1), (j + 1, i + 1), (j + 1, i), (j, i))
            ]
            shapes.append(GridShape(j * nx + i + 1, f"{j:03d}{i:03d}", polygon(ring)))
    return shapes


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), cells=st.sampled_from([16, 64, 400]))
def test_the_raster_shortcut_gives_the_same_answer_as_exact_polygon_tests(
    seed: int, cells: int
) -> None:
    shapes = jittered_tiling(seed)
    index = GridIndex(shapes, cells_per_grid=cells)
    rng = np.random.default_rng(seed + 1)
    lons = LON0 + rng.uniform(-0.2, 3.2, 4000)
    lats = LAT0 + rng.uniform(-0.2, 2.2, 4000)
    fast = index.locate_region_ids(lons, lats)
    polys = [shapely.from_geojson(json.dumps(s.geometry)) for s in shapes]
    points = shapely.points(lons, lats)
    expected = np.full(len(lons), NO_GRID)
    for k in range(len(lons)):
        for s, poly in zip(shapes, polys, strict=True):
            if poly.covers(points[k]):
                expected[k] = s.region_id  # codes sort like ids here: first hit is smallest
                break
    assert np.array_equal(fast, expected)


def test_points_exactly_on_raster_cell_lines_and_grid_vertices_are_exact() -> None:
    shapes = jittered_tiling(7)
    index = GridIndex(shapes, cells_per_grid=16)
    # every vertex of every grid, and points on the raster's own cell lines
    coords = np.concatenate(
        [shapely.get_coordinates(shapely.from_geojson(json.dumps(s.geometry))) for s in shapes]
    )
    k = np.arange(0, 40)
    line_x = index.x0 + k * index.cell
    line_y = index.y0 + k * index.cell
    lons = np.concatenate([coords[:, 0], line_x, np.full(40, LON0 + 1.3)])
    lats = np.concatenate([coords[:, 1], np.full(40, LAT0 + 0.7), line_y])
    fast = index.locate_region_ids(lons, lats)
    exact = index.region_ids[np.maximum(index._exact(lons, lats), 0)]
    exact[index._exact(lons, lats) == NO_GRID] = NO_GRID
    assert np.array_equal(fast, exact)


def test_the_lookup_returns_the_grid_and_all_its_ancestors(session: Session) -> None:
    tiny = make_tiny_city(session)
    cache = GridIndexCache(cells_per_grid=64)
    [chain, none] = service.locate(
        session, cache=cache, lons=[LON0 + 1.5, LON0 + 9], lats=[LAT0 + 0.5, LAT0]
    )
    assert none is None
    assert chain is not None
    assert [r.id for r in chain] == [
        tiny.city.id,
        tiny.district.id,
        tiny.street.id,
        tiny.community.id,
        tiny.grids["G2"].id,
    ]


def test_the_index_is_rebuilt_when_a_grid_changes_and_only_then(session: Session) -> None:
    tiny = make_tiny_city(session)
    admin = session.get(User, _admin(session).id)
    assert admin is not None
    cache = GridIndexCache(cells_per_grid=64)
    lon, lat = LON0 + 2.55, LAT0 + 0.5  # the empty half of the hole
    assert service.locate(session, cache=cache, lons=[lon], lats=[lat]) == [None]
    service.locate(session, cache=cache, lons=[lon], lats=[lat])
    assert cache.builds == 1
    # grid G4 grows to fill the whole hole
    g4 = tiny.grids["G4"]
    service.update_region(
        session,
        actor=admin,
        region_id=g4.id,
        version=g4.version,
        geometry=polygon(box(2.4, 0.4, 2.6, 0.6)),
    )
    [chain] = service.locate(session, cache=cache, lons=[lon], lats=[lat])
    assert chain is not None and chain[-1].id == g4.id
    assert cache.builds == 2


def _admin(session: Session) -> User:
    return make_user(session, role=Role.admin, region=None, username="geo_admin")
