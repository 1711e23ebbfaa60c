"""The assessment API as a leader and a department officer meet it."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from factories.assessment import march_story
from factories.org import auth, token_for
from zhili.core.config import Settings


def test_scorecards_show_each_figure_with_numerator_and_denominator(
    client: TestClient, session: Session, settings: Settings
) -> None:
    w, c = march_story(session, settings)
    headers = auth(token_for(session, w.staff.leader))
    session.commit()
    r = client.get(
        "/api/v1/assessment/scorecards",
        params={"level": "department", "month": "2026-03"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    urban = next(x for x in r.json() if x["unit_id"] == w.depts["urban_management"].id)
    response = next(f for f in urban["figures"] if f["code"] == "response_rate")
    assert (response["numerator"], response["denominator"], response["rate"]) == (2, 3, 66.67)
    assert response["name_zh"] == "响应率"
    housing = next(x for x in r.json() if x["unit_id"] == w.depts["housing"].id)
    assert housing["composite"] is None  # listed with empty figures, not left out
    drill = client.get(
        f"/api/v1/assessment/scorecards/department/{w.depts['urban_management'].id}/cases",
        params={"metric": "response_rate", "part": "numerator", "month": "2026-03"},
        headers=headers,
    )
    assert {x["number"] for x in drill.json()["cases"]} == {c["A"].number, c["C"].number}


def test_bad_periods_are_422_and_gridders_cannot_read_assessments(
    client: TestClient, session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    leader = auth(token_for(session, w.staff.leader))
    gridder = auth(token_for(session, w.staff.gridder))
    session.commit()
    r = client.get(
        "/api/v1/assessment/scorecards",
        params={"level": "street", "month": "2026-13"},
        headers=leader,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "month"
    r = client.get("/api/v1/assessment/scorecards", params={"level": "street"}, headers=leader)
    assert r.status_code == 422
    r = client.get(
        "/api/v1/assessment/scorecards",
        params={"level": "street", "month": "2026-03"},
        headers=gridder,
    )
    assert r.status_code == 403


def test_scorecards_and_rankings_download_as_excel(
    client: TestClient, session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    headers = auth(token_for(session, w.staff.leader))
    session.commit()
    r = client.get(
        "/api/v1/assessment/export/scorecards.xlsx",
        params={"level": "street", "month": "2026-03"},
        headers=headers,
    )
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    assert header[:5] == ["单位代码", "单位名称", "三率综合", "响应率(%)", "响应率分子"]
    assert ws.cell(row=2, column=2).value == "一街道"
    r = client.get("/api/v1/assessment/export/rankings/department/2026-03.xlsx", headers=headers)
    assert r.status_code == 200
    assert load_workbook(io.BytesIO(r.content)).active.cell(row=1, column=1).value == "名次"
