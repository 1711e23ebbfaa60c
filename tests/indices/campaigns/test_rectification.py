"""Shortfalls become rectification tasks; a follow-up (回头看) shows before and after.

After the first round (see test_scoring.py) the shortfalls are S1·C1 (4 of 10), S1·C4 (5 of
10) and S2·C3 (0 of 6). In the follow-up:
  S1·C1: one failed item → 10 − 2 = 8 (≥ 6: fixed, +4)
  S1·C4: answers 5, 4, 3, 2 → 2 of 4 = 50 % → (0.5 − 0.5) ÷ 0.4 = 0 → 0 (still short, −5)
  S2·C3: all three materials accepted → 6 (fixed, +6)
"""

from __future__ import annotations

import io
from datetime import timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from factories.campaigns import evidence, fill_first_round, open_campaign, setup, visit
from factories.org import auth, token_for
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.indices.campaigns import service
from zhili.indices.campaigns.evidence import service as evidence_service
from zhili.indices.campaigns.models import CampaignState
from zhili.indices.campaigns.questionnaires import service as surveys

BASE = "/api/v1/indices/campaigns"


def test_shortfalls_become_tasks_and_the_follow_up_shows_before_and_after(
    client: TestClient, session: Session, settings: Settings
) -> None:
    s = setup(session, settings)
    fill_first_round(session, s, settings)
    ev, st1, st2 = (auth(token_for(session, u)) for u in (s.evaluator, s.street1, s.street2))
    session.commit()
    cid = s.campaign.id
    deadline = (utcnow() + timedelta(days=30)).date().isoformat()
    owners = {str(s.s1.id): s.street1.id, str(s.s2.id): s.street2.id}
    body = {"deadline": deadline, "owners": owners}
    r = client.post(f"{BASE}/{cid}/rectifications", headers=ev, json=body)
    assert r.status_code == 409 and r.json()["current_state"] == "open"  # not closed yet
    version = client.get(f"{BASE}/{cid}", headers=ev).json()["version"]
    assert client.post(f"{BASE}/{cid}/close?version={version}", headers=ev).status_code == 200
    r = client.post(
        f"{BASE}/{cid}/rectifications", headers=ev,
        json={"deadline": deadline, "owners": {str(s.s1.id): s.street1.id}},
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == str(s.s2.id)
    wrong = {str(s.s1.id): s.street2.id, str(s.s2.id): s.street2.id}  # S2's officer for S1
    r = client.post(f"{BASE}/{cid}/rectifications", headers=ev, json={**body, "owners": wrong})
    assert r.status_code == 422
    past = {"deadline": utcnow().date().isoformat(), "owners": owners}
    assert client.post(f"{BASE}/{cid}/rectifications", headers=ev, json=past).status_code == 422
    r = client.post(f"{BASE}/{cid}/rectifications", headers=ev, json=body)
    assert r.status_code == 201, r.text
    tasks = r.json()
    assert sorted((t["region_id"], t["score_before"], t["full_score"]) for t in tasks) == sorted(
        [(s.s1.id, 4.0, 10.0), (s.s1.id, 5.0, 10.0), (s.s2.id, 0.0, 6.0)]
    )
    again = client.post(f"{BASE}/{cid}/rectifications", headers=ev, json=body)
    assert again.status_code == 201 and again.json() == []  # nothing raised twice
    mine = client.get(f"{BASE}/{cid}/rectifications", headers=st1).json()
    assert {t["region_id"] for t in mine} == {s.s1.id} and len(mine) == 2
    task = mine[0]
    r = client.post(
        f"{BASE}/rectifications/{task['id']}/report", headers=st2,
        json={"note": "已整改", "version": task["version"]},
    )  # fmt: skip
    assert r.status_code == 403  # another street's task
    r = client.post(
        f"{BASE}/rectifications/{task['id']}/report", headers=st1,
        json={"note": "已补齐综治中心制度上墙", "version": task["version"]},
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "reported"
    verify = {"accept": False, "version": r.json()["version"]}
    r2 = client.post(f"{BASE}/rectifications/{task['id']}/verify", headers=ev, json=verify)
    assert r2.status_code == 422  # sending back needs a reason
    verify = {"accept": True, "version": r.json()["version"]}
    assert (
        client.post(
            f"{BASE}/rectifications/{task['id']}/verify", headers=st1, json=verify
        ).status_code
        == 403
    )
    r = client.post(f"{BASE}/rectifications/{task['id']}/verify", headers=ev, json=verify)
    assert r.status_code == 200 and r.json()["state"] == "verified"
    r = client.post(f"{BASE}/rectifications/{task['id']}/verify", headers=ev, json=verify)
    assert r.status_code == 409

    r = client.post(f"{BASE}/{cid}/follow-ups", headers=ev, json={"name": "整改回头看"})
    assert r.status_code == 201 and r.json()["follow_up_of_id"] == cid
    follow = service.get_campaign(session, r.json()["id"])
    open_campaign(session, s, follow)
    visit(session, s, s.s1, "综治中心", [{"criterion_code": "C1", "outcome": "fail"}], follow)
    # the follow-up has its own questionnaire; the criterion names its question by code
    qn = surveys.create_questionnaire(
        session, actor=s.evaluator, campaign_id=follow.id, title="回头看问卷",
        questions=[{"code": "Q1", "kind": "likert", "text": "满意吗？", "options": [],
                    "positive": [], "positive_min": 4, "required": True}],
    )  # fmt: skip
    for likert in (5, 4, 3, 2):
        surveys.submit_collected(
            session, actor=s.evaluator, questionnaire_id=qn.id, region_id=s.s1.id,
            answers={"Q1": likert},
        )  # fmt: skip
    for item in ("工作方案", "会议记录", "台账"):
        eid = evidence(session, s, settings, s.street2, s.s2, item, follow)
        evidence_service.review_evidence(session, actor=s.reviewer, evidence_id=eid, accept=True)
    service.set_state(
        session, actor=s.evaluator, campaign_id=follow.id, state=CampaignState.closed,
        version=follow.version,
    )  # fmt: skip
    session.commit()
    rows = client.get(f"{BASE}/{follow.id}/comparison", headers=ev).json()
    got = [
        (r["unit_name"], r["criterion_code"], r["score_before"], r["score_after"], r["change"],
         r["fixed"])
        for r in rows
    ]  # fmt: skip
    assert got == [
        ("一街道", "C1", 4.0, 8.0, 4.0, True),
        ("一街道", "C4", 5.0, 0.0, -5.0, False),
        ("二街道", "C3", 0.0, 6.0, 6.0, True),
    ]
    own = client.get(f"{BASE}/{follow.id}/comparison", headers=st2).json()
    assert [r["criterion_code"] for r in own] == ["C3"]
    assert client.get(f"{BASE}/{cid}/comparison", headers=ev).status_code == 409
    html = client.get(f"{BASE}/{follow.id}/report.html", headers=ev).text
    assert "回头看：整改前后对比" in html and "已整改到位" in html and "仍为短板" in html
    wb = load_workbook(
        io.BytesIO(client.get(f"{BASE}/{follow.id}/report.xlsx", headers=ev).content)
    )
    sheet = [[c.value for c in row] for row in wb["回头看"].iter_rows()]
    assert sheet[1] == ["一街道", "C1", "综治中心规范运行", 4, 8, 4, "已整改到位"]
    assert sheet[2][-1] == "仍为短板"
