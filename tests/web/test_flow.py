"""The workbench pages through the test client: one case from the public report page to the
resident's rating, each step by the role that owns it, with what each person sees."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.cases import World
from factories.org import LAT0, LON0
from web.helpers import WebClient, messages
from zhili.cases.models import Case
from zhili.cases.whistles.models import Whistle


def _case(session: Session, number: str) -> Case:
    session.expire_all()
    case = session.scalar(select(Case).where(Case.number == number))
    assert case is not None
    return case


def test_case_travels_through_the_pages(web: WebClient, world: World, session: Session) -> None:
    # A resident reports, anonymously, with a point in grid G2.
    web.get("/public/report")
    r = web.post(
        "/public/report",
        {
            "title": "路灯不亮",
            "description": "小区门口的路灯坏了三天",
            "lon": str(LON0 + 1.5),
            "lat": str(LAT0 + 0.5),
            "anonymous": "on",
        },
    )
    assert r.status_code == 200, messages(r.text)
    number = re.search(r'class="case-number">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    assert "已受理" in r.text
    case = _case(session, number)

    # The dispatcher sees it in the queue, registers it and dispatches it to the street.
    web.login("disp1")
    r = web.get("/work/queue")
    assert number in r.text
    r = web.get(f"/work/cases/{case.id}")
    assert 'data-action="register"' in r.text and 'data-action="accept"' not in r.text
    r = web.post(f"/work/cases/{case.id}/act/register", {"version": case.version})
    assert "案件类别：立案前须确定案件类别" in messages(r.text)  # refused, said in Chinese
    category = world.category(session, "E0101")
    r = web.post(
        f"/work/cases/{case.id}/act/register",
        {"version": case.version, "category_id": category.id},
    )
    assert "已立案" in messages(r.text), messages(r.text)
    case = _case(session, number)
    r = web.post(
        f"/work/cases/{case.id}/act/dispatch",
        {"version": case.version, "target": f"r:{world.city.street.id}"},
    )
    assert "已派遣" in messages(r.text), messages(r.text)

    # The street takes it on and whistles the urban management department.
    web.login("street1")
    r = web.get("/work/area")
    assert number in r.text
    case = _case(session, number)
    r = web.get(f"/work/cases/{case.id}")
    assert 'data-action="accept"' in r.text and 'data-action="register"' not in r.text
    r = web.post(f"/work/cases/{case.id}/act/accept", {"version": case.version})
    assert "已签收" in messages(r.text), messages(r.text)
    assert 'data-action="whistle"' in r.text and world.depts["urban_management"].name in r.text
    case = _case(session, number)
    r = web.post(
        f"/work/cases/{case.id}/act/whistle",
        {
            "version": case.version,
            "type": "tackling",
            "lead_department": world.depts["urban_management"].id,
            "reason": "需城管部门协同",
        },
    )
    assert "已吹哨" in messages(r.text), messages(r.text)
    whistle = session.scalar(select(Whistle).where(Whistle.case_id == case.id))
    assert whistle is not None

    # The department sees the whistle with its countdown, reports in, does its part.
    web.login("urban1")
    r = web.get("/work/inbox")
    assert number in r.text and "data-deadline" in r.text
    r = web.post(f"/work/whistles/{whistle.id}/report-in", {"case_id": case.id})
    assert "已报到" in messages(r.text)
    r = web.post(f"/work/whistles/{whistle.id}/done", {"case_id": case.id, "result": "已更换灯泡"})
    assert "本部门事项已办结" in messages(r.text), messages(r.text)

    # The street submits the result with a photo, and rates the department (一案一评).
    web.login("street1")
    r = web.get("/work/ratings")
    assert number in r.text and world.depts["urban_management"].name in r.text
    r = web.post(
        "/work/ratings",
        {
            "whistle_id": whistle.id,
            "department_id": world.depts["urban_management"].id,
            "report_in": "5",
            "result": "4",
            "attitude": "5",
        },
    )
    assert "评价已保存" in messages(r.text) and "报到 5 · 结果 4 · 态度 5" in r.text
    r = web.post(
        "/work/ratings",
        {
            "whistle_id": whistle.id,
            "department_id": world.depts["urban_management"].id,
            "report_in": "1",
            "result": "1",
            "attitude": "1",
        },
    )
    assert "已评价" in messages(r.text)
    case = _case(session, number)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    r = web.post(
        f"/work/cases/{case.id}/act/submit_result",
        {"version": case.version, "result": "路灯已修复"},
        files={"photo": ("fixed.png", png, "image/png")},
    )
    assert "已处置反馈" in messages(r.text), messages(r.text)
    assert "fixed.png" in r.text

    # The gridder verifies on site: the case closes.
    web.login("grid2")
    r = web.get("/m")
    assert number in r.text
    case = _case(session, number)
    r = web.post(f"/work/cases/{case.id}/act/verify", {"version": case.version, "passed": "yes"})
    assert "已核查" in messages(r.text), messages(r.text)
    assert _case(session, number).state == "closed"

    # The resident rates it on the public page; a second rating is refused politely.
    web.client.cookies.clear()
    web.token = ""
    r = web.get(f"/public/cases/{number}")
    assert "已结案" in r.text and "请您评价" in r.text
    r = web.post(f"/public/cases/{number}/rate", {"resolved": "yes", "satisfaction": "satisfied"})
    assert "感谢您的评价！" in messages(r.text)
    assert "已评价：满意" in r.text
    r = web.post(f"/public/cases/{number}/rate", {"resolved": "yes", "satisfaction": "basic"})
    assert "本次办结已评价" in messages(r.text)
    assert _case(session, number).satisfaction == "satisfied"
