"""The dashboard in a real browser (Debian's chromium, headless) against a live ``zhili serve``:
the map draws the units without any request leaving the machine, drills down on a click, and
a red case whose title is hostile HTML is shown as the text typed. Screenshot:
``test-artifacts/screenshots/20-dashboard.png``. Skips like the other browser tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from factories.org import LAT0, LON0, PASSWORD
from web.live_server import CHROMIUM, CHROMIUM_ARGS, LiveServer, chromium_available, serve
from zhili.cases import service as cases
from zhili.cases.models import Channel
from zhili.cases.schemas import CaseIntake
from zhili.core.clock import utcnow
from zhili.core.db import make_engine, make_session_factory
from zhili.org.geo import GridIndexCache
from zhili.org.users.models import User

pytestmark = pytest.mark.e2e

if not chromium_available():
    if os.environ.get("ZHILI_REQUIRE_BROWSER"):
        raise RuntimeError(f"ZHILI_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    pytest.skip(f"chromium not found at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Browser, expect, sync_playwright  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HOSTILE = '<img src=x onerror="window.__xss=1"><b>井盖</b>缺失'


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("dash-e2e")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def red_case(live: LiveServer) -> str:
    """A case in grid G2, reported by the operator, whose step is already past its deadline."""
    engine = make_engine(live.settings)
    with make_session_factory(engine)() as session:
        operator = session.scalar(select(User).where(User.username == "op1"))
        assert operator is not None
        data = CaseIntake(
            channel=Channel.hotline,
            title=HOSTILE,
            description="路口井盖缺失，夜间危险。",
            lon=LON0 + 1.5,
            lat=LAT0 + 0.5,
        )
        case, _ = cases.intake(
            session, actor=operator, cache=GridIndexCache(cells_per_grid=64), data=data
        )
        case.warn_at = utcnow() - timedelta(hours=3)
        case.deadline_at = utcnow() - timedelta(hours=2)
        session.commit()
        number = case.number
    engine.dispose()
    return number


def test_leader_dashboard_in_the_browser(browser: Browser, live: LiveServer) -> None:
    number = red_case(live)
    ctx = browser.new_context(
        base_url=live.url, locale="zh-CN", viewport={"width": 1440, "height": 1000}
    )
    ctx.set_default_timeout(15_000)
    outside: list[str] = []
    ctx.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    page = ctx.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "leader1")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.goto("/dashboard")

    expect(page.locator("[data-counter=red]")).to_have_text("1")
    row = page.locator(".red-list tr", has_text=number)
    expect(row.locator(".title")).to_have_text(HOSTILE)
    assert row.locator(".title b, .title img").count() == 0
    # the city's one district is drawn; its tooltip names it
    areas = page.locator("#dash-map path.leaflet-interactive")
    expect(areas).to_have_count(1)
    expect(page.locator("#chart-trend canvas")).to_have_count(1)
    expect(page.locator("#dash-insights")).to_contain_text("暂无研判预警")
    expect(page.locator("#rank-caption")).to_contain_text("本月实时")  # every panel loaded
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "20-dashboard.png"), full_page=True)

    areas.first.click(force=True)  # drill: city → district
    expect(page.locator("#dash-crumbs a")).to_have_count(2)
    assert "region=" in page.url
    # down to the community, then its grids: four polygons, G2 holds the red case
    for crumbs in (3, 4):
        page.wait_for_timeout(1000)  # the unit's children are drawn
        page.locator("#dash-map path.leaflet-interactive").first.click(force=True)
        expect(page.locator("#dash-crumbs a")).to_have_count(crumbs)
    expect(page.locator("#dash-map path.leaflet-interactive")).to_have_count(4)
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert page.evaluate("window.__xss") is None
    assert outside == []  # no tiles, no CDN: nothing left 127.0.0.1
    ctx.close()
