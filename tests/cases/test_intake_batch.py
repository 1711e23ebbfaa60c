"""Batch intake for feeds (the 12345 platform's sync, sensor alarms): the same rows as one
report at a time, replays instead of duplicates, and a bad item refuses the whole batch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.cases import World, make_world
from factories.org import LAT0, LON0, auth, token_for
from zhili.cases import service as cases
from zhili.cases.intake.schemas import BatchItem
from zhili.cases.models import Case, CaseCaller, CaseEvent
from zhili.core.audit import AuditLog
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden, ValidationFailed

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=CHINA_TZ)  # a Monday morning in Beijing
API = "/api/v1"
# what differs between two cases made from the same report
_OWN = {"id", "number", "idempotency_key", "version"}


@pytest.fixture
def w(session: Session, settings: Settings) -> Iterator[World]:
    with use_clock(ManualClock(T0)):
        world = make_world(session, settings)
        session.commit()
        yield world


def item(session: Session, w: World, **changes: Any) -> BatchItem:
    body: dict[str, Any] = {
        "channel": "hotline",
        "title": "小区门口垃圾堆积",
        "description": "垃圾已经堆了三天，气味很大。",
        "category_id": w.category(session, "E0101").id,
        "lon": LON0 + 1.5,
        "lat": LAT0 + 0.5,
        "reporter_name": "王芳",
        "reporter_phone": "13900001234",
    }
    return BatchItem.model_validate(body | changes)


def rows_of(session: Session) -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(m)) or 0
        for m in (Case, CaseEvent, CaseCaller, AuditLog)
    )


def columns(case: Case) -> dict[str, Any]:
    return {c.key: getattr(case, c.key) for c in Case.__table__.columns if c.key not in _OWN}


def test_a_batch_writes_what_one_report_at_a_time_writes(session: Session, w: World) -> None:
    op = w.staff.operator
    reports = [
        item(session, w),  # a point in grid G2
        item(session, w, lon=None, lat=None, region_id=w.city.community.id, urgency="urgent"),
        item(session, w, anonymous=True, reporter_name=None, reporter_phone=None),
        item(session, w, answer="已电话答复：下周一清运", category_id=None),
    ]
    singles = [cases.intake(session, actor=op, cache=w.cache, data=r)[0] for r in reports]
    session.flush()
    received = cases.intake_many(session, actor=op, cache=w.cache, items=reports)
    session.flush()
    assert [r.index for r in received] == [0, 1, 2, 3]
    assert not any(r.replayed for r in received)
    for single, got in zip(singles, received, strict=True):
        batch = session.get_one(Case, got.id)
        assert columns(batch) == columns(single)
        assert (got.number, got.state) == (batch.number, batch.state)
        for model, key in ((CaseEvent, "case_id"), (CaseCaller, "case_id")):
            a = session.scalars(select(model).where(getattr(model, key) == single.id)).all()
            b = session.scalars(select(model).where(getattr(model, key) == batch.id)).all()
            assert len(a) == len(b) == 1
            skip = {"id", "case_id", "source_case_id"}
            cols = [c.key for c in model.__table__.columns if c.key not in skip]
            assert [getattr(a[0], c) for c in cols] == [getattr(b[0], c) for c in cols]
        audits = [
            session.scalars(
                select(AuditLog).where(AuditLog.entity_type == "case", AuditLog.entity_id == str(c))
            ).one()
            for c in (single.id, batch.id)
        ]
        assert audits[0].after == audits[1].after and audits[0].action == audits[1].action
    assert singles[1].grid_id is None and singles[1].community_id == w.city.community.id
    assert singles[3].state == "closed"


def test_a_retried_batch_replays_and_a_reused_key_for_another_report_is_refused(
    session: Session, w: World
) -> None:
    op = w.staff.operator
    first = [item(session, w, idempotency_key=f"feed-{i}", title=f"路灯不亮 {i}") for i in range(3)]
    made = cases.intake_many(session, actor=op, cache=w.cache, items=first)
    before = rows_of(session)
    # the feed resends the batch with one new report after a timeout
    again = [*first, item(session, w, idempotency_key="feed-3", title="井盖缺失")]
    replay = cases.intake_many(session, actor=op, cache=w.cache, items=again)
    assert [r.replayed for r in replay] == [True, True, True, False]
    assert [r.id for r in replay[:3]] == [r.id for r in made]
    assert rows_of(session)[0] == before[0] + 1
    # another account's key of the same name is its own
    other = cases.intake_many(session, actor=w.staff.dispatcher, cache=w.cache, items=first[:1])
    assert not other[0].replayed
    before = rows_of(session)
    changed = [item(session, w, idempotency_key="feed-1", title="另一件事")]
    with pytest.raises(Conflict, match=r"items\[0\]"):
        cases.intake_many(session, actor=op, cache=w.cache, items=changed)
    assert rows_of(session) == before


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"lon": LON0 - 50, "lat": LAT0}, "items.1.lon"),  # outside every grid
        ({"category_id": 999_999}, "items.1.category_id"),
    ],
)
def test_one_bad_report_refuses_the_batch_naming_it(
    session: Session, w: World, bad: dict[str, Any], field: str
) -> None:
    before = rows_of(session)
    batch = [item(session, w), item(session, w, **bad), item(session, w)]
    with pytest.raises(ValidationFailed) as refused:
        cases.intake_many(session, actor=w.staff.operator, cache=w.cache, items=batch)
    assert refused.value.field == field
    assert rows_of(session) == before


def test_a_resident_cannot_feed_the_hotline_channel(session: Session, w: World) -> None:
    batch = [item(session, w, channel="app"), item(session, w)]
    with pytest.raises(Forbidden, match=r"items\[1\]"):
        cases.intake_many(session, actor=w.staff.citizen, cache=w.cache, items=batch)


def body(session: Session, w: World, n: int, prefix: str) -> dict[str, Any]:
    return {
        "items": [
            item(session, w, idempotency_key=f"{prefix}-{i}").model_dump(mode="json")
            for i in range(n)
        ]
    }


def test_batch_over_http(client: TestClient, session: Session, w: World) -> None:
    headers = auth(token_for(session, w.staff.operator))
    session.commit()
    payload = body(session, w, 5, "sensor")
    r = client.post(f"{API}/cases/batch", json=payload, headers=headers)
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["created"], got["replayed"]) == (5, 0)
    numbers = [i["number"] for i in got["items"]]
    for n in numbers:  # each one a real case a resident can follow
        assert client.get(f"{API}/public/cases/{n}").status_code == 200
    r = client.post(f"{API}/cases/batch", json=payload, headers=headers)
    assert r.status_code == 200 and r.json()["replayed"] == 5
    assert [i["number"] for i in r.json()["items"]] == numbers
    # the same key twice in one batch, an empty batch, too many reports: 422 before any work
    twice = {"items": payload["items"][:1] * 2}
    assert client.post(f"{API}/cases/batch", json=twice, headers=headers).status_code == 422
    assert client.post(f"{API}/cases/batch", json={"items": []}, headers=headers).status_code == 422
    many = {"items": [payload["items"][0] | {"idempotency_key": None}] * 501}
    assert client.post(f"{API}/cases/batch", json=many, headers=headers).status_code == 422
    # a bad point names its item, and nothing of the batch is written
    bad = body(session, w, 3, "bad")
    bad["items"][2]["lon"] = LON0 - 50
    before = rows_of(session)
    r = client.post(f"{API}/cases/batch", json=bad, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "items", "2", "lon"]
    session.expire_all()
    assert rows_of(session) == before
