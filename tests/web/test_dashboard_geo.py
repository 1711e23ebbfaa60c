"""Boundaries for the map: the children of a unit, simplified, cached and revalidated."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy.orm import Session

from factories.org import box, make_user, polygon
from web.dashboard_world import NOW, Dash, build, login
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.org import service as org
from zhili.web.dashboard.geo import GeoCache, build_layer


@pytest.fixture
def dash(session: Session, settings: Settings) -> Iterator[Dash]:
    with use_clock(ManualClock(NOW)):
        yield build(session, settings)


def _circle(n: int) -> dict[str, object]:
    ring = [
        [106.5 + 0.1 * math.cos(2 * math.pi * i / n), 26.5 + 0.1 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_a_layer_is_simplified_and_rounded_but_keeps_its_shape() -> None:
    fine = _circle(20_000)
    row = SimpleNamespace(id=7, code="529901001001001", name="圆网格", level="grid", geometry=fine)
    body, count = build_layer([row])
    layer = json.loads(body)
    assert count == 1 and layer["features"][0]["properties"]["name"] == "圆网格"
    ring = layer["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) < 2_000  # 20 000 vertices are more than any screen shows
    assert all(round(x, 5) == x and round(y, 5) == y for x, y in ring)
    before, after = shape(fine), shape(layer["features"][0]["geometry"])
    assert shapely.is_valid(after)
    assert abs(after.area - before.area) / before.area < 0.01


def test_each_level_serves_the_children_of_the_unit(client: TestClient, dash: Dash) -> None:
    login(client, dash.world.staff.leader.username)
    tiny = dash.world.city

    def names(region_id: int) -> list[str]:
        response = client.get(f"/dashboard/geo/{region_id}.geojson")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/geo+json"
        return [f["properties"]["name"] for f in response.json()["features"]]

    assert names(tiny.city.id) == ["一区", "二区"]
    assert names(tiny.district.id) == ["一街道"]
    assert names(tiny.community.id) == ["第1网格", "第2网格", "第3网格", "第4网格"]
    assert names(tiny.grids["G3"].id) == ["第3网格"]  # a grid: itself (its cases are points)


def test_etag_revalidates_and_an_edit_is_served_fresh(
    client: TestClient, dash: Dash, session: Session
) -> None:
    login(client, dash.world.staff.leader.username)
    community = dash.world.city.community
    path = f"/dashboard/geo/{community.id}.geojson"
    first = client.get(path)
    etag = first.headers["etag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""

    g1 = dash.world.city.grids["G1"]
    smaller = polygon(box(0, 0, 0.5, 0.5))
    admin = make_user(session, role=Role.admin, region=None, username="geo_admin")
    org.update_region(session, actor=admin, region_id=g1.id, version=g1.version, geometry=smaller)
    session.flush()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    feature = next(f for f in changed.json()["features"] if f["properties"]["id"] == g1.id)
    assert feature["geometry"]["coordinates"][0][2] == [106.5, 26.5]


def test_the_cache_keeps_one_entry_per_unit_and_a_bounded_size(
    dash: Dash, session: Session
) -> None:
    cache = GeoCache(max_entries=2)
    tiny = dash.world.city
    first = cache.layer(session, tiny.community)
    assert cache.layer(session, tiny.community) is first  # served from memory
    for region in (tiny.city, tiny.district, tiny.street):
        cache.layer(session, region)
    assert len(cache) == 2
