"""The case API as its clients meet it over HTTP: intake and idempotency, errors that name
the field or the state, scope, optimistic locking, and that a failed request leaves nothing.

Queues, masking, the public page and attachments are in ``test_api_reading.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.cases import World, make_world, report
from factories.org import LAT0, LON0, auth, make_user, token_for
from zhili.cases import service as cases
from zhili.cases.models import Case, CaseCaller, CaseEvent, Notification
from zhili.cases.whistles.models import Whistle, WhistleSummons
from zhili.core.audit import AuditLog
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.org import service as org
from zhili.org.models import RegionLevel
from zhili.org.users.models import User

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=CHINA_TZ)  # a Monday morning in Beijing
API = "/api/v1"


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    with use_clock(ManualClock(T0)) as c:
        yield c


@pytest.fixture
def w(session: Session, settings: Settings, clock: ManualClock) -> World:
    world = make_world(session, settings)
    session.commit()
    return world


def headers(session: Session, user: User) -> dict[str, str]:
    """A bearer token for ``user``, committed so that the app can see it."""
    h = auth(token_for(session, user))
    session.commit()
    return h


def count(session: Session, model: type[Any], *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def intake_body(session: Session, w: World, **changes: Any) -> dict[str, Any]:
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
    body.update(changes)
    return body


def named_fields(r: Response) -> set[str]:
    """The fields a 422 names: in its locations, or in its messages for whole-body checks."""
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    named = {str(part) for d in detail for part in d["loc"]}
    words = {word for d in detail for word in re.findall(r"[a-z_]+", d["msg"])}
    return named | words


# -- intake --------------------------------------------------------------------------------


def test_intake_answers_201_with_a_public_case_number(
    client: TestClient, session: Session, w: World
) -> None:
    """A hotline operator takes a report: 201, a number residents can read out over the phone
    (date + 8 characters without 0/O/1/I), placed in its grid, reporter phone masked."""
    h = headers(session, w.staff.operator)
    r = client.post(f"{API}/cases", json=intake_body(session, w), headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert re.fullmatch(r"20250303-[2-9A-HJ-NP-Z]{8}", body["number"])
    assert body["state"] == "received" and body["state_zh"] == "已受理"
    assert body["grid_id"] == w.city.grids["G2"].id
    assert body["street_id"] == w.city.street.id
    assert body["reporter_phone"] == "139****1234"
    assert "register" in body["allowed_actions"]
    assert count(session, Case) == 1
    assert count(session, AuditLog, AuditLog.action == "case.intake") == 1


def test_a_retried_intake_with_the_same_idempotency_key_makes_no_second_case(
    client: TestClient, session: Session, w: World
) -> None:
    """Same Idempotency-Key and same body: 200 with the first case, nothing new written. The
    same key with a different body is a 409, and still nothing is written."""
    h = {**headers(session, w.staff.operator), "Idempotency-Key": "retry-7f3a"}
    body = intake_body(session, w)
    first = client.post(f"{API}/cases", json=body, headers=h)
    assert first.status_code == 201, first.text
    again = client.post(f"{API}/cases", json=body, headers=h)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    other = client.post(f"{API}/cases", json={**body, "title": "另一件事"}, headers=h)
    assert other.status_code == 409, other.text
    assert other.json()["code"] == "conflict"
    assert count(session, Case) == 1
    assert count(session, CaseEvent) == 1
    assert count(session, AuditLog, AuditLog.action == "case.intake") == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat": None}, "lat"),  # a longitude without its latitude
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"lon": LON0 + 5.0}, "lon"),  # a point outside the city
        ({"category_id": 987654}, "category_id"),
        ({"channel": "fax"}, "channel"),
        ({"title": ""}, "title"),
    ],
    ids=[
        "lon-without-lat",
        "bad-phone",
        "outside-the-city",
        "unknown-category",
        "channel",
        "title",
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, session: Session, w: World, changes: dict[str, Any], field: str
) -> None:
    """Bad input is refused with 422 naming the offending field, and creates nothing."""
    h = headers(session, w.staff.operator)
    r = client.post(f"{API}/cases", json=intake_body(session, w, **changes), headers=h)
    assert field in named_fields(r)
    assert r.json()["detail"][0]["msg_zh"]
    assert count(session, Case) == 0


def test_a_point_outside_the_city_is_located_to_the_lon_field(
    client: TestClient, session: Session, w: World
) -> None:
    """The location check is the service's own: its 422 points exactly at ``body.lon``."""
    h = headers(session, w.staff.operator)
    r = client.post(f"{API}/cases", json=intake_body(session, w, lon=LON0 + 5.0), headers=h)
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "lon"]
    assert error["msg_zh"] == "该位置不在本市任何网格内，请核对位置"


# -- roles, scope, state -------------------------------------------------------------------


def test_a_wrong_role_gets_403(client: TestClient, session: Session, w: World) -> None:
    """A leader takes no reports; a resident reports only through the app or the web; a
    gridder does not dispatch."""
    s = w.staff
    leader = client.post(
        f"{API}/cases", json=intake_body(session, w), headers=headers(session, s.leader)
    )
    assert leader.status_code == 403 and leader.json()["code"] == "forbidden"
    resident = client.post(
        f"{API}/cases", json=intake_body(session, w), headers=headers(session, s.citizen)
    )
    assert resident.status_code == 403
    assert count(session, Case) == 0
    by_app = client.post(
        f"{API}/cases",
        json=intake_body(session, w, channel="app"),
        headers=headers(session, s.citizen),
    )
    assert by_app.status_code == 201, by_app.text
    case_id = by_app.json()["id"]
    client.post(f"{API}/cases/{case_id}/register", json={}, headers=headers(session, s.dispatcher))
    dispatch = client.post(
        f"{API}/cases/{case_id}/dispatch",
        json={"department_id": w.depts["urban_management"].id},
        headers=headers(session, s.gridder),
    )
    assert dispatch.status_code == 403


def test_a_case_outside_the_reader_s_scope_is_not_found(
    client: TestClient, session: Session, w: World
) -> None:
    """An officer of another community neither sees the case nor learns that it exists: 404,
    the same as for a number that does not exist; their queue does not list it."""
    other = org.create_region(
        session,
        actor=None,
        level=RegionLevel.community,
        code="529901001002",
        name="二社区",
        parent_id=w.city.street.id,
    )
    outsider = make_user(session, role=Role.community, region=other, username="comm2")
    case = report(session, w)
    h = headers(session, outsider)
    r = client.get(f"{API}/cases/{case.id}", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert client.get(f"{API}/cases/{case.id + 1000}", headers=h).status_code == 404
    assert client.get(f"{API}/cases", headers=h).json()["items"] == []
    assert client.get(
        f"{API}/cases/{case.id}", headers=headers(session, w.staff.community)
    ).is_success


def test_an_illegal_step_is_409_naming_the_current_state(
    client: TestClient, session: Session, w: World
) -> None:
    """Verifying a case that is only registered: 409 with ``current_state``."""
    case = report(session, w)
    cases.register(session, actor=w.staff.dispatcher, case_id=case.id)
    r = client.post(
        f"{API}/cases/{case.id}/verify",
        json={"passed": True},
        headers=headers(session, w.staff.gridder),
    )
    assert r.status_code == 409, r.text
    assert r.json()["current_state"] == "registered"
    assert "已立案" in r.json()["message_zh"]


def test_a_client_echoing_the_version_it_was_given_walks_the_case_and_a_stale_one_is_409(
    client: TestClient, session: Session, w: World
) -> None:
    """Optimistic locking: every answer carries the case's version after the step, and the
    next step sent with that version goes through; a step sent with an older version is a
    409 naming the current state, and changes nothing."""
    s = w.staff
    disp, urban = headers(session, s.dispatcher), headers(session, s.urban)
    created = client.post(
        f"{API}/cases", json=intake_body(session, w), headers=headers(session, s.operator)
    ).json()
    case_id, first_version = created["id"], created["version"]
    registered = client.post(
        f"{API}/cases/{case_id}/register", json={"version": first_version}, headers=disp
    )
    assert registered.status_code == 200, registered.text
    stale = client.post(
        f"{API}/cases/{case_id}/dispatch",
        json={"version": first_version, "department_id": w.depts["urban_management"].id},
        headers=disp,
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["current_state"] == "registered"
    version = registered.json()["version"]
    assert version > first_version
    steps = [
        ("dispatch", {"department_id": w.depts["urban_management"].id}, disp, "dispatched"),
        ("accept", {}, urban, "handling"),
        ("result", {"result": "已清运垃圾"}, urban, "handled"),
        ("verify", {"passed": True}, headers(session, s.gridder), "closed"),
    ]
    for path, body, h, state in steps:
        r = client.post(
            f"{API}/cases/{case_id}/{path}", json={**body, "version": version}, headers=h
        )
        assert r.status_code == 200, (path, r.text)
        assert r.json()["state"] == state
        assert r.json()["version"] > version
        version = r.json()["version"]
    detail = client.get(f"{API}/cases/{case_id}", headers=disp).json()
    assert detail["version"] == version
    assert [e["action"] for e in detail["events"]] == [
        "intake",
        "register",
        "dispatch",
        "accept",
        "submit_result",
        "verify_pass",
    ]


# -- a failed request leaves nothing -------------------------------------------------------


def test_a_refused_intake_writes_no_case_event_caller_or_audit_row(
    client: TestClient, session: Session, w: World
) -> None:
    h = headers(session, w.staff.operator)
    before = [count(session, m) for m in (Case, CaseEvent, CaseCaller, AuditLog)]
    r = client.post(f"{API}/cases", json=intake_body(session, w, lon=LON0 + 5.0), headers=h)
    assert r.status_code == 422
    assert [count(session, m) for m in (Case, CaseEvent, CaseCaller, AuditLog)] == before


def test_a_whistle_refused_half_way_is_rolled_back_entirely(
    client: TestClient, session: Session, w: World, settings: Settings
) -> None:
    """The street blows a whistle on a case it has not accepted yet. The service has already
    written the whistle (and queued its summonses and notifications) when the state machine
    refuses the step (409): the request's transaction is rolled back, none of it remains."""
    case = report(session, w, category="E0401")
    cases.register(session, actor=w.staff.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=w.staff.dispatcher,
        settings=settings,
        case_id=case.id,
        region_id=w.city.street.id,
    )
    h = headers(session, w.staff.street)
    tables = (Whistle, WhistleSummons, Notification, CaseEvent, AuditLog)
    before = [count(session, m) for m in tables]
    r = client.post(
        f"{API}/cases/{case.id}/whistles",
        json={
            "type": "tackling",
            "reason": "路面塌陷需住建抢修",
            "departments": [{"department_id": w.depts["housing"].id, "role": "lead"}],
        },
        headers=h,
    )
    assert r.status_code == 409, r.text
    assert r.json()["current_state"] == "dispatched"
    assert [count(session, m) for m in tables] == before
    session.expire_all()
    assert session.get(Case, case.id).state == "dispatched"  # type: ignore[union-attr]
