"""Reading cases over HTTP: the queues with their filters and keyset pages, the masking of
reporters' contacts (and the audit row an unmasked read leaves), the public progress page,
and evidence uploads judged by their content.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.cases import World, make_world, report
from factories.org import PASSWORD, auth, token_for
from zhili.cases import service as cases
from zhili.cases.models import Attachment, CaseEvent, Channel
from zhili.cases.storage import LocalStorage
from zhili.cases.supervision import service as supervision
from zhili.core.audit import AuditLog
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
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


# -- queues --------------------------------------------------------------------------------


def test_the_queue_filters_by_state_warning_region_and_channel(
    client: TestClient, session: Session, w: World, clock: ManualClock
) -> None:
    """Three cases waiting for the centre, whose 2-working-hour registration clock started at
    09:00, 09:30 and 11:10. At 11:10 the first is red (due 11:00), the second yellow (80 %
    used at 11:06, due 11:30), the third normal. Each filter returns exactly its cases,
    newest first."""
    s = w.staff
    first = report(session, w)  # hotline, grid G2
    clock.set(T0 + timedelta(minutes=30))
    second = report(session, w, actor=s.citizen, channel=Channel.app, at=(0.5, 0.5))  # G1
    clock.set(T0 + timedelta(hours=2, minutes=10))
    third = report(session, w)
    cases.register(session, actor=s.dispatcher, case_id=third.id)
    h = headers(session, s.dispatcher)

    def ids(**params: Any) -> list[int]:
        r = client.get(f"{API}/cases", params=params, headers=h)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert ids() == [third.id, second.id, first.id]
    assert ids(state="registered") == [third.id]
    assert ids(state="received") == [second.id, first.id]
    assert ids(state=["received", "registered"]) == [third.id, second.id, first.id]
    assert ids(warning="red") == [first.id]
    assert ids(warning="yellow") == [second.id]
    assert ids(warning="normal") == [third.id]
    assert ids(region_id=w.city.grids["G1"].id) == [second.id]
    assert ids(region_id=w.city.grids["G2"].id) == [third.id, first.id]
    assert ids(region_id=w.city.street.id) == [third.id, second.id, first.id]
    assert ids(channel="app") == [second.id]
    assert ids(channel="hotline", state="received") == [first.id]
    items = client.get(f"{API}/cases", headers=h).json()["items"]
    assert [c["warning"] for c in items] == ["normal", "yellow", "red"]
    bad = client.get(f"{API}/cases", params={"warning": "orange"}, headers=h)
    assert bad.status_code == 422


def test_keyset_pages_return_every_case_exactly_once(
    client: TestClient, session: Session, w: World, clock: ManualClock
) -> None:
    """Seven cases, several made in the same instant (ties broken by id), read three at a
    time by following ``next_cursor``: every case once, newest first, and no cursor after the
    last page."""
    made = []
    for minute in (0, 0, 0, 1, 1, 2, 2):
        clock.set(T0 + timedelta(minutes=minute))
        made.append(report(session, w))
    h = headers(session, w.staff.dispatcher)
    seen: list[int] = []
    sizes: list[int] = []
    params: dict[str, Any] = {"limit": 3, "with_total": True}
    while True:
        page = client.get(f"{API}/cases", params=params, headers=h).json()
        assert page["total"] == 7
        seen += [c["id"] for c in page["items"]]
        sizes.append(len(page["items"]))
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert sizes == [3, 3, 1]
    newest_first = sorted(made, key=lambda c: (c.created_at, c.id), reverse=True)
    assert seen == [c.id for c in newest_first]
    junk = client.get(f"{API}/cases", params={"cursor": "not-a-cursor"}, headers=h)
    assert junk.status_code == 422


# -- personal data -------------------------------------------------------------------------


def test_the_reporter_s_contact_is_masked_and_an_unmasked_read_is_audited(
    client: TestClient, session: Session, w: World
) -> None:
    """By default every reader sees 139****1234 and 王*. A dispatcher may ask for the real
    contact, and that read leaves a ``personal_data.read`` audit row naming the dispatcher
    and the case; a community officer asking for it is refused (403) and leaves no row."""
    case = report(session, w)
    disp = headers(session, w.staff.dispatcher)
    masked = client.get(f"{API}/cases/{case.id}", headers=disp).json()
    assert (masked["reporter_phone"], masked["reporter_name"]) == ("139****1234", "王*")
    [listed] = client.get(f"{API}/cases", headers=disp).json()["items"]
    assert listed["reporter_phone"] == "139****1234"
    assert count(session, AuditLog, AuditLog.action == "personal_data.read") == 0

    clear = client.get(f"{API}/cases/{case.id}", params={"unmask": True}, headers=disp)
    assert clear.status_code == 200, clear.text
    assert (clear.json()["reporter_phone"], clear.json()["reporter_name"]) == (
        "13900001234",
        "王芳",
    )
    [row] = session.scalars(select(AuditLog).where(AuditLog.action == "personal_data.read"))
    assert row.actor_id == w.staff.dispatcher.id
    assert (row.entity_type, row.entity_id) == ("case", str(case.id))

    comm = headers(session, w.staff.community)
    refused = client.get(f"{API}/cases/{case.id}", params={"unmask": True}, headers=comm)
    assert refused.status_code == 403
    assert client.get(f"{API}/cases/{case.id}", headers=comm).json()["reporter_phone"] == (
        "139****1234"
    )
    assert count(session, AuditLog, AuditLog.action == "personal_data.read") == 1


def test_the_public_page_shows_progress_without_a_token_and_without_personal_data(
    client: TestClient, session: Session, w: World, settings: Settings
) -> None:
    """Anyone holding the case number follows its progress: state, handler and the public
    steps. Phones, the reporter's name, staff notes and internal steps (督办) stay inside."""
    s = w.staff
    case = report(session, w)
    cases.register(session, actor=s.dispatcher, case_id=case.id, note="内部备注：疑似物业纠纷")
    cases.dispatch(
        session,
        actor=s.dispatcher,
        settings=settings,
        case_id=case.id,
        department_id=w.depts["urban_management"].id,
        note="派遣备注：请联系物业经理",
    )
    supervision.supervise(session, actor=s.leader, case_id=case.id, note="领导督办批示")
    session.commit()
    r = client.get(f"{API}/public/cases/{case.number}")
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["number"] == case.number and page["state"] == "dispatched"
    assert page["handler"] == w.depts["urban_management"].name
    assert page["category"] == "暴露垃圾"
    assert [step["step"] for step in page["steps"]] == ["受理", "立案", "派遣"]
    for secret in ("13900001234", "139****1234", "王芳", "王*", "备注", "督办", "物业"):
        assert secret not in r.text, secret
    assert client.get(f"{API}/public/cases/20250303-NOSUCHNO").status_code == 404


# -- attachments ---------------------------------------------------------------------------


def tiny_png() -> bytes:
    """A real 1×1 grey PNG, built from its chunks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    pixels = zlib.compress(b"\x00\x80")  # filter byte, one grey pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def media(app: FastAPI, tmp_path: Path) -> Path:
    app.state.storage = LocalStorage(tmp_path)
    return tmp_path


def test_a_photo_is_stored_by_content_and_recorded_as_a_step(
    client: TestClient, session: Session, w: World, media: Path
) -> None:
    """A PNG upload is kept under its SHA-256, typed by its bytes, and recorded as an
    ``attach`` event of the case with its attachment row."""
    case = report(session, w)
    png = tiny_png()
    h = headers(session, w.staff.operator)
    r = client.post(
        f"{API}/cases/{case.id}/attachments",
        files={"file": ("现场照片.png", png, "application/octet-stream")},
        headers=h,
    )
    assert r.status_code == 201, r.text
    digest = hashlib.sha256(png).hexdigest()
    assert r.json()["content_type"] == "image/png" and r.json()["sha256"] == digest
    assert r.json()["size"] == len(png) and r.json()["filename"] == "现场照片.png"
    assert (media / digest[:2] / digest).read_bytes() == png
    row = session.scalars(select(Attachment).where(Attachment.case_id == case.id)).one()
    event = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "attach")
    ).one()
    assert row.event_seq == event.seq == 2


def test_uploads_that_are_not_what_they_claim_or_too_large_are_refused(
    client: TestClient,
    session: Session,
    w: World,
    media: Path,
    app: FastAPI,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A text file renamed .jpg is judged by its bytes and refused (422, field ``file``), as
    is a real image over the size limit; neither leaves a file, a row or an event."""
    case = report(session, w)
    h = headers(session, w.staff.operator)
    url = f"{API}/cases/{case.id}/attachments"
    fake = client.post(
        url, files={"file": ("photo.jpg", b"just some text\n", "image/jpeg")}, headers=h
    )
    assert fake.status_code == 422, fake.text
    assert fake.json()["detail"][0]["loc"] == ["body", "file"]

    monkeypatch.setattr(
        app.state, "settings", settings.model_copy(update={"max_attachment_bytes": 1024})
    )
    big = tiny_png() + b"\x00" * 2048
    large = client.post(url, files={"file": ("big.png", big, "image/png")}, headers=h)
    assert large.status_code == 422, large.text
    assert large.json()["detail"][0]["loc"] == ["body", "file"]
    small = client.post(url, files={"file": ("ok.png", tiny_png(), "image/png")}, headers=h)
    assert small.status_code == 201, small.text  # under the lowered limit it still works

    assert count(session, Attachment) == 1
    assert count(session, CaseEvent, CaseEvent.action == "attach") == 1
    assert len([p for p in media.rglob("*") if p.is_file()]) == 1


def test_a_photo_opens_for_whoever_may_read_its_case_and_for_no_one_else(
    client: TestClient, session: Session, w: World, media: Path
) -> None:
    """The stored bytes come back with the sniffed type, shown inline under the original
    name, and never re-sniffed; another case's path, a resident who did not report it and a
    lapsed web login see nothing."""
    case, other = report(session, w), report(session, w)
    png = tiny_png()
    h = headers(session, w.staff.operator)
    up = client.post(
        f"{API}/cases/{case.id}/attachments",
        files={"file": ("现场照片.png", png, "application/octet-stream")},
        headers=h,
    )
    att = up.json()["id"]
    r = client.get(f"{API}/cases/{case.id}/attachments/{att}", headers=h)
    assert r.status_code == 200 and r.content == png
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"] == (
        "inline; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.png"
    )
    assert client.get(f"{API}/cases/{other.id}/attachments/{att}", headers=h).status_code == 404
    resident = headers(session, w.staff.citizen)
    assert (
        client.get(f"{API}/cases/{case.id}/attachments/{att}", headers=resident).status_code == 404
    )
    # the case page's link: the same file over the web login, nothing without it
    page = f"/work/cases/{case.id}/files/{att}"
    assert client.get(page, follow_redirects=False).status_code in (303, 401)
    login = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', login.text)
    assert token is not None
    client.post(
        "/login",
        data={
            "username": w.staff.operator.username,
            "password": PASSWORD,
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    r = client.get(page)
    assert r.status_code == 200 and r.content == png
    assert f'href="{page}"' in client.get(f"/work/cases/{case.id}").text
