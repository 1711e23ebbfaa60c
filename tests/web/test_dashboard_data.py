"""The dashboard's data endpoints against the hand-counted cases of ``dashboard_world``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from web.dashboard_world import NOW, Dash, build, login
from zhili.assessment import rankings
from zhili.assessment import service as assessment
from zhili.assessment.metrics import UnitKind
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.web.dashboard.pages import app_ranking_cache
from zhili.web.dashboard.ranking import RankingCache


@pytest.fixture
def dash(session: Session, settings: Settings) -> Iterator[Dash]:
    with use_clock(ManualClock(NOW)):
        yield build(session, settings)


@pytest.fixture
def city(client: TestClient, dash: Dash) -> TestClient:
    login(client, dash.world.staff.leader.username)
    return client


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_counters_of_the_city_and_of_each_district(city: TestClient, dash: Dash) -> None:
    body = get(city, "/dashboard/data/counters")
    assert body["id"] == dash.world.city.city.id
    figures = {k: body[k] for k in ("open", "red", "yellow", "today_intake", "today_closed")}
    # open c1 c2 c3 c5 c6; red c3 c5 c6; yellow c2; today (Beijing) c1 c2 c6; closed today c4
    assert figures == {"open": 5, "red": 3, "yellow": 1, "today_intake": 3, "today_closed": 1}
    assert (body["whistles_awaiting"], body["whistles_late"]) == (2, 1)

    d1 = get(city, "/dashboard/data/counters", region=dash.d1.id)
    assert (d1["open"], d1["red"], d1["yellow"], d1["today_intake"], d1["today_closed"]) == (
        4,
        2,
        1,
        2,
        1,
    )
    assert (d1["whistles_awaiting"], d1["whistles_late"]) == (1, 1)
    d2 = get(city, "/dashboard/data/counters", region=dash.d2.id)
    assert (d2["open"], d2["red"], d2["today_intake"], d2["whistles_awaiting"]) == (1, 1, 1, 1)
    assert d2["whistles_late"] == 0


def test_map_colours_the_children_of_the_unit_shown(city: TestClient, dash: Dash) -> None:
    body = get(city, "/dashboard/data/map")
    assert body["child_level"] == "district"
    units = {u["name"]: (u["open"], u["red"], u["yellow"]) for u in body["units"]}
    assert units == {"一区": (4, 2, 1), "二区": (1, 1, 0)}
    assert body["geojson"] == f"/dashboard/geo/{dash.world.city.city.id}.geojson"

    community = get(city, "/dashboard/data/map", region=dash.world.city.community.id)
    assert community["child_level"] == "grid"
    assert [b["name"] for b in community["breadcrumb"]] == ["测试市", "一区", "一街道", "一社区"]
    grids = {u["name"]: (u["open"], u["red"], u["yellow"]) for u in community["units"]}
    assert grids == {
        "第1网格": (1, 0, 0),
        "第2网格": (3, 2, 1),
        "第3网格": (0, 0, 0),
        "第4网格": (0, 0, 0),
    }
    assert community["points"] == []


def test_a_grid_shows_its_open_cases_as_points(city: TestClient, dash: Dash) -> None:
    body = get(city, "/dashboard/data/map", region=dash.world.city.grids["G2"].id)
    assert body["child_level"] is None and body["units"] == []
    # most overdue first: c5 (48 h), c3 (5 h), then c2 (yellow)
    points = [(p["number"], p["warning"]) for p in body["points"]]
    c = dash.cases
    assert points == [(c["c5"].number, "red"), (c["c3"].number, "red"), (c["c2"].number, "yellow")]
    assert body["points"][0]["title"] == c["c5"].title  # raw in JSON; the page sets textContent


def test_red_list_longest_overdue_first(city: TestClient, dash: Dash) -> None:
    body = get(city, "/dashboard/data/red")
    c = dash.cases
    assert body["total"] == 3
    rows = [(i["number"], i["overdue_hours"]) for i in body["items"]]
    assert rows == [(c["c5"].number, 48.0), (c["c3"].number, 5.0), (c["c6"].number, 1.0)]
    first = body["items"][0]
    assert first["handler"] == dash.world.depts["urban_management"].name
    assert first["place"] == "一街道 一社区"
    assert first["category"] == "上水井盖"
    assert first["escalation_level"] == 1

    limited = get(city, "/dashboard/data/red", limit=1)
    assert limited["total"] == 3 and len(limited["items"]) == 1
    only_d2 = get(city, "/dashboard/data/red", region=dash.d2.id)
    assert [i["number"] for i in only_d2["items"]] == [c["c6"].number]


def test_trend_counts_by_beijing_day_and_month(city: TestClient, dash: Dash) -> None:
    body = get(city, "/dashboard/data/trend", grain="day", span=7)
    assert body["buckets"] == [f"2026-11-{d}" for d in range(14, 21)]
    # 11-20: c1 c2 (00:30 Beijing) c6; 11-19: c3 (23:30 Beijing); 11-17: c4; c5 is older
    assert body["intake"] == [0, 0, 0, 1, 0, 1, 3]
    assert body["closed"] == [0, 0, 0, 0, 0, 0, 1]

    months = get(city, "/dashboard/data/trend", grain="month", span=2)
    assert months["buckets"] == ["2026-10-01", "2026-11-01"]
    assert months["intake"] == [0, 6] and months["closed"] == [0, 1]
    d2 = get(city, "/dashboard/data/trend", grain="day", span=1, region=dash.d2.id)
    assert d2["intake"] == [1]


def test_trend_refuses_an_unknown_grain(city: TestClient) -> None:
    assert city.get("/dashboard/data/trend", params={"grain": "week"}).status_code == 422


def test_category_and_channel_mix(city: TestClient, dash: Dash, session: Session) -> None:
    body = get(city, "/dashboard/data/mix", days=30)
    cats = [(s["key"], s["name"], s["count"]) for s in body["categories"]]
    assert cats == [("E01", "市容环境", 5), ("C01", "公用设施", 1)]
    channels = [(s["key"], s["name"], s["count"]) for s in body["channels"]]
    assert channels == [
        ("hotline", "12345热线", 4),
        ("app", "移动应用", 1),
        ("gridder", "网格员上报", 1),
    ]

    # the last 3 days (Beijing): c4 (3 days ago) falls out, c5 long since
    recent = get(city, "/dashboard/data/mix", days=3)
    assert [(s["key"], s["count"]) for s in recent["categories"]] == [("E01", 4)]


def test_rankings_are_the_assessments_own(
    city: TestClient, dash: Dash, session: Session, settings: Settings
) -> None:
    staff, world = dash.world.staff, dash.world
    c1 = dash.cases["c1"]
    cases.register(session, actor=staff.dispatcher, case_id=c1.id)
    cases.dispatch(
        session,
        actor=staff.dispatcher,
        settings=settings,
        case_id=c1.id,
        department_id=world.depts["urban_management"].id,
    )
    handling.accept(session, actor=staff.urban, case_id=c1.id)
    session.flush()

    body = get(city, "/dashboard/data/rankings")
    assert body["month"] == "2026-11" and body["level"] == "district"
    units = {u["name"]: u for u in body["units"]}
    assert set(units) == {"一区", "二区"}
    assert units["一区"]["rates"]["response_rate"] == 100.0  # one dispatch, accepted in time
    assert units["二区"]["rates"]["response_rate"] is None
    assert units["二区"]["cases"] == 0 and units["二区"]["rank"] is None
    depts = {d["name"]: d for d in body["departments"]}
    assert set(depts) == {d.name for d in world.depts.values()}
    assert depts[world.depts["urban_management"].name]["rates"]["response_rate"] == 100.0

    # the same figures as the assessment's ranking of all districts
    expected = rankings.compute(
        session, settings=settings, kind=UnitKind.district, month="2026-11", with_previous=False
    )
    by_id = {r["unit_id"]: r for r in expected}
    for u in body["units"]:
        assert u["score"] == by_id[u["unit_id"]]["score"]
        assert u["rank"] == by_id[u["unit_id"]]["rank"]

    # a district leader's ranking: its streets and its own departments
    d2 = get(city, "/dashboard/data/rankings", region=dash.d2.id)
    assert [u["name"] for u in d2["units"]] == ["二街道"] and d2["departments"] == []


def test_rankings_refuse_a_malformed_month(city: TestClient) -> None:
    response = city.get("/dashboard/data/rankings", params={"month": "2026-13"})
    assert response.status_code == 422


def test_insights_slot_holds_the_warning_feed_empty_while_nothing_is_found(
    city: TestClient,
) -> None:
    # the app registers insight's warnings as a source (zhili.web.warnings); none stored yet
    body = get(city, "/dashboard/data/insights")
    assert body == {"available": True, "items": []}


def test_a_live_ranking_is_reused_until_its_time_is_up(
    dash: Dash, session: Session, settings: Settings
) -> None:
    kept, fresh = RankingCache(ttl=3600), RankingCache(ttl=0)
    first, published = kept.rows(session, settings, UnitKind.district, "2026-11")
    assert not published and {r["name"] for r in first} == {"一区", "二区"}
    assert kept.rows(session, settings, UnitKind.district, "2026-11")[0] is first
    again = fresh.rows(session, settings, UnitKind.district, "2026-11")[0]
    assert fresh.rows(session, settings, UnitKind.district, "2026-11")[0] is not again


def test_warmed_rankings_spare_every_request_the_computation(
    city: TestClient,
    app: FastAPI,
    dash: Dash,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = app_ranking_cache(app)
    assert set(cache.warm(session, settings, "2026-11")) == set(UnitKind)
    computed: list[UnitKind] = []
    real = rankings.compute

    def spy(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        computed.append(kwargs["kind"])
        return real(*args, **kwargs)

    monkeypatch.setattr(rankings, "compute", spy)
    body = get(city, "/dashboard/data/rankings")
    assert {u["name"] for u in body["units"]} == {"一区", "二区"} and body["departments"]
    for region in (dash.d1.id, dash.d2.id):
        assert get(city, "/dashboard/data/rankings", region=region)["units"]
    assert computed == []  # every level came from the warm cache
    # a month nobody warmed is still computed on demand
    get(city, "/dashboard/data/rankings", month="2026-10")
    assert UnitKind.district in computed


def test_warming_skips_a_published_month(dash: Dash, session: Session, settings: Settings) -> None:
    assessment.publish_ranking(
        session,
        actor=dash.world.staff.leader,
        settings=settings,
        kind=UnitKind.district,
        month="2026-10",
    )
    warmed = RankingCache(ttl=3600).warm(session, settings, "2026-10")
    assert UnitKind.district not in warmed and UnitKind.grid in warmed
