"""Several clients writing at once to a live server on a SQLite file never see a 500.

A deferred SQLite transaction that reads (token, idempotency key, category) and then writes
cannot take the write lock once another connection has committed after its first read; in
WAL mode SQLite says "database is locked" at once instead of waiting. Write requests must
therefore take the lock up front (BEGIN IMMEDIATE) and wait for it within busy_timeout.

The server is what ``zhili serve`` runs (``create_app`` under uvicorn, its own thread pool
and connection pool) on its own SQLite file, so the writers really race.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from factories.live import live_server
from factories.org import LAT0, LON0, auth, token_for
from zhili.cases.models import Case, CaseEvent
from zhili.core.db import transaction

WRITERS = 8
CASES_PER_WRITER = 12


@dataclass
class Live:
    url: str
    headers: dict[str, str]
    category_id: int
    factory: sessionmaker[Session]
    path: Path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Iterator[Live]:
    if engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL locks rows")
    with live_server(Path(tmp_path_factory.mktemp("writers"))) as server:
        with transaction(server.factory) as session:
            world = server.world
            headers = auth(token_for(session, session.merge(world.staff.operator)))
            category_id = world.category(session, "E0101").id
        yield Live(f"{server.root}/api/v1", headers, category_id, server.factory, server.path)


def _writer(live: Live, n: int) -> list[int]:
    statuses = []
    with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as client:
        for i in range(CASES_PER_WRITER):
            r = client.post(
                "/cases",
                json={
                    "channel": "hotline",
                    "title": f"并发受理 {n}-{i}",
                    "description": "多个话务员同时受理",
                    "category_id": live.category_id,
                    "lon": LON0 + 1.5,
                    "lat": LAT0 + 0.5,
                    "reporter_name": "王芳",
                    "reporter_phone": "13900001234",
                },
                headers={"Idempotency-Key": f"w{n}-{i}"},
            )
            statuses.append(r.status_code)
    return statuses


def test_concurrent_intakes_on_sqlite_all_succeed(live: Live) -> None:
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(lambda n: _writer(live, n), range(WRITERS)))
    statuses = [s for r in results for s in r]
    assert statuses.count(201) == WRITERS * CASES_PER_WRITER, sorted(set(statuses))
    with live.factory() as session:
        made = session.scalar(
            select(func.count()).select_from(Case).where(Case.title.like("并发受理 %"))
        )
        events = session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.title.like("并发受理 %"))
        )
    assert made == WRITERS * CASES_PER_WRITER
    assert events == made  # each case whole: its intake event written with it


def test_a_writer_that_cannot_get_the_lock_in_time_is_told_to_retry_not_500(live: Live) -> None:
    """Another process holds the write lock longer than busy_timeout (10 s): the intake waits,
    gives up, answers 503 with Retry-After, and leaves nothing behind."""
    with live.factory() as session:
        before = session.scalar(select(func.count()).select_from(Case))
    holder = sqlite3.connect(live.path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        r = httpx.post(
            f"{live.url}/cases",
            headers=live.headers,
            timeout=60,
            json={
                "channel": "hotline",
                "title": "锁等待超时",
                "description": "另一进程长时间占用写锁",
                "category_id": live.category_id,
                "lon": LON0 + 1.5,
                "lat": LAT0 + 0.5,
            },
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "1" and r.json()["code"] == "busy"
    with live.factory() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == before
