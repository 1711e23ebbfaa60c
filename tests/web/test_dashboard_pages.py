"""The dashboard page and its fragments: scope, escaping of text from the public, the slot."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from web.dashboard_world import NOW, XSS_TITLE, Dash, build, login
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.org.models import Region
from zhili.org.users.models import User
from zhili.web.dashboard.insights import Insight, register_source

DATA = (
    "/dashboard/data/counters",
    "/dashboard/data/map",
    "/dashboard/data/trend",
    "/dashboard/data/mix",
    "/dashboard/data/rankings",
    "/dashboard/data/red",
    "/dashboard/data/insights",
    "/dashboard/fragments/counters",
    "/dashboard/fragments/red",
    "/dashboard/fragments/insights",
)


@pytest.fixture
def dash(session: Session, settings: Settings) -> Iterator[Dash]:
    with use_clock(ManualClock(NOW)):
        yield build(session, settings)


def test_the_page_shows_live_counters_and_the_red_list(client: TestClient, dash: Dash) -> None:
    login(client, dash.world.staff.leader.username)
    page = client.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    assert "一屏知全城" in html and f'data-region="{dash.world.city.city.id}"' in html
    assert '<strong data-counter="open">5</strong>' in html
    assert '<strong data-counter="red">3</strong>' in html
    assert dash.cases["c5"].number in html and dash.cases["c6"].number in html
    for asset in ("echarts.min.js", "leaflet.js", "leaflet.css", "/static/dashboard.js"):
        assert asset in html
    assert client.get("/static/dashboard.js").status_code == 200


def test_text_from_the_public_is_inert_on_the_dashboard(client: TestClient, dash: Dash) -> None:
    login(client, dash.world.staff.leader.username)
    for path in ("/dashboard", "/dashboard/fragments/red"):
        html = client.get(path).text
        assert "&lt;script&gt;alert(" in html, path
        assert "<script>alert(" not in html and "<b>粗体</b>" not in html, path
        assert "&lt;b&gt;粗体&lt;/b&gt;井盖缺失" in html, path
    # The JSON endpoints carry the text as data (the page's script sets it as textContent).
    red = client.get("/dashboard/data/red")
    assert red.headers["content-type"].startswith("application/json")
    assert red.json()["items"][0]["title"] == XSS_TITLE


def test_a_district_leader_sees_only_their_district(client: TestClient, dash: Dash) -> None:
    login(client, dash.leader_d2.username)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert '<strong data-counter="open">1</strong>' in page.text
    assert dash.cases["c6"].number in page.text
    assert dash.cases["c5"].number not in page.text  # 一区's red case
    counters = client.get("/dashboard/data/counters").json()
    assert (counters["id"], counters["open"], counters["red"]) == (dash.d2.id, 1, 1)
    crumbs = client.get("/dashboard/data/map").json()["breadcrumb"]
    assert [c["name"] for c in crumbs] == ["二区"]  # never above their own scope
    # Inside their district: allowed; the city, 一区 and anything in it: 403.
    assert client.get("/dashboard", params={"region": dash.h1.id}).status_code == 200
    outside: Sequence[Region] = (dash.world.city.city, dash.d1, dash.world.city.grids["G2"])
    for region in outside:
        assert client.get("/dashboard", params={"region": region.id}).status_code == 403
        assert client.get(f"/dashboard/geo/{region.id}.geojson").status_code == 403
        for path in DATA:
            response = client.get(path, params={"region": region.id})
            assert response.status_code == 403, (path, region.name)


def test_roles_without_an_area_view_are_refused(client: TestClient, dash: Dash) -> None:
    staff = dash.world.staff
    users: Sequence[User] = (staff.urban, staff.gridder, staff.community, staff.citizen)
    for user in users:
        client.cookies.clear()
        login(client, user.username)
        assert client.get("/dashboard").status_code == 403, user.role
        assert client.get("/dashboard/data/counters").status_code == 403, user.role


def test_dispatcher_and_street_see_their_own_area(client: TestClient, dash: Dash) -> None:
    staff = dash.world.staff
    for user, open_cases in ((staff.dispatcher, 4), (staff.street, 4)):
        client.cookies.clear()
        login(client, user.username)
        assert client.get("/dashboard/data/counters").json()["open"] == open_cases


def test_anonymous_visitors_are_sent_to_login(client: TestClient, dash: Dash) -> None:
    for path in ("/dashboard", "/dashboard/data/counters", "/dashboard/geo/1.geojson"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login")


def test_an_unknown_unit_is_not_found(client: TestClient, dash: Dash) -> None:
    login(client, dash.world.staff.leader.username)
    assert client.get("/dashboard", params={"region": 987654}).status_code == 404
    assert client.get("/dashboard/data/map", params={"region": "abc"}).status_code == 422


def test_the_counters_fragment_refreshes(client: TestClient, dash: Dash, session: Session) -> None:
    login(client, dash.world.staff.leader.username)
    before = client.get("/dashboard/fragments/counters").text
    assert '<strong data-counter="open">5</strong>' in before
    assert "其中超时" in before
    dash.cases["c1"].state = "closed"
    dash.cases["c1"].closed_at = NOW
    session.flush()
    after = client.get("/dashboard/fragments/counters")
    assert after.headers["cache-control"] == "no-store"
    assert '<strong data-counter="open">4</strong>' in after.text
    assert '<strong data-counter="today_closed">2</strong>' in after.text


def test_insight_sources_fill_the_slot_escaped(
    client: TestClient, app: FastAPI, dash: Dash
) -> None:
    login(client, dash.world.staff.leader.username)
    empty = client.get("/dashboard/fragments/insights").text
    assert "暂无研判预警" in empty  # insight's own feed is registered, with nothing stored
    seen: list[str] = []

    def source(session: Session, user: User, region: Region) -> list[Insight]:
        seen.append(region.name)
        return [
            Insight(level="info", title="周报已生成"),
            Insight(
                level="red",
                title="<img src=x onerror=alert(1)>井盖投诉突增",
                detail="近7天同类案件 12 件",
                at=NOW,
                link="javascript:alert(1)",
            ),
        ]

    register_source(app, source)
    body = client.get("/dashboard/data/insights", params={"region": dash.d2.id}).json()
    assert body["available"] is True and seen == ["二区"]
    assert [i["level"] for i in body["items"]] == ["red", "info"]  # most severe first
    html = client.get("/dashboard/fragments/insights").text
    assert "&lt;img src=x onerror=alert(1)&gt;井盖投诉突增" in html
    assert "<img src=x" not in html and "javascript:alert" not in html
