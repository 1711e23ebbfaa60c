"""Benchmark: case intake (受理) through the service layer and over HTTP.

Sets up a fresh database (SQLite: a temporary file; PostgreSQL: a benchmark database
dropped and created on the given server), migrates it, builds the `small` demo city and loads
the category catalogue, then measures, on the same data in the same run:

(a) ``zhili.cases.service.intake`` called in a loop by a city operator, one transaction per
    case (one user action = one transaction; the figure that counts), and, for information
    only, with a commit every 100 cases;
(b) ``POST /api/v1/cases`` against uvicorn in a subprocess (``zhili.app:create_app
    --factory``, 1 and 2 workers) with C concurrent keep-alive clients (threads, httpx), each
    request with its own Idempotency-Key; cases/s and p50/p95 latency;
(c) the references: bare rows inserted into ``case`` with the same columns (executemany in
    one transaction, and one row per transaction), the bare write set of one intake (case,
    event, caller and audit row, Core inserts, one transaction per case), and over HTTP
    ``GET /healthz`` of the real app and a bare FastAPI endpoint doing one INSERT, with the
    same clients, the same server settings and the same number of requests.

Points are uniform inside the city's grids, categories uniform over the leaf categories,
every case comes by hotline with a reporter name and phone. Inputs are generated before the
clock starts; the service figure includes idempotency lookup, grid location, deadline
calendar, the four inserts and the commit.

    python bench/case_intake.py --db sqlite --cases 5000 --clients 8
    python bench/case_intake.py --db postgresql \\
        --url postgresql+psycopg://postgres@127.0.0.1:55433/postgres --cases 5000 --clients 8
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import io
import json
import os
import platform
import pstats
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import shapely
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from zhili.cases import sla
from zhili.cases.categories.models import Category
from zhili.cases.categories.service import load_catalogue
from zhili.cases.intake.rows import dispatch_rule, new_case_number, table_of
from zhili.cases.intake.schemas import BatchItem
from zhili.cases.models import Case, CaseCaller, CaseEvent
from zhili.cases.schemas import CaseIntake
from zhili.cases.service import intake, intake_many
from zhili.core import migrate
from zhili.core.audit import AuditLog, new_request_id, request_id_var
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.demo.city import build_city
from zhili.org.geo import NO_GRID, GridIndex, GridIndexCache
from zhili.org.service import grid_index
from zhili.org.users import service as users_service
from zhili.org.users.models import User

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:55433/postgres"
OPERATOR = "operator_city_1"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PROBLEMS = ("路灯不亮", "井盖破损", "占道经营", "垃圾未清运", "噪声扰民", "违章停车", "漏水")


@dataclass
class Timing:
    wall: float
    cpu: float  # of this process only: on SQLite that is all of it, on PostgreSQL not


class Stopwatch:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> Timing:
        return Timing(time.perf_counter() - self.wall, time.process_time() - self.cpu)


# -- database set-up ---------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(db: str, server_url: str, name: str, keep: bool) -> Iterator[str]:
    """Yield the URL of an empty database; drop it (or the temp folder) afterwards."""
    if db == "sqlite":
        folder = tempfile.mkdtemp(prefix="zhili-bench-")
        try:
            yield f"sqlite:///{folder}/bench.db"
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
        return
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_version(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as conn:
        return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar_one())


@dataclass
class World:
    operator_id: int
    category_ids: list[int]
    index: GridIndex
    setup_s: float


def set_up(engine: Engine, size: str, seed: int) -> World:
    t = time.perf_counter()
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        build_city(session, size=size, seed=seed)
        load_catalogue(session, actor=None)
    with factory() as session:
        operator_id = session.scalar(select(User.id).where(User.username == OPERATOR))
        assert operator_id is not None
        parents = select(Category.parent_id).where(Category.parent_id.is_not(None))
        leaves = session.scalars(
            select(Category.id).where(Category.is_active, Category.id.not_in(parents))
        ).all()
        index = grid_index(session, cache=GridIndexCache())
    return World(operator_id, list(leaves), index, time.perf_counter() - t)


# -- inputs ------------------------------------------------------------------------------


def random_points(index: GridIndex, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points uniform over the union of the grids (rejection sampling in the bbox)."""
    x0, y0, x1, y1 = shapely.total_bounds(index.polygons)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        lons, lats = rng.uniform(x0, x1, 2 * n), rng.uniform(y0, y1, 2 * n)
        inside = index.locate_region_ids(lons, lats) != NO_GRID
        out.append(np.column_stack([lons[inside], lats[inside]]))
        have += int(inside.sum())
    return np.concatenate(out)[:n]


def make_inputs(world: World, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """JSON bodies of hotline reports, as an operator would type them in."""
    points = random_points(world.index, n, rng)
    cats = rng.choice(world.category_ids, n)
    bodies = []
    for i in range(n):
        problem = PROBLEMS[i % len(PROBLEMS)]
        name = SURNAMES[rng.integers(len(SURNAMES))] + GIVEN[rng.integers(len(GIVEN))]
        bodies.append(
            {
                "channel": "hotline",
                "title": f"{problem}（来电 {i}）",
                "description": f"市民来电反映：{problem}，已持续数日，请尽快处理。",
                "category_id": int(cats[i]),
                "urgency": "urgent" if i % 20 == 0 else "normal",
                "lon": round(float(points[i, 0]), 6),
                "lat": round(float(points[i, 1]), 6),
                "address": f"黔安市某路{i % 997 + 1}号附近",
                "reporter_name": name + "先生",
                "reporter_phone": f"139{int(rng.integers(10**8)):08d}",
            }
        )
    return bodies


def bare_case_row(body: dict[str, Any], located: dict[str, Any], actor_id: int) -> dict[str, Any]:
    """The columns intake writes for this body, computed outside the clock."""
    now = datetime.now(UTC)
    clock = sla.start_clock(now, dispatch_rule(body["urgency"]), warn_share=0.8)
    return {
        "number": new_case_number(now),
        "title": body["title"],
        "description": body["description"],
        "channel": body["channel"],
        "urgency": body["urgency"],
        "category_id": body["category_id"],
        "state": "received",
        "lon": body["lon"],
        "lat": body["lat"],
        "address": body["address"],
        **located,
        "reporter_name": body["reporter_name"],
        "reporter_phone": body["reporter_phone"],
        "reporter_user_id": None,
        "anonymous": False,
        "created_by_id": actor_id,
        "idempotency_key": uuid.uuid4().hex,
        "request_hash": hashlib.sha256(json.dumps(body).encode()).hexdigest(),
        "created_at": now,
        "updated_at": now,
        "step_started_at": clock.started_at,
        "warn_at": clock.warn_at,
        "deadline_at": clock.deadline_at,
        "deadline_working": clock.working,
        "extension_requested": False,
        "escalation_level": 0,
        "overdue": False,
        "return_count": 0,
        "rework_count": 0,
        "reopen_count": 0,
        "extension_count": 0,
        "event_seq": 1,
        "version": 1,
    }


def bare_rows(world: World, bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = world.index.locate_region_ids([b["lon"] for b in bodies], [b["lat"] for b in bodies])
    rows = []
    for body, grid_id in zip(bodies, ids, strict=True):
        path = world.index.paths[int(grid_id)]
        chain = [int(x) for x in path.strip("/").split("/")]
        located = {
            "district_id": chain[1],
            "street_id": chain[2],
            "community_id": chain[3],
            "grid_id": chain[4],
            "region_path": path,
        }
        rows.append(bare_case_row(body, located, world.operator_id))
    return rows


# -- (a) the service layer -----------------------------------------------------------------


def run_service(
    factory: sessionmaker[Session],
    world: World,
    intakes: Sequence[CaseIntake],
    *,
    commit_every: int,
    profile: cProfile.Profile | None = None,
) -> Timing:
    cache = GridIndexCache()  # one per process, as in the app; built by the warm-up below
    keys = [uuid.uuid4().hex for _ in intakes]
    with factory() as session:
        actor = session.get(User, world.operator_id)
        assert actor is not None
        intake(session, actor=actor, cache=cache, data=intakes[0], idempotency_key=None)
        session.rollback()
        if profile:
            profile.enable()
        sw = Stopwatch()
        for i, (data, key) in enumerate(zip(intakes, keys, strict=True), start=1):
            intake(session, actor=actor, cache=cache, data=data, idempotency_key=key)
            if i % commit_every == 0:
                session.commit()
        session.commit()
        elapsed = sw.stop()
        if profile:
            profile.disable()
    return elapsed


def run_service_batches(
    factory: sessionmaker[Session], world: World, items: Sequence[BatchItem], *, batch: int
) -> Timing:
    """``intake_many``: one transaction per batch of ``batch`` reports (a feed's sync)."""
    cache = GridIndexCache()
    with factory() as session:
        actor = session.get(User, world.operator_id)
        assert actor is not None
        intake_many(session, actor=actor, cache=cache, items=items[:1])
        session.rollback()
        sw = Stopwatch()
        for start in range(0, len(items), batch):
            intake_many(session, actor=actor, cache=cache, items=items[start : start + batch])
            session.commit()
        return sw.stop()


# -- (c) references ------------------------------------------------------------------------


def run_bare_executemany(engine: Engine, rows: list[dict[str, Any]]) -> Timing:
    stmt = insert(table_of(Case))
    with engine.connect() as conn:
        sw = Stopwatch()
        conn.execute(stmt, rows)
        conn.commit()
        return sw.stop()


def run_bare_per_row(engine: Engine, rows: list[dict[str, Any]]) -> Timing:
    stmt = insert(table_of(Case))
    with engine.connect() as conn:
        sw = Stopwatch()
        for row in rows:
            conn.execute(stmt, row)
            conn.commit()
        return sw.stop()


def run_bare_write_set(engine: Engine, rows: list[dict[str, Any]]) -> Timing:
    """case (RETURNING id) + event + caller + audit row, Core inserts, commit per case."""
    case_t, event_t = table_of(Case), table_of(CaseEvent)
    caller_t, audit_t = table_of(CaseCaller), table_of(AuditLog)
    case_stmt = insert(case_t).returning(case_t.c.id)
    event_stmt, caller_stmt, audit_stmt = insert(event_t), insert(caller_t), insert(audit_t)
    with engine.connect() as conn:
        sw = Stopwatch()
        for row in rows:
            case_id = conn.execute(case_stmt, row).scalar_one()
            conn.execute(event_stmt, first_event(case_id, row))
            conn.execute(caller_stmt, first_caller(case_id, row))
            conn.execute(audit_stmt, first_audit(case_id, row))
            conn.commit()
        return sw.stop()


def run_bare_write_set_batched(engine: Engine, rows: list[dict[str, Any]], batch: int) -> Timing:
    """The batch path's floor: per batch, the cases (executemany, RETURNING id) and their
    events, callers and audit rows (executemany each), one transaction."""
    case_t = table_of(Case)
    case_stmt = insert(case_t).returning(case_t.c.id, sort_by_parameter_order=True)
    event_stmt = insert(table_of(CaseEvent))
    caller_stmt = insert(table_of(CaseCaller))
    audit_stmt = insert(table_of(AuditLog))
    with engine.connect() as conn:
        sw = Stopwatch()
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            ids = conn.execute(case_stmt, chunk).scalars().all()
            conn.execute(event_stmt, [first_event(i, r) for i, r in zip(ids, chunk, strict=True)])
            conn.execute(caller_stmt, [first_caller(i, r) for i, r in zip(ids, chunk, strict=True)])
            conn.execute(audit_stmt, [first_audit(i, r) for i, r in zip(ids, chunk, strict=True)])
            conn.commit()
        return sw.stop()


def first_event(case_id: int, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": 1,
        "at": row["created_at"],
        "actor_id": row["created_by_id"],
        "actor_name": "话务员",
        "action": "intake",
        "from_state": None,
        "to_state": "received",
        "note": None,
        "data": {"channel": "hotline"},
    }


def first_caller(case_id: int, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "source_case_id": case_id,
        "name": row["reporter_name"],
        "phone": row["reporter_phone"],
        "user_id": None,
        "channel": "hotline",
        "at": row["created_at"],
    }


def first_audit(case_id: int, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": row["created_at"],
        "actor_id": row["created_by_id"],
        "actor_username": OPERATOR,
        "action": "case.intake",
        "entity_type": "case",
        "entity_id": str(case_id),
        "before": None,
        "after": {"number": row["number"], "state": "received"},
        "request_id": None,
    }


def bare_app() -> FastAPI:
    """HTTP reference: the same server stack and database, one INSERT per request.

    Started by uvicorn (``--app-dir bench case_intake:bare_app --factory``); the database
    URL comes from ZHILI_DATABASE_URL like the real app's.
    """
    engine = make_engine(Settings())
    stmt = insert(table_of(Case)).returning(table_of(Case).c.id)
    app = FastAPI()

    @app.post("/bare", status_code=201)
    def bare(body: dict[str, Any]) -> dict[str, int]:
        row = bare_case_row(body, {}, 1)
        with engine.begin() as conn:
            return {"id": conn.execute(stmt, row).scalar_one()}

    many = insert(table_of(Case)).returning(table_of(Case).c.id, sort_by_parameter_order=True)

    @app.post("/bare_batch", status_code=201)
    def bare_batch(body: dict[str, Any]) -> dict[str, list[int]]:
        rows = [bare_case_row(item, {}, 1) for item in body["items"]]
        with engine.begin() as conn:
            return {"ids": list(conn.execute(many, rows).scalars())}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


# -- (b) HTTP ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def uvicorn_server(app: str, url: str, workers: int, media: str, log: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "ZHILI_DATABASE_URL": url,
        "ZHILI_TICK_INTERVAL_SECONDS": "0",
        "ZHILI_MEDIA_ROOT": media,
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--app-dir",
        str(Path(__file__).parent),
    ]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("ab") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"uvicorn exited with {proc.returncode}; see {log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"uvicorn did not start within 240 s; see {log}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Load:
    ok: int
    failed: int
    seconds: float
    latencies: list[float]
    statuses: Counter[str]

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else float("nan")


def run_load(
    base: str,
    token: str,
    method: str,
    path: str,
    bodies: Sequence[bytes | None],
    clients: int,
    *,
    warmup: int,
    time_limit: float,
) -> Load:
    """C threads, one keep-alive httpx.Client each, over a share of ``bodies``."""
    barrier = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    statuses: list[Counter[str]] = [Counter() for _ in range(clients)]  # one per thread
    stop_at = [float("inf")]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(k: int) -> None:
        share = bodies[k::clients]
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:

            def one(body: bytes | None) -> bool:
                extra = {"Idempotency-Key": uuid.uuid4().hex} if body is not None else {}
                try:
                    r = http.request(method, path, content=body, headers=extra)
                except httpx.HTTPError as exc:
                    statuses[k][type(exc).__name__] += 1
                    return False
                statuses[k][str(r.status_code)] += 1
                return r.status_code in (200, 201)

            try:
                for body in share[:warmup]:
                    one(body)
            finally:
                barrier.wait(timeout=300)
            for body in share[warmup:]:
                t = time.perf_counter()
                good = one(body)
                latencies[k].append(time.perf_counter() - t)
                failures[k] += not good
                if t > stop_at[0]:
                    break

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    barrier.wait(timeout=300)
    t = time.perf_counter()
    stop_at[0] = t + time_limit
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t
    flat = [x for lat in latencies for x in lat]
    return Load(len(flat) - sum(failures), sum(failures), elapsed, flat, sum(statuses, Counter()))


def issue_token(factory: sessionmaker[Session], username: str) -> str:
    """What ``zhili token create --username …`` does."""
    with transaction(factory) as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        token, _ = users_service.issue_token(session, actor=None, user=user, name="bench", ttl=None)
    return token


# -- main ----------------------------------------------------------------------------------


def rate_line(label: str, n: int, t: Timing, ref: Timing | None = None) -> str:
    line = (
        f"{label:<55}: {n / t.wall:>7,.0f} cases/s ({n:,} in {t.wall:.2f} s;"
        f" {t.cpu / n * 1e3:.2f} ms CPU of this process per case)"
    )
    if ref:
        line += f"  = {ref.wall / t.wall:.0%} of the reference"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=DEFAULT_PG, help="PostgreSQL server (admin database)")
    parser.add_argument("--bench-db", default="zhili_bench", help="dropped and re-created")
    parser.add_argument("--cases", type=int, default=5000, help="per service/reference run")
    parser.add_argument("--http-cases", type=int, default=4000, help="per HTTP run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts to try")
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=120, help="seconds per HTTP run")
    parser.add_argument("--batch", type=int, default=100, help="reports per batch (feeds)")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-service", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the service loop")
    parser.add_argument("--profile-sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with fresh_database(args.db, args.url, args.bench_db, args.keep) as url:
        settings = Settings(database_url=url)
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        request_id_var.set(new_request_id())
        world = set_up(engine, args.size, args.seed)
        rng = np.random.default_rng(args.seed)
        print(
            f"machine: {platform.machine()} {os.cpu_count()} cpus, python"
            f" {platform.python_version()}, {server_version(engine)}; load average"
            f" {load_before[0]:.2f} {load_before[1]:.2f} at start"
        )
        print(
            f"database: {make_url(url).render_as_string(hide_password=True)}; demo city"
            f" {args.size} (seed {args.seed}, {len(world.index)} grids,"
            f" {len(world.category_ids)} leaf categories), set up in {world.setup_s:.1f} s"
        )
        n = args.cases
        if not args.skip_service:
            print(f"-- service layer and bare-insert reference, {n:,} cases each")
            rows = bare_rows(world, make_inputs(world, n, rng))
            ref_many = run_bare_executemany(engine, rows)
            rows = bare_rows(world, make_inputs(world, n, rng))
            ref_row = run_bare_per_row(engine, rows)
            rows = bare_rows(world, make_inputs(world, n, rng))
            ref_set = run_bare_write_set(engine, rows)
            intakes = [CaseIntake.model_validate(b) for b in make_inputs(world, n, rng)]
            profile = cProfile.Profile(time.process_time) if args.profile else None
            svc_1 = run_service(factory, world, intakes, commit_every=1, profile=profile)
            intakes = [CaseIntake.model_validate(b) for b in make_inputs(world, n, rng)]
            svc_100 = run_service(factory, world, intakes, commit_every=100)
            print(rate_line("reference: bare INSERT executemany, one transaction", n, ref_many))
            print(rate_line("reference: bare INSERT, one row per transaction", n, ref_row))
            print(
                rate_line(
                    "reference: bare case+event+caller+audit per transaction",
                    n,
                    ref_set,
                    ref_row,
                )
            )
            print(rate_line("service intake(), one transaction per case", n, svc_1, ref_row))
            print(rate_line("service intake(), commit every 100 (information)", n, svc_100))
            b = args.batch
            rows = bare_rows(world, make_inputs(world, n, rng))
            ref_batch = run_bare_write_set_batched(engine, rows, b)
            items = [
                BatchItem.model_validate(body | {"idempotency_key": uuid.uuid4().hex})
                for body in make_inputs(world, n, rng)
            ]
            svc_b = run_service_batches(factory, world, items, batch=b)
            print(f"-- feeds: batches of {b} reports, one transaction per batch")
            print(rate_line(f"reference: bare write set, executemany per {b}", n, ref_batch))
            print(rate_line(f"service intake_many(), {b} per transaction", n, svc_b, ref_batch))
            if profile:
                out = io.StringIO()
                stats = pstats.Stats(profile, stream=out)
                stats.sort_stats(args.profile_sort).print_stats(45)
                print(out.getvalue())
        if not args.skip_http:
            token = issue_token(factory, OPERATOR)
            m = args.http_cases
            warm = 10
            print(
                f"-- HTTP: {args.clients} clients (threads, httpx keep-alive), {m:,} requests"
                f" per run after {warm} warm-up requests per client; uvicorn access log on"
            )
            with tempfile.TemporaryDirectory(prefix="zhili-bench-media-") as media:
                for workers in [int(w) for w in args.workers.split(",")]:
                    log = Path(media) / f"uvicorn-{workers}.log"
                    total = m + warm * args.clients
                    bodies = [
                        json.dumps(b, ensure_ascii=False).encode()
                        for b in make_inputs(world, total, rng)
                    ]
                    b = args.batch
                    n_batches = max(m // b, 10 * args.clients) + 2 * args.clients
                    batches = [
                        json.dumps(
                            {
                                "items": [
                                    x | {"idempotency_key": uuid.uuid4().hex}
                                    for x in make_inputs(world, b, rng)
                                ]
                            },
                            ensure_ascii=False,
                        ).encode()
                        for _ in range(n_batches)
                    ]
                    runs: list[tuple[str, Load]] = []
                    with uvicorn_server("zhili.app:create_app", url, workers, media, log) as base:
                        health = [None] * total
                        for label, method, path, load_bodies in (
                            ("GET /healthz (reference)", "GET", "/healthz", health),
                            ("POST /api/v1/cases", "POST", "/api/v1/cases", bodies),
                        ):
                            runs.append(
                                (
                                    label,
                                    run_load(
                                        base,
                                        token,
                                        method,
                                        path,
                                        load_bodies,
                                        args.clients,
                                        warmup=warm,
                                        time_limit=args.time_limit,
                                    ),
                                )
                            )
                        runs.append(
                            (
                                f"POST /api/v1/cases/batch, {b} reports",
                                run_load(
                                    base,
                                    token,
                                    "POST",
                                    "/api/v1/cases/batch",
                                    batches,
                                    args.clients,
                                    warmup=2,
                                    time_limit=args.time_limit,
                                ),
                            )
                        )
                    with uvicorn_server("case_intake:bare_app", url, workers, media, log) as base:
                        bare = run_load(
                            base,
                            token,
                            "POST",
                            "/bare",
                            bodies,
                            args.clients,
                            warmup=warm,
                            time_limit=args.time_limit,
                        )
                        runs.insert(1, ("POST /bare, one INSERT (reference)", bare))
                        bare_b = run_load(
                            base,
                            token,
                            "POST",
                            "/bare_batch",
                            batches,
                            args.clients,
                            warmup=2,
                            time_limit=args.time_limit,
                        )
                        runs.append((f"POST /bare_batch, {b} rows (reference)", bare_b))
                    for label, load in runs:
                        ratio = (
                            f"  = {load.rate / bare.rate:.0%} of bare" if "cases" in label else ""
                        )
                        if "batch" in label:  # a request carries `b` reports
                            ratio = f"  = {load.rate * b:,.0f} cases/s"
                            if "api" in label:
                                ratio += f", {load.rate / bare_b.rate:.0%} of bare batch"
                        print(
                            f"workers={workers} {label:<36}: {load.rate:>9,.0f} req/s"
                            f"  p50 {load.pct(50):6.1f} ms  p95 {load.pct(95):6.1f} ms"
                            f"  ({load.ok:,} ok, {load.failed} failed, {load.seconds:.2f} s){ratio}"
                        )
                        if load.failed:
                            print(f"  answers, warm-up included: {dict(load.statuses)}")
                    errors = Counter(
                        line.strip()[:120]
                        for line in log.read_text(errors="replace").splitlines()
                        if "Error:" in line and not line.startswith(" ")
                    )
                    for line, count in errors.most_common(5):
                        print(f"server log: {count} x {line}")
        engine.dispose()
    load_after = os.getloadavg()
    print(f"load average {load_after[0]:.2f} {load_after[1]:.2f} at the end")


if __name__ == "__main__":
    main()
