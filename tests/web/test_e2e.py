"""In a real browser (Debian's chromium, headless) against a live ``zhili serve``: one case
from a resident's report to the resident's rating, each step through the pages by the person
who owns it, asserting what they see; and text written by the public stays inert.

Screenshots of the main pages go to ``test-artifacts/screenshots``. Without chromium these
tests skip locally; CI sets ZHILI_REQUIRE_BROWSER=1 so that they fail instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from factories.org import LAT0, LON0, PASSWORD
from web.live_server import CHROMIUM, CHROMIUM_ARGS, LiveServer, chromium_available, serve

pytestmark = pytest.mark.e2e

if not chromium_available():
    if os.environ.get("ZHILI_REQUIRE_BROWSER"):
        raise RuntimeError(f"ZHILI_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    pytest.skip(
        f"chromium not found at {CHROMIUM} (apt-get install chromium); browser tests skipped",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
G2 = {"longitude": LON0 + 1.5, "latitude": LAT0 + 0.5}  # a point inside grid G2
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("e2e")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def context(browser: Browser, live: LiveServer, *, mobile: bool = False) -> BrowserContext:
    ctx = browser.new_context(
        base_url=live.url,
        locale="zh-CN",
        geolocation=G2,
        permissions=["geolocation"],
        **({"viewport": {"width": 390, "height": 844}, "is_mobile": True} if mobile else {}),
    )
    ctx.set_default_timeout(15_000)
    # Nothing may leave the machine: any request off 127.0.0.1 fails the test.
    outside: list[str] = []
    ctx.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    ctx.outside = outside  # type: ignore[attr-defined]
    return ctx


def login(ctx: BrowserContext, username: str) -> Page:
    page = ctx.new_page()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator("#messages .msg.ok")).to_contain_text("欢迎")
    return page


def action_form(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f"form[data-action='{name}']")


def test_case_from_report_to_rating(browser: Browser, live: LiveServer) -> None:
    # 1. A resident reports a problem: current location, a photo, anonymously.
    resident = context(browser, live, mobile=True)
    page = resident.new_page()
    page.goto("/public/report")
    page.fill("input[name=title]", "路灯不亮")
    page.fill("textarea[name=description]", "小区东门的路灯坏了三天，晚上很黑")
    page.click("button[data-locate]")
    expect(page.locator("[data-picked]")).to_contain_text("已选位置")
    expect(page.locator("path.leaflet-interactive")).to_have_count(4)  # the 4 grids, drawn
    page.set_input_files(
        "input[name=photo]", files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.check("input[name=anonymous]")
    shot(page, "01-public-report")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#messages .msg.ok")).to_contain_text("已收到您反映的问题")
    number = page.locator(".case-number").inner_text().strip()
    assert re.fullmatch(r"\d{8}-[0-9A-Z]{8}", number)
    expect(page.locator(".case-state")).to_have_text("已受理")
    shot(page, "02-public-status")

    # 2. The dispatcher finds it in the queue, registers it and dispatches it to the street.
    desk = context(browser, live)
    page = login(desk, "disp1")
    expect(page.locator("h1")).to_have_text("案件队列")
    shot(page, "03-dispatcher-queue")
    page.click(f"text={number}")
    expect(page.locator(".case-title")).to_have_text("路灯不亮")
    expect(page.locator("dd", has_text="匿名")).to_be_visible()
    assert action_form(page, "accept").count() == 0  # handling is not the centre's step
    form = action_form(page, "register")
    form.locator("select[name=category_id]").select_option(index=1)
    form.locator("button").click()
    expect(page.locator("#messages .msg.ok")).to_have_text("已立案")
    form = action_form(page, "dispatch")
    form.locator("select[name=target]").select_option(label=live.world_names["street"])
    form.locator("button").click()
    expect(page.locator("#messages .msg.ok")).to_have_text("已派遣")
    expect(page.locator(".case-handler")).to_have_text(live.world_names["street"])
    shot(page, "04-dispatcher-case")
    page.goto("/work/intake")
    expect(page.locator("path.leaflet-interactive")).to_have_count(4)
    shot(page, "05-dispatcher-intake")

    # 3. The street takes the case on and whistles the urban management department.
    street = context(browser, live)
    page = login(street, "street1")
    page.click(f"text={number}")
    action_form(page, "accept").locator("button").click()
    expect(page.locator("#messages .msg.ok")).to_have_text("已签收")
    form = action_form(page, "whistle")
    form.locator("select[name=type]").select_option("tackling")
    form.locator("select[name=lead_department]").select_option(
        label=live.world_names["urban_management"]
    )
    form.locator("textarea[name=reason]").fill("路灯线路需城管部门维修")
    form.locator("button").click()
    expect(page.locator("#messages .msg.ok")).to_have_text("已吹哨")
    expect(page.locator(".whistle")).to_contain_text("待报到")
    shot(page, "06-street-case-whistle")

    # 4. The department sees the whistle counting down, reports in and does its part.
    dept = context(browser, live)
    page = login(dept, "urban1")
    row = page.locator("table.summons tr", has_text=number)
    expect(row.locator("[data-deadline]")).to_contain_text("剩余")
    shot(page, "07-department-inbox")
    row.locator("button", has_text="报到").click()
    expect(page.locator("#messages .msg.ok")).to_have_text("已报到")
    page.goto("/work/inbox")
    page.locator("table.summons tr", has_text=number).locator("a", has_text="去办理").click()
    page.fill(".whistle textarea[name=result]", "已更换路灯线路")
    page.click(".whistle button:has-text('本部门办结')")
    expect(page.locator("#messages .msg.ok")).to_have_text("本部门事项已办结")

    # ... and the street, holding the case, submits the result with a photo.
    page = street.pages[0]
    page.reload()
    form = action_form(page, "submit_result")
    form.locator("textarea[name=result]").fill("城管部门已修复路灯")
    form.locator("input[name=photo]").set_input_files(
        files=[{"name": "fixed.png", "mimeType": "image/png", "buffer": PNG}]
    )
    form.locator("button").click()
    expect(page.locator("#messages .msg.ok")).to_have_text("已处置反馈")
    expect(page.locator(".case-state")).to_have_text("待核查")

    # 5. The gridder, on a phone, finds the verification task and passes it: the case closes.
    gridder = context(browser, live, mobile=True)
    page = login(gridder, "grid2")
    shot(page, "08-gridder-home")
    page.locator(".verify-tasks a", has_text=number).click()
    form = action_form(page, "verify")
    form.locator("input[name=passed][value=yes]").check()
    form.locator("button").click()
    expect(page.locator("#messages .msg.ok")).to_have_text("已核查")
    expect(page.locator(".case-state")).to_have_text("已结案")
    page.goto("/m/report")
    shot(page, "09-gridder-report")

    # 6. The dispatcher closes the file: the case shows closed with its whole history.
    page = desk.pages[0]
    page.goto("/work/queue?state=closed")
    page.click(f"text={number}")
    expect(page.locator(".case-state")).to_have_text("已结案")
    timeline = page.locator(".timeline")
    for step in (
        "受理",
        "立案",
        "派遣",
        "签收",
        "吹哨",
        "报到",
        "部门办结",
        "处置反馈",
        "核查通过并结案",
    ):
        expect(timeline).to_contain_text(step)
    shot(page, "10-dispatcher-closed-case")

    # 7. The resident rates the result on the public page.
    page = resident.pages[0]
    page.goto(f"/public/cases/{number}")
    expect(page.locator(".case-state")).to_have_text("已结案")
    page.check("input[name=resolved][value=yes]")
    page.check("input[name=satisfaction][value=satisfied]")
    page.click("#rate-form button[type=submit]")
    expect(page.locator("#messages .msg.ok")).to_have_text("感谢您的评价！")
    expect(page.locator("body")).to_contain_text("已评价：满意")
    shot(page, "11-public-rated")

    for ctx in (resident, desk, street, dept, gridder):
        assert ctx.outside == [], ctx.outside  # type: ignore[attr-defined]
        ctx.close()


HOSTILE_TITLE = "<script>window.__xss='title'</script><b>粗体</b>"
HOSTILE_TEXT = "<img src=x onerror=\"window.__xss='img'\"><a href='javascript:alert(1)'>点我</a>"


def test_public_text_is_inert(browser: Browser, live: LiveServer) -> None:
    resident = context(browser, live)
    page = resident.new_page()
    page.goto("/public/report")
    page.fill("input[name=title]", HOSTILE_TITLE)
    page.fill("textarea[name=description]", HOSTILE_TEXT)
    page.click("button[data-locate]")
    expect(page.locator("[data-picked]")).to_contain_text("已选位置")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#messages .msg.ok")).to_contain_text("已收到")
    number = page.locator(".case-number").inner_text().strip()

    # Public status page: the title is shown as the text typed, nothing ran, no tags made.
    expect(page.locator(".case-title")).to_have_text(HOSTILE_TITLE)
    assert page.locator(".case-title b").count() == 0
    assert page.evaluate("window.__xss") is None

    desk = context(browser, live)
    page = login(desk, "disp1")
    row = page.locator("tr", has_text=number)
    expect(row.locator(".title")).to_have_text(HOSTILE_TITLE)  # the queue
    row.locator("a").click()
    expect(page.locator(".case-title")).to_have_text(HOSTILE_TITLE)  # the case page
    expect(page.locator(".case-description")).to_have_text(HOSTILE_TEXT)
    assert page.locator(".case-description img, .case-description a, .case-title b").count() == 0
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert page.evaluate("window.__xss") is None
    shot(page, "12-dispatcher-hostile-text")
    resident.close()
    desk.close()
