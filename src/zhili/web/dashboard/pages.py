"""The command dashboard 一屏知全城: one page, and the data it refreshes without reloading.

``/dashboard`` renders the page with the live counters and the red-warning list already in
it; the browser then refreshes every ``refresh_seconds``: JSON for the map colours and the
charts (``/dashboard/data/*``), server-rendered fragments for the lists that carry text
written by the public (``/dashboard/fragments/*``, escaped by Jinja). Boundaries come from
``/dashboard/geo/<unit>.geojson``, simplified and cached, revalidated by ETag.

Every endpoint takes ``region`` (default: the viewer's scope unit) and refuses a unit outside
the viewer's scope with 403.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from zhili.core.clock import utcnow
from zhili.core.errors import Unauthorized
from zhili.org.deps import SessionDep, SettingsDep
from zhili.org.models import LEVEL_LABELS_ZH, Region, RegionLevel
from zhili.org.users.models import User
from zhili.web.dashboard import insights, queries
from zhili.web.dashboard.config import DashboardSettings
from zhili.web.dashboard.geo import GeoCache
from zhili.web.dashboard.ranking import RankingCache, current_month, ranking
from zhili.web.dashboard.scope import breadcrumb, child_level, resolve
from zhili.web.deps import MaybeUser, WebUser
from zhili.web.templating import render

router = APIRouter()

RegionParam = Query(None, description="the unit to show; default the viewer's scope")
_LIVE = {"Cache-Control": "no-store"}


def dashboard_settings(request: Request) -> DashboardSettings:
    return app_dashboard_settings(request.app)


def app_dashboard_settings(app: FastAPI) -> DashboardSettings:
    found = getattr(app.state, "dashboard_settings", None)
    if not isinstance(found, DashboardSettings):
        found = app.state.dashboard_settings = DashboardSettings()
    return found


def geo_cache(request: Request) -> GeoCache:
    found = getattr(request.app.state, "dashboard_geo", None)
    if not isinstance(found, GeoCache):
        found = request.app.state.dashboard_geo = GeoCache()
    return found


def ranking_cache(request: Request) -> RankingCache:
    return app_ranking_cache(request.app)


def app_ranking_cache(app: FastAPI) -> RankingCache:
    """The app's live rankings: filled by requests, and warmed by ``zhili serve``'s ticker."""
    found = getattr(app.state, "dashboard_rankings", None)
    if not isinstance(found, RankingCache):
        ttl = app_dashboard_settings(app).rankings_ttl_seconds
        found = app.state.dashboard_rankings = RankingCache(ttl)
    return found


def _viewer(user: User | None) -> User:
    # Data endpoints are fetched by the page's script: a lapsed login is sent to /login.
    if user is None:
        raise Unauthorized()
    return user


@dataclass
class Viewed:
    viewer: User
    unit: Region


def viewed(session: SessionDep, user: MaybeUser, region: int | None = RegionParam) -> Viewed:
    """Who is looking (a lapsed login: 401) and at which unit (default their scope; 403
    outside it): the preamble of every data endpoint."""
    viewer = _viewer(user)
    return Viewed(viewer, resolve(session, viewer, region))


ViewedDep = Annotated[Viewed, Depends(viewed)]


def _unit(region: Region) -> dict[str, Any]:
    return {
        "id": region.id,
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "level_zh": LEVEL_LABELS_ZH[RegionLevel(region.level)],
    }


def _context(session: Session, user: User, region: Region) -> dict[str, Any]:
    level = child_level(region.level)
    return {
        "region": _unit(region),
        "breadcrumb": [_unit(r) for r in breadcrumb(session, user, region)],
        "child_level": level.value if level else None,
        "child_level_zh": LEVEL_LABELS_ZH[level] if level else None,
    }


@router.get("/dashboard")
def dashboard_page(
    request: Request, session: SessionDep, user: WebUser, region: int | None = RegionParam
) -> Response:
    unit = resolve(session, user, region)
    now = utcnow()
    conf = dashboard_settings(request)
    red, red_total = queries.red_cases(session, unit, now=now, limit=conf.red_list_size)
    return render(
        request,
        "dashboard/index.html",
        {
            **_context(session, user, unit),
            "unit": unit,
            "now": now,
            "counters": queries.counters(session, unit, now=now),
            "red": red,
            "red_total": red_total,
            "conf": conf,
            "month": current_month(now),
        },
        user=user,
    )


# -- JSON data ----------------------------------------------------------------------------


@router.get("/dashboard/data/counters")
def counters_data(session: SessionDep, seen: ViewedDep) -> Response:
    unit = seen.unit
    now = utcnow()
    body = {"at": now, **_unit(unit), **asdict(queries.counters(session, unit, now=now))}
    return _json(body)


@router.get("/dashboard/data/map")
def map_data(session: SessionDep, seen: ViewedDep) -> Response:
    viewer, unit = seen.viewer, seen.unit
    now = utcnow()
    body = {
        "at": now,
        **_context(session, viewer, unit),
        "geojson": f"/dashboard/geo/{unit.id}.geojson",
        "units": [asdict(u) for u in queries.map_figures(session, unit, now=now)],
        "points": queries.case_points(session, unit, now=now),
    }
    return _json(body)


@router.get("/dashboard/geo/{region_id}.geojson")
def geo_layer(request: Request, session: SessionDep, user: MaybeUser, region_id: int) -> Response:
    unit = resolve(session, _viewer(user), region_id)
    layer = geo_cache(request).layer(session, unit)
    etag = f'"{layer.etag}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(layer.body, media_type="application/geo+json", headers=headers)


@router.get("/dashboard/data/trend")
def trend_data(
    session: SessionDep,
    seen: ViewedDep,
    grain: str = Query("day", pattern="^(day|month)$"),
    span: int = Query(30, ge=1, le=366),
) -> Response:
    unit = seen.unit
    if grain == "month":
        span = min(span, 36)
    series = queries.trend(session, unit, now=utcnow(), grain=grain, span=span)
    return _json(
        {
            "grain": series.grain,
            "buckets": [b.isoformat() for b in series.buckets],
            "intake": series.intake,
            "closed": series.closed,
        }
    )


@router.get("/dashboard/data/mix")
def mix_data(
    request: Request,
    session: SessionDep,
    seen: ViewedDep,
    days: int | None = Query(None, ge=1, le=366),
) -> Response:
    unit = seen.unit
    now = utcnow()
    days = days or dashboard_settings(request).mix_days
    start = queries.local_midnight(now) - timedelta(days=days - 1)
    return _json(
        {
            "days": days,
            "categories": [
                asdict(s) for s in queries.category_mix(session, unit, start=start, end=now)
            ],
            "channels": [
                asdict(s) for s in queries.channel_mix(session, unit, start=start, end=now)
            ],
        }
    )


@router.get("/dashboard/data/rankings")
def rankings_data(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    seen: ViewedDep,
    month: str | None = Query(None, max_length=7),
) -> Response:
    unit = seen.unit
    result = ranking(
        session,
        settings=settings,
        region=unit,
        month=month or current_month(utcnow()),
        cache=ranking_cache(request),
    )
    body = asdict(result)
    body["level_zh"] = LEVEL_LABELS_ZH[RegionLevel(result.level)] if result.level else None
    return _json(body)


@router.get("/dashboard/data/red")
def red_data(
    request: Request,
    session: SessionDep,
    seen: ViewedDep,
    limit: int | None = Query(None, ge=1, le=200),
) -> Response:
    unit = seen.unit
    size = limit or dashboard_settings(request).red_list_size
    items, total = queries.red_cases(session, unit, now=utcnow(), limit=size)
    return _json({"total": total, "items": [asdict(i) for i in items]})


@router.get("/dashboard/data/insights")
def insights_data(request: Request, session: SessionDep, seen: ViewedDep) -> Response:
    viewer, unit = seen.viewer, seen.unit
    sources = insights.sources_of(request.app)
    items = insights.collect(sources, session, viewer, unit, limit=20)
    return _json({"available": bool(sources), "items": [asdict(i) for i in items]})


# -- HTML fragments (HTMX) ----------------------------------------------------------------


@router.get("/dashboard/fragments/counters")
def counters_fragment(request: Request, session: SessionDep, seen: ViewedDep) -> Response:
    viewer, unit = seen.viewer, seen.unit
    now = utcnow()
    return render(
        request,
        "dashboard/_counters.html",
        {"counters": queries.counters(session, unit, now=now), "now": now},
        user=viewer,
        headers=_LIVE,
    )


@router.get("/dashboard/fragments/red")
def red_fragment(request: Request, session: SessionDep, seen: ViewedDep) -> Response:
    viewer, unit = seen.viewer, seen.unit
    size = dashboard_settings(request).red_list_size
    red, total = queries.red_cases(session, unit, now=utcnow(), limit=size)
    return render(
        request,
        "dashboard/_red.html",
        {"red": red, "red_total": total},
        user=viewer,
        headers=_LIVE,
    )


@router.get("/dashboard/fragments/insights")
def insights_fragment(request: Request, session: SessionDep, seen: ViewedDep) -> Response:
    viewer, unit = seen.viewer, seen.unit
    sources = insights.sources_of(request.app)
    items = insights.collect(sources, session, viewer, unit, limit=10)
    return render(
        request,
        "dashboard/_insights.html",
        {"items": items, "available": bool(sources)},
        user=viewer,
        headers=_LIVE,
    )


def _json(body: dict[str, Any]) -> Response:
    return JSONResponse(jsonable_encoder(body), headers=_LIVE)
