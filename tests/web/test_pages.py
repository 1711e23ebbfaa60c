"""The web pages' guarantees: login and sessions, CSRF on every form, role and scope as the
API has them, Chinese messages instead of 500s or JSON, escaping of public text, the public
report's rate limit, and the gridder's and centre's shortcuts."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.basedata import place
from factories.cases import World, make_world, report
from factories.org import LAT0, LON0
from web.helpers import WebClient, messages
from zhili.basedata.visits.models import HouseholdVisit
from zhili.cases.models import Attachment, Case
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.org.users.models import User

HOSTILE = "<script>alert('x')</script><b>粗体</b>"


def _public_report(web: WebClient, **fields: str) -> str:
    web.get("/public/report")
    data = {
        "title": "井盖缺失",
        "description": "人行道井盖缺失，很危险",
        "lon": str(LON0 + 1.5),
        "lat": str(LAT0 + 0.5),
    }
    r = web.post("/public/report", {**data, **fields})
    return r.text


def test_login_failure_and_redirect_back(web: WebClient, world: World) -> None:
    r = web.client.get("/work/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/work/queue"
    page = web.get("/login")
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    web.get("/login?next=/work/queue")
    r = web.post("/login", {"username": "disp1", "password": "wrong", "next": "/work/queue"})
    assert r.status_code == 401 and "用户名或密码错误" in messages(r.text)
    r = web.post(
        "/login", {"username": "disp1", "password": "correct-horse-battery", "next": "/work/queue"}
    )
    assert str(r.url).endswith("/work/queue") and "案件队列" in r.text
    # an absolute "next" is ignored: no open redirect after login
    web.client.cookies.clear()
    web.get("/login")
    r = web.post(
        "/login",
        {"username": "disp1", "password": "correct-horse-battery", "next": "//evil.example/x"},
    )
    assert str(r.url).startswith("http://testserver/")


def test_disabled_account_loses_its_session(web: WebClient, world: World, session: Session) -> None:
    web.login("disp1")
    session.expire_all()  # the login wrote last_login_at (and bumped the row's version)
    user = session.scalar(select(User).where(User.username == "disp1"))
    assert user is not None
    user.is_active = False
    session.commit()
    r = web.client.get("/work/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_forms_without_the_csrf_token_are_refused(web: WebClient, world: World) -> None:
    web.login("disp1")
    case_count = len(web.get("/work/queue").text)
    for token in (None, "forged"):
        data = {"title": "无令牌", "description": "跨站提交", "channel": "hotline"}
        if token:
            data["csrf_token"] = token
        r = web.client.post("/work/intake", data=data)
        assert r.status_code == 403 and "CSRF" in r.text
    r = web.client.post("/logout", data={})
    assert r.status_code == 403
    assert len(web.get("/work/queue").text) == case_count  # nothing was taken in
    # HTMX sends the token as a header instead of a field
    r = web.client.post("/logout", headers={"X-CSRF-Token": web.token}, follow_redirects=False)
    assert r.status_code == 303


def test_role_and_scope_as_the_api_has_them(web: WebClient, world: World, session: Session) -> None:
    case = report(session, world)  # in grid G2, not dispatched
    session.commit()
    web.login("urban1")  # a department officer: not the centre's queue, not this case
    r = web.get("/work/queue")
    assert r.status_code == 403 and "当前角色无权访问此页面" in messages(r.text)
    r = web.get(f"/work/cases/{case.id}")
    assert r.status_code == 404 and "未找到该案件，请核对编号" in messages(r.text)
    assert r.headers["content-type"].startswith("text/html")
    web.login("grid2")  # the gridder sees the case of its grid, but no centre buttons
    r = web.get(f"/work/cases/{case.id}")
    assert r.status_code == 200 and 'data-action="register"' not in r.text
    # the refusal of an action the page did not offer is a message, not a 500
    r = web.post(f"/work/cases/{case.id}/act/register", {"version": case.version})
    assert r.status_code == 200 and "当前角色无权执行此操作" in messages(r.text)[0]
    # the API keeps its JSON errors
    r = web.client.get(f"/api/v1/cases/{case.id}")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_stale_and_illegal_steps_are_explained(
    web: WebClient, world: World, session: Session
) -> None:
    case = report(session, world)
    session.commit()
    web.login("disp1")
    web.get(f"/work/cases/{case.id}")
    r = web.post(f"/work/cases/{case.id}/act/dispatch", {"version": case.version, "target": ""})
    assert "承办单位：请选择承办单位" in messages(r.text)
    target = f"r:{world.city.street.id}"
    r = web.post(f"/work/cases/{case.id}/act/dispatch", {"version": case.version, "target": target})
    assert "案件当前状态为「已受理」，不能派遣" in messages(r.text)
    r = web.post(f"/work/cases/{case.id}/act/register", {"version": case.version - 1})
    assert "案件已被他人处理，请刷新后重试" in messages(r.text)
    r = web.post(f"/work/cases/{case.id}/act/reject", {"version": case.version, "reason": ""})
    assert "理由：请填写（至少2个字）" in messages(r.text)


def test_public_text_is_escaped_on_every_page(
    web: WebClient, world: World, session: Session
) -> None:
    page = _public_report(web, title=HOSTILE, description=HOSTILE)
    assert "<script>alert" not in page and "<b>粗体" not in page
    assert html.escape(HOSTILE, quote=False) in page or "&lt;script&gt;" in page
    case = session.scalar(select(Case).where(Case.title == HOSTILE))
    assert case is not None
    web.login("disp1")
    for url in ("/work/queue", f"/work/cases/{case.id}"):
        text = web.get(url).text
        assert "&lt;script&gt;alert(" in text and "<script>alert" not in text
        assert "&lt;b&gt;粗体" in text


def test_public_report_errors_keep_the_form(web: WebClient, world: World) -> None:
    page = _public_report(web, title="x", reporter_phone="123")
    assert "标题：内容太短" in messages(page)
    assert "联系电话：须为11位手机号或固定电话" in messages(page)
    assert 'value="123"' in page  # what the resident typed is still there
    page = _public_report(web, lon=str(LON0 + 9), lat=str(LAT0 + 9))
    assert "位置：该位置不在本市任何网格内，请核对位置" in messages(page)
    r = web.get("/public/cases/20200101-NOSUCH22")
    assert r.status_code == 404 and "未找到该案件，请核对编号" in messages(r.text)


def test_public_reports_are_rate_limited_per_address(
    web: WebClient, world: World, app: FastAPI, session: Session
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"public_reports_per_hour": 2})
    before = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
    assert "已收到" in messages(_public_report(web))[0]
    assert "已收到" in messages(_public_report(web))[0]
    page = _public_report(web)
    assert "提交过于频繁" in messages(page)[0]
    session.expire_all()
    made = session.scalars(select(Case).where(Case.id > (before or 0))).all()
    assert len(made) == 2


def test_gridder_reports_with_photo_without_location(
    web: WebClient, world: World, session: Session
) -> None:
    web.login("grid2")
    web.get("/m/report")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    r = web.post(
        "/m/report",
        {"title": "占道经营", "description": "早市摊位占用人行道"},
        files={"photo": ("spot.png", png, "image/png")},
    )
    assert any("已上报" in m for m in messages(r.text)), messages(r.text)
    case = session.scalar(select(Case).where(Case.title == "占道经营"))
    assert case is not None and case.channel == "gridder"
    assert case.grid_id == world.city.grids["G2"].id  # the gridder's own grid
    photo = session.scalar(select(Attachment).where(Attachment.case_id == case.id))
    assert photo is not None and photo.content_type == "image/png"
    # a file that is no image is refused, and the report with it
    r = web.post(
        "/m/report",
        {"title": "另一个问题", "description": "附件不对"},
        files={"photo": ("x.png", b"MZ not an image", "image/png")},
    )
    assert r.status_code == 422 and "附件：" in messages(r.text)[0]
    assert session.scalar(select(Case).where(Case.title == "另一个问题")) is None


def test_gridder_logs_a_household_visit(web: WebClient, world: World, session: Session) -> None:
    g2 = place(session, world.city, "G2", "A0002", "解放路", "7", ["101"])
    session.commit()
    web.login("grid2")
    r = web.get("/m/visits")
    assert "解放路7号" in r.text and "未走访" in r.text
    household = g2.households["101"]
    r = web.post(
        "/m/visits", {"household_id": household.id, "kind": "routine", "findings": "一切正常"}
    )
    assert "走访已记录" in messages(r.text)
    visit = session.scalar(
        select(HouseholdVisit).where(HouseholdVisit.household_id == household.id)
    )
    assert visit is not None and visit.findings == "一切正常"
    assert "上次走访" in r.text


@pytest.mark.parametrize("with_department", [False, True])
def test_bulk_register_is_all_or_nothing(
    web: WebClient, world: World, session: Session, with_department: bool
) -> None:
    cases = [report(session, world, title=f"批量案件{i}") for i in range(3)]
    session.commit()
    web.login("disp1")
    web.get("/work/queue")
    data: dict[str, object] = {"op": "dispatch" if with_department else "register"}
    data["case_id"] = [str(c.id) for c in cases]
    if with_department:
        data["department_id"] = str(world.depts["urban_management"].id)
    r = web.post("/work/queue/bulk", data)
    assert any("已批量" in m for m in messages(r.text)), messages(r.text)
    session.expire_all()
    want = "dispatched" if with_department else "registered"
    assert [session.get_one(Case, c.id).state for c in cases] == [want] * 3
    # a second run fails on the first case and changes none
    r = web.post("/work/queue/bulk", {"op": "dispatch", "case_id": [str(cases[0].id)]})
    assert "批量派遣请选择部门" in messages(r.text)[0]


def test_grid_map_data(web: WebClient, world: World) -> None:
    data = web.client.get("/web/geo/grids.geojson").json()
    assert sorted(f["properties"]["name"] for f in data["features"]) == [
        "第1网格",
        "第2网格",
        "第3网格",
        "第4网格",
    ]
    web.login("grid2")  # a gridder's map is its own grid
    data = web.client.get("/web/geo/grids.geojson").json()
    assert [f["properties"]["name"] for f in data["features"]] == ["第2网格"]


@pytest.mark.parametrize(
    ("username", "home", "heading"),
    [
        ("disp1", "/work/queue", "案件队列"),
        ("op1", "/work/queue", "案件队列"),
        ("urban1", "/work/inbox", "部门待办"),
        ("street1", "/work/area", "辖区案件"),
        ("comm1", "/work/area", "辖区案件"),
        ("grid2", "/m", "随手拍上报"),
        ("leader1", "/work/leader", "进入指挥大屏"),
    ],
)
def test_each_role_lands_on_its_workbench(
    web: WebClient, world: World, username: str, home: str, heading: str
) -> None:
    web.login(username)
    r = web.get("/")
    assert str(r.url).endswith(home) and heading in r.text


def test_queue_filters_refresh_only_the_table(
    web: WebClient, world: World, session: Session
) -> None:
    report(session, world, title="队列里的案件")
    session.commit()
    web.login("disp1")
    r = web.client.get(
        "/work/queue?state=received", headers={"HX-Request": "true", "HX-Target": "queue"}
    )
    assert "队列里的案件" in r.text and "<html" not in r.text  # a fragment, not a page
    r = web.client.get("/work/queue?state=closed")
    assert "队列里的案件" not in r.text and "<html" in r.text


def test_department_handles_and_submits_result_with_photos(
    web: WebClient, world: World, session: Session
) -> None:
    case = report(session, world, title="下水道堵塞")
    session.commit()
    web.login("disp1")
    web.get(f"/work/cases/{case.id}")
    web.post(f"/work/cases/{case.id}/act/register", {"version": case.version})
    session.expire_all()
    case = session.get_one(Case, case.id)
    r = web.post(
        f"/work/cases/{case.id}/act/dispatch",
        {"version": case.version, "target": f"d:{world.depts['water'].id}"},
    )
    assert "已派遣" in messages(r.text), messages(r.text)
    web.login("water1")
    r = web.get("/work/inbox")
    assert "下水道堵塞" in r.text
    r = web.get(f"/work/cases/{case.id}")
    session.expire_all()
    case = session.get_one(Case, case.id)
    r = web.post(f"/work/cases/{case.id}/act/accept", {"version": case.version})
    assert "已签收" in messages(r.text)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    jpg = b"\xff\xd8\xff\xe0" + b"\x00" * 16
    session.expire_all()
    case = session.get_one(Case, case.id)
    r = web.client.post(
        f"/work/cases/{case.id}/act/submit_result",
        data={"csrf_token": web.token, "version": str(case.version), "result": "已疏通"},
        files=[("photo", ("a.png", png, "image/png")), ("photo", ("b.jpg", jpg, "image/jpeg"))],
    )
    assert "已处置反馈" in messages(r.text), messages(r.text)
    session.expire_all()
    assert session.get_one(Case, case.id).state == "handled"
    names = session.scalars(select(Attachment.filename).where(Attachment.case_id == case.id))
    assert sorted(names) == ["a.png", "b.jpg"]


def test_intake_address_search(web: WebClient, world: World, session: Session) -> None:
    place(session, world.city, "G2", "A0002", "解放路", "7", ["101"])
    session.commit()
    web.login("disp1")
    r = web.client.get("/work/address-search?address=解放路7号", headers={"HX-Request": "true"})
    assert "解放路7号" in r.text and "data-address-lon" in r.text
    web.login("op1")  # operators have no base data: no addresses
    r = web.client.get("/work/address-search?address=解放路7号", headers={"HX-Request": "true"})
    assert "解放路7号" not in r.text


def test_queue_shows_yellow_and_red_warnings(
    web: WebClient, settings: Settings, session: Session, app: FastAPI
) -> None:
    # Monday 09:00 in Beijing; registration and dispatch are due within 2 working hours.
    with use_clock(ManualClock(datetime(2025, 3, 3, 9, 0, tzinfo=CHINA_TZ))) as clock:
        world = make_world(session, settings)
        app.state.grid_cache = world.cache
        late = report(session, world, title="超时未派遣")
        clock.advance(timedelta(minutes=90))
        soon = report(session, world, title="刚受理")
        session.commit()
        web.login("disp1")
        assert "warn-" not in web.get("/work/queue?warning=normal").text.split("<tbody>")[0]
        clock.advance(timedelta(minutes=40))  # late: 130 min of 120; soon: 40 of 120
        page = web.get("/work/queue").text
        row = page.split(f'data-case="{late.number}"')[1].split("</tr>")[0]
        assert "红灯" in row
        assert "红灯" not in page.split(f'data-case="{soon.number}"')[1].split("</tr>")[0]
        red = web.get("/work/queue?warning=red").text
        assert late.number in red and soon.number not in red
        # 13:45: soon has had 90 working minutes before lunch and 15 after it (105 of 120),
        # past the 80 % mark; its deadline is 14:00
        clock.advance(timedelta(minutes=155))
        yellow = web.get("/work/queue?warning=yellow").text
        assert soon.number in yellow and "黄灯" in yellow and late.number not in yellow
