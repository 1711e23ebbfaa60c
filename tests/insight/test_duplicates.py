"""Duplicate detection at intake, with hand-made cases: the true repeat is found with its
evidence; the same words far away, long ago, or about a closed case are not flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories.cases import World, make_world, report
from factories.org import LAT0, LON0, auth, token_for
from factories.texts import labelled
from zhili.cases.models import Case, CaseState
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.insight.classify import service as classify
from zhili.insight.classify import store
from zhili.insight.duplicates import distance_m, find_duplicates, jaccard, shingles
from zhili.insight.models import Target

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
LAMP = "小区门口路灯不亮"
LAMP_TEXT = "市民来电反映：幸福小区门口的路灯坏了好几天，晚上黑漆漆的不安全，希望尽快处理。"
AGAIN = "来电人称：幸福小区门口路灯坏了好几天了，晚上很黑不安全，请尽快派人来看看。"
SPOT = (1.5, 0.5)  # inside grid G2 of the tiny city
EAST_2KM = (1.5 + 0.02, 0.5)  # 0.02° of longitude at 26.5° N ≈ 2 km


def _case(session: Session, world: World, at: datetime, where: tuple[float, float]) -> Case:
    with use_clock(ManualClock(at)):
        case = report(session, world, category="C0201", title=LAMP, at=where)
        case.description = LAMP_TEXT
        session.flush()
        return case


def test_similarity_and_distance_measures() -> None:
    assert jaccard(shingles(LAMP_TEXT), shingles(LAMP_TEXT)) == 1.0
    assert 0.3 < jaccard(shingles(LAMP_TEXT), shingles(AGAIN)) < 1.0
    assert jaccard(shingles(LAMP_TEXT), shingles("工地夜间施工噪音扰民，吵得睡不着")) < 0.1
    assert shingles("路灯，不亮！") == shingles("路灯 不亮")  # punctuation does not count
    one_km_north = distance_m(LON0, LAT0, LON0, LAT0 + 1 / 111.195)
    assert abs(one_km_north - 1000) < 1


def test_a_repeat_report_nearby_soon_after_is_flagged_with_its_evidence(
    session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    first = _case(session, world, T0, SPOT)
    found = find_duplicates(
        session,
        text=AGAIN,
        lon=LON0 + SPOT[0] + 0.0005,  # ≈ 50 m east
        lat=LAT0 + SPOT[1],
        at=T0 + timedelta(hours=5),
        category_id=first.category_id,
    )
    assert [d.case_id for d in found] == [first.id]
    hit = found[0]
    assert 0.3 <= hit.similarity < 1 and 40 < hit.distance_m < 60
    assert hit.hours_apart == 5.0 and hit.same_category is True
    assert hit.number == first.number and hit.state == CaseState.received


def test_the_same_words_far_away_long_ago_or_closed_are_not_flagged(
    session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    far = _case(session, world, T0, EAST_2KM)
    old = _case(session, world, T0 - timedelta(days=10), SPOT)
    closed = _case(session, world, T0, SPOT)
    closed.state = CaseState.closed.value
    other = _case(session, world, T0, SPOT)
    other.title, other.description = "工地夜间施工", "工地半夜还在打桩，噪音吵得睡不着。"
    session.flush()
    found = find_duplicates(
        session, text=LAMP_TEXT, lon=LON0 + SPOT[0], lat=LAT0 + SPOT[1], at=T0 + timedelta(hours=1)
    )
    assert found == []
    # each exclusion is the one that matters: relax it and the case comes back
    wide = find_duplicates(
        session, text=LAMP_TEXT, lon=LON0 + SPOT[0], lat=LAT0 + SPOT[1],
        at=T0 + timedelta(hours=1), radius_m=3000,
    )  # fmt: skip
    assert [d.case_id for d in wide] == [far.id] and 1900 < wide[0].distance_m < 2100
    long = find_duplicates(
        session, text=LAMP_TEXT, lon=LON0 + SPOT[0], lat=LAT0 + SPOT[1],
        at=T0 + timedelta(hours=1), window_hours=24 * 11,
    )  # fmt: skip
    assert [d.case_id for d in long] == [old.id]
    lax = find_duplicates(
        session, text=LAMP_TEXT, lon=LON0 + SPOT[0], lat=LAT0 + SPOT[1],
        at=T0 + timedelta(hours=1), min_similarity=0.0,
    )  # fmt: skip
    assert [d.case_id for d in lax] == [other.id]  # closed stays out: only open cases merge


def test_duplicates_api_for_staff_in_their_area(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    first = _case(session, world, T0, SPOT)
    second = _case(session, world, T0 + timedelta(hours=2), SPOT)
    operator = auth(token_for(session, world.staff.operator))
    citizen = auth(token_for(session, world.staff.citizen))
    dispatcher = auth(token_for(session, world.staff.dispatcher))
    session.commit()
    body = {
        "text": AGAIN,
        "lon": LON0 + SPOT[0],
        "lat": LAT0 + SPOT[1],
        "at": (T0 + timedelta(hours=3)).isoformat(),
    }
    r = client.post("/api/v1/insight/duplicates", json=body, headers=operator)
    assert r.status_code == 200, r.text
    assert {d["case_id"] for d in r.json()} == {first.id, second.id}
    assert {"similarity", "distance_m", "hours_apart"} <= set(r.json()[0])
    assert client.post("/api/v1/insight/duplicates", json=body, headers=citizen).status_code == 403
    r = client.post("/api/v1/insight/duplicates", json={**body, "lat": 123}, headers=operator)
    assert r.status_code == 422
    r = client.get(f"/api/v1/insight/cases/{second.id}/duplicates", headers=dispatcher)
    assert r.status_code == 200 and [d["case_id"] for d in r.json()] == [first.id]


def test_suggest_and_feedback_api(
    app: FastAPI, client: TestClient, session: Session, settings: Settings, tmp_path: Path
) -> None:
    store.forget()
    media = settings.model_copy(update={"media_root": str(tmp_path)})
    app.state.settings = media
    world = make_world(session, settings)
    texts, labels = labelled(180, seed=9)
    classify.train(
        session, actor=None, settings=media, target=Target.category,
        texts=texts, labels=labels, source="test",
    )  # fmt: skip
    case = _case(session, world, T0, SPOT)
    operator = auth(token_for(session, world.staff.operator))
    dispatcher = auth(token_for(session, world.staff.dispatcher))
    session.commit()
    r = client.post("/api/v1/insight/suggest", json={"text": LAMP_TEXT}, headers=operator)
    assert r.status_code == 200, r.text
    top = r.json()["category"]["suggestions"][0]
    assert top["label"] == "C0201" and top["name"] == "路灯" and top["probability"] > 0.5
    assert r.json()["unit"] == {"model_id": None, "model_version": None, "suggestions": []}
    r = client.post(
        "/api/v1/insight/feedback",
        json={"target": "category", "label": "C0201", "case_id": case.id,
              "suggested": r.json()["category"]["suggestions"]},
        headers=dispatcher,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["accepted"] is True and r.json()["case_id"] == case.id
    r = client.post(
        "/api/v1/insight/feedback",
        json={"target": "category", "label": "C0201", "text": "x"},
        headers=operator,
    )
    assert r.status_code == 403  # operators suggest; dispatchers decide
    r = client.get("/api/v1/insight/models", headers=dispatcher)
    assert [m["status"] for m in r.json()] == ["active"]
