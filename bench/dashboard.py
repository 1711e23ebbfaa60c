"""Benchmark: the command dashboard 一屏知全城 on the `city` demo with a year of cases.

Builds (once, with ``--build``) the demo city of size ``city`` (6 000 grids) and a year of its
cases through the real services (``zhili.demo``: 20 000 by default) into its own PostgreSQL
database, then folds the events into the assessment rollup, as the supervision tick would (again on
every ``--build``, so an interrupted simulation can be reused as far as it got: it commits
once per simulated day). The dashboard's clock is set to the last simulated moment.
The 一标三实 base data of ``zhili demo`` is left out: the dashboard does not read it, and it
takes hours at city size on the shared 2-core machine.

Then, in one process and one run, it logs in as a city leader and as a district leader and
times, with the app in-process (Starlette's TestClient, no network), best-of and median of
``--repeat`` requests each:

    reference   GET /healthz                       (the bare app: routing, JSON)
    page        GET /dashboard                     (counters and red list rendered in)
    data        GET /dashboard/data/{counters,map,trend,mix,rankings,red,insights}
    fragments   GET /dashboard/fragments/{counters,red}
    geo         GET /dashboard/geo/<unit>.geojson  (first request: built; then cached)
    rankings    the live month's ranking of the level (first request: computed; then reused
                for ``ZHILI_DASHBOARD_RANKINGS_TTL_SECONDS``)

at the city, a district, a street and a community. Every answer is checked (status 200, JSON
or HTML as expected, figures that add up), so a fast wrong answer cannot pass.

    python bench/dashboard.py [--url postgresql+psycopg://postgres@127.0.0.1:55433/postgres]
        [--db zhili_bench_dashboard] [--build] [--cases 20000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from zhili.app import create_app
from zhili.assessment import service as assessment
from zhili.cases.categories import service as categories
from zhili.cases.models import Case, CaseEvent
from zhili.core import migrate
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.demo.cases import simulate_cases
from zhili.demo.city import build_city
from zhili.demo.load import DEMO_PASSWORD
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User
from zhili.web.dashboard.pages import app_ranking_cache
from zhili.web.dashboard.ranking import RankingCache, current_month

TARGET_MS = 300.0


def database_url(server_url: str, name: str, *, create: bool) -> str:
    url = make_url(server_url)
    if create:
        admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not found:
                conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def build(settings: Settings, cases: int) -> None:
    engine = make_engine(settings)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as probe:
        present = probe.scalar(select(func.count()).select_from(Region))
    if present:
        print("demo city already present: reusing it")
    else:
        started = time.perf_counter()
        with transaction(factory) as session:
            stats = build_city(session, size="city", seed=1)
            categories.load_catalogue(session, actor=None)
        print(f"city built in {time.perf_counter() - started:.0f} s: {stats}")

        def progress(stage: str, done: int, total: int) -> None:
            if done % 30 == 0 or done == total:
                print(f"  {stage} {done}/{total}", flush=True)

        sim = simulate_cases(factory, cases=cases, seed=1, progress=progress, settings=settings)
        print(f"{sim.cases} cases simulated in {sim.seconds:.0f} s ({sim.events} events)")
    with transaction(factory) as session:
        folded = assessment.refresh_rollup(session)
    print(f"rollup: {folded} events folded")
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, f"login of {username} failed: {response.status_code}"


def timed(client: TestClient, path: str, check: Callable[[Any], None], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        check(response)
    return times


def is_json(response: Any) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.headers


def is_html(response: Any) -> None:
    assert response.headers["content-type"].startswith("text/html")


def counters_add_up(response: Any) -> None:
    body = response.json()
    assert body["open"] >= body["red"] + body["yellow"] >= 0, body


def map_adds_up(total_open: int) -> Callable[[Any], None]:
    def check(response: Any) -> None:
        body = response.json()
        if body["units"]:  # the children's open cases add up to the unit's (cases with a place)
            assert sum(u["open"] for u in body["units"]) <= total_open, body["region"]

    return check


def geojson(response: Any) -> None:
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["features"], "empty layer"


def pick_units(settings: Settings) -> tuple[dict[str, Region], str | None]:
    """The city and, below it, the busiest district, street and community (most cases), and
    the leader of that district."""
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    with factory() as session:
        city = session.scalar(select(Region).where(Region.parent_id.is_(None)))
        assert city is not None, "no demo city: run with --build"
        chosen = {"city": city}
        above = city
        for level in (RegionLevel.district, RegionLevel.street, RegionLevel.community):
            column = getattr(Case, f"{level.value}_id")
            query = select(column).where(column.is_not(None))
            if above.parent_id is not None:
                query = query.where(getattr(Case, f"{above.level}_id") == above.id)
            busiest = session.scalar(query.group_by(column).order_by(func.count().desc()).limit(1))
            region = session.get(Region, busiest)
            assert region is not None
            chosen[level.value] = above = region
        leader = session.scalar(
            select(User.username).where(
                User.role == "leader", User.region_id == chosen["district"].id
            )
        )
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        session.expunge_all()
    engine.dispose()
    names = ", ".join(f"{k} {v.name}" for k, v in chosen.items())
    print(f"{cases} cases; units measured: {names}")
    return chosen, leader


def row(label: str, times: list[float], reference: float | None = None) -> tuple[str, float]:
    best, median = min(times), statistics.median(times)
    flag = "" if median < TARGET_MS else "  ← over target"
    ratio = f"{median / reference:6.1f}×" if reference else "      "
    print(f"{label:<52} {best:8.1f} {median:8.1f} {max(times):8.1f} {ratio}{flag}")
    return label, median


def measure(settings: Settings, repeat: int) -> list[tuple[str, float]]:
    units, leader = pick_units(settings)
    app = create_app(settings)
    results = []
    # "Now" is the end of the simulated year: the counters of today, the last 30 days and the
    # current month's ranking then see as many cases as they would in production.
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        last = session.scalar(select(func.max(CaseEvent.at)))
    engine.dispose()
    assert last is not None, "no case events: run with --build"
    print(f"dashboard clock set to the last simulated moment: {last:%Y-%m-%d %H:%M} UTC")
    with use_clock(ManualClock(last)), TestClient(app) as client:
        login(client, "leader_city_1")
        print(f"\n{'GET (server time, ms)':<52} {'best':>8} {'median':>8} {'max':>8}  ×healthz")
        health = timed(client, "/healthz", is_json, repeat * 2)
        ref = statistics.median(health)
        results.append(row("/healthz (reference)", health))
        # What `zhili serve` does after every tick, in the ticker's thread: rank every level
        # of the month, so that no request computes a ranking. Not a request: no target.
        warmed = app_ranking_cache(app)
        engine = make_engine(settings)
        with make_session_factory(engine)() as session:
            started = time.perf_counter()
            levels = warmed.warm(session, settings, current_month(last))
            took = (time.perf_counter() - started) * 1000
        engine.dispose()
        print(
            f"{'ticker: warm the rankings of ' + str(len(levels)) + ' levels (background)':<52}"
            f" {took:8.1f}   (not a request)"
        )
        for key in ("city", "district", "street", "community"):
            unit = units[key]
            q = f"?region={unit.id}"
            total = client.get(f"/dashboard/data/counters{q}").json()["open"]
            geo = f"/dashboard/geo/{unit.id}.geojson"
            cold = timed(client, geo, geojson, 1)
            results.append(row(f"[{key}] geo layer, first request (built)", cold, ref))
            # for information: what the request would pay if nothing had warmed the cache
            app.state.dashboard_rankings = RankingCache(warmed.ttl)
            cold = timed(client, f"/dashboard/data/rankings{q}", is_json, 1)
            print(
                f"{'[' + key + '] rankings computed in the request (no warm-up)':<52}"
                f" {cold[0]:8.1f}   (information)"
            )
            app.state.dashboard_rankings = warmed
            first = timed(client, f"/dashboard/data/rankings{q}", is_json, 1)
            results.append(row(f"[{key}] rankings, first request after warm-up", first, ref))
            checks: list[tuple[str, Callable[[Any], None]]] = [
                (f"/dashboard{q}", is_html),
                (f"/dashboard/data/counters{q}", counters_add_up),
                (f"/dashboard/data/map{q}", map_adds_up(total)),
                (geo, geojson),
                (f"/dashboard/data/trend{q}&grain=day&span=30", is_json),
                (f"/dashboard/data/trend{q}&grain=month&span=12", is_json),
                (f"/dashboard/data/mix{q}", is_json),
                (f"/dashboard/data/rankings{q}", is_json),
                (f"/dashboard/data/red{q}", is_json),
                (f"/dashboard/data/insights{q}", is_json),
                (f"/dashboard/fragments/counters{q}", is_html),
                (f"/dashboard/fragments/red{q}", is_html),
            ]
            for path, check in checks:
                label = (
                    f"[{key}] "
                    + path.split("?")[0]
                    + (" (" + path.split("&", 1)[1] + ")" if "&" in path else "")
                )
                results.append(row(label, timed(client, path, check, repeat), ref))
        if leader:  # a district leader's view, scoped
            login(client, leader)
            times = timed(client, "/dashboard", is_html, repeat)
            results.append(row("[district leader] /dashboard", times, ref))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:55433/postgres")
    parser.add_argument("--db", default="zhili_bench_dashboard")
    parser.add_argument("--build", action="store_true", help="build the demo city if missing")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    url = database_url(args.url, args.db, create=args.build)
    settings = Settings(database_url=url, environment="development", tick_interval_seconds=0)
    if args.build:
        build(settings, args.cases)
    print(f"python {platform.python_version()} on {platform.machine()}, database {args.db}")
    results = measure(settings, args.repeat)
    over = [label for label, median in results if median >= TARGET_MS]
    print(
        f"\ntarget < {TARGET_MS:.0f} ms (median): " + ("met" if not over else f"missed by {over}")
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
