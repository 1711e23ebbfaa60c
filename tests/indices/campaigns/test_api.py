"""The campaign API as evaluators, units, departments and the public meet it."""

from __future__ import annotations

import io

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.campaigns import PNG, Story, fill_first_round, open_campaign, setup
from factories.org import auth, token_for
from zhili.core.audit import AuditLog
from zhili.core.config import Settings
from zhili.core.ratelimit import RateLimiter
from zhili.indices.campaigns.models import EvalResponse

BASE = "/api/v1/indices/campaigns"


def _h(session: Session, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return auth(token_for(session, user))


def test_a_public_link_takes_answers_without_an_account_and_is_rate_limited(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    s = setup(session, settings)
    ev = _h(session, s.evaluator)
    session.commit()
    r = client.post(
        f"{BASE}/questionnaires/{s.questionnaire_id}/links", headers=ev, json={"region_id": s.s1.id}
    )
    assert r.status_code == 201, r.text
    path = r.json()["path"]
    form = client.get(path)
    assert form.status_code == 200
    assert form.json()["unit"] == "一街道" and [q["code"] for q in form.json()["questions"]] == [
        "Q1", "Q2", "Q3",
    ]  # fmt: skip
    assert client.post(path, json={"answers": {"Q1": 5, "Q2": True}}).status_code == 409  # draft
    open_campaign(session, s)
    session.commit()
    app.state.survey_limiter = RateLimiter(limit=3, window_seconds=60)
    for likert in (5, 4):
        r = client.post(path, json={"answers": {"Q1": likert, "Q2": True, "Q3": "网格员"}})
        assert r.status_code == 201, r.text
    bad = client.post(path, json={"answers": {"Q1": 9, "Q2": True}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-2:] == ["answers", "Q1"]
    blocked = client.post(path, json={"answers": {"Q1": 1, "Q2": False}})
    assert blocked.status_code == 429 and blocked.json()["code"] == "rate_limited"
    assert client.get(path + "x").status_code == 404
    assert session.scalar(select(func.count()).select_from(EvalResponse)) == 2
    who = session.scalars(
        select(AuditLog.actor_username).where(AuditLog.action == "evaluation.answer_public")
    ).all()
    assert len(who) == 2 and who[0].startswith("public-link:")
    tallies = client.get(f"{BASE}/{s.campaign.id}/surveys", headers=ev).json()
    q1 = next(q for q in tallies[0]["questions"] if q["code"] == "Q1")
    assert (tallies[0]["region_id"], q1["n"], q1["positive"]) == (s.s1.id, 2, 2)
    link = client.post(
        f"{BASE}/questionnaires/{s.questionnaire_id}/links", headers=ev, json={"region_id": s.s2.id}
    ).json()
    assert client.post(f"{BASE}/links/{link['id']}/deactivate", headers=ev).status_code == 200
    assert client.get(link["path"]).status_code == 404


def test_units_see_only_their_own_results_and_cannot_run_the_campaign(
    client: TestClient, session: Session, settings: Settings
) -> None:
    s = setup(session, settings)
    fill_first_round(session, s, settings)
    st1, st2 = _h(session, s.street1), _h(session, s.street2)
    leader, rev2 = _h(session, s.leader), _h(session, s.other_reviewer)
    session.commit()
    cid = s.campaign.id
    own = client.get(f"{BASE}/{cid}/units/{s.s1.id}/scores", headers=st1)
    assert own.status_code == 200 and own.json()["rank"] == 2
    assert client.get(f"{BASE}/{cid}/units/{s.s1.id}/scores", headers=st2).status_code == 403
    assert client.get(f"{BASE}/{cid}/units/{s.s1.id}/report.html", headers=st2).status_code == 403
    listed = client.get(f"{BASE}/{cid}/scores", headers=st1).json()
    assert [u["name"] for u in listed] == ["一街道"]
    assert len(client.get(f"{BASE}/{cid}/scores", headers=leader).json()) == 2
    visit = {
        "region_id": s.s1.id, "site_type": "综治中心", "site_name": "x", "visited_on": "2026-11-21",
        "items": [{"criterion_code": "C1", "outcome": "pass"}],
    }  # fmt: skip
    assert client.post(f"{BASE}/{cid}/visits", headers=st1, json=visit).status_code == 403
    assert client.post(f"{BASE}/{cid}/visits", headers=leader, json=visit).status_code == 403
    upload = {"region_id": str(s.s2.id), "criterion_code": "C3", "item": "台账"}
    files = {"file": ("台账.pdf", b"%PDF-1.4 x", "application/pdf")}
    r = client.post(f"{BASE}/{cid}/evidence", headers=st1, data=upload, files=files)
    assert r.status_code == 403
    r = client.post(f"{BASE}/{cid}/evidence", headers=st2, data=upload, files=files)
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    # another department's officer may not review 城管's material; nor may a street
    review = {"accept": True}
    assert (
        client.post(f"{BASE}/evidence/{eid}/review", headers=rev2, json=review).status_code == 403
    )
    assert client.post(f"{BASE}/evidence/{eid}/review", headers=st2, json=review).status_code == 403
    assert client.get(f"{BASE}/{cid}/evidence", headers=rev2).json() == []
    assert client.post(f"{BASE}/{cid}/close?version=2", headers=leader).status_code == 403


def test_an_evaluator_records_a_visit_with_a_photo_over_http(
    client: TestClient, session: Session, settings: Settings
) -> None:
    s = setup(session, settings)
    ev = _h(session, s.evaluator)
    session.commit()
    cid = s.campaign.id
    campaign = client.get(f"{BASE}/{cid}", headers=ev).json()
    r = client.post(f"{BASE}/{cid}/open?version={campaign['version']}", headers=ev)
    assert r.status_code == 200 and r.json()["state"] == "open"
    assert (
        client.post(f"{BASE}/{cid}/open?version={r.json()['version']}", headers=ev).status_code
        == 409
    )
    item = {"criterion_code": "C1", "outcome": "deduction", "deduction": 1.5, "note": "台账缺"}
    visit = {
        "region_id": s.s1.id,
        "site_type": "小区",
        "site_name": "幸福小区",
        "visited_on": "2026-11-21",
        "items": [item],
    }
    r = client.post(f"{BASE}/{cid}/visits", headers=ev, json=visit)
    assert r.status_code == 201, r.text
    item_id = r.json()["items"][0]
    bad = dict(visit, items=[{"criterion_code": "C1", "outcome": "deduction"}])
    assert client.post(f"{BASE}/{cid}/visits", headers=ev, json=bad).status_code == 422
    other = dict(visit, region_id=s.city.id)
    r2 = client.post(f"{BASE}/{cid}/visits", headers=ev, json=other)
    assert r2.status_code == 422 and r2.json()["detail"][0]["loc"][-1] == "region_id"
    r = client.post(
        f"{BASE}/check-items/{item_id}/photos", headers=ev,
        files={"file": ("p.png", PNG, "image/png")},
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["photos"][0]["content_type"] == "image/png"
    r = client.post(
        f"{BASE}/check-items/{item_id}/photos", headers=ev,
        files={"file": ("p.txt", b"hello", "text/plain")},
    )  # fmt: skip
    assert r.status_code == 422
    scores = client.get(f"{BASE}/{cid}/units/{s.s1.id}/scores", headers=ev).json()
    assert next(c for c in scores["criteria"] if c["code"] == "C1")["score"] == 8.5


def _cells(ws) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_reports_come_as_html_with_charts_and_as_excel(
    client: TestClient, session: Session, settings: Settings
) -> None:
    s: Story = setup(session, settings)
    fill_first_round(session, s, settings)
    ev, st1 = _h(session, s.evaluator), _h(session, s.street1)
    session.commit()
    cid = s.campaign.id
    html = client.get(f"{BASE}/{cid}/report.html", headers=ev)
    assert html.status_code == 200 and "测评总报告" in html.text
    assert html.text.count("<svg") == 2 and "二街道" in html.text and "82.86%" in html.text
    wb = load_workbook(io.BytesIO(client.get(f"{BASE}/{cid}/report.xlsx", headers=ev).content))
    assert wb.sheetnames[:3] == ["总排名", "得分矩阵", "测评标准"]
    rows = _cells(wb["总排名"])
    assert rows[0] == ["名次", "单位代码", "单位名称", "得分", "应得分", "得分率(%)", "短板数"]
    assert rows[1] == [1, "529901002", "二街道", 29, 35, 82.86, 1]
    assert rows[2][:3] == [2, "529901001", "一街道"] and rows[2][3] == 19.7
    matrix = _cells(wb["得分矩阵"])
    assert matrix[0][2] == "C1 综治中心规范运行" and matrix[1][2:] == [4, 3.5, 4, 5, 3.2]
    surveys = _cells(wb["问卷调查"])
    q1 = next(r for r in surveys if r[0] == "一街道" and r[1] == "Q1")
    assert q1[3:6] == [10, 7, 0.7] and round(q1[6], 4) == 0.3968  # type: ignore[arg-type]
    unit = client.get(f"{BASE}/{cid}/units/{s.s1.id}/report.html", headers=st1)
    assert unit.status_code == 200 and "一街道测评分报告" in unit.text and "二街道" not in unit.text
    assert "缺：会议记录" in unit.text and "2 / 2" in unit.text
    wb = load_workbook(
        io.BytesIO(client.get(f"{BASE}/{cid}/units/{s.s1.id}/report.xlsx", headers=st1).content)
    )
    detail = _cells(wb["得分明细"])
    assert detail[1][:6] == ["C1", "综治中心规范运行", "实地调查", 10, 4, "是"]
    assert detail[2][4:6] == [3.5, None]
    # a unit asking for the overall report gets only its own row
    own = load_workbook(io.BytesIO(client.get(f"{BASE}/{cid}/report.xlsx", headers=st1).content))
    assert [r[2] for r in _cells(own["总排名"])[1:]] == ["一街道"]
    assert client.get(f"{BASE}/{cid}/report.pdf", headers=ev).status_code == 404
