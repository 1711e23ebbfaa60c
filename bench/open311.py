"""Benchmark: the Open311 endpoint on PostgreSQL (GET requests.json by 1 000, POST requests.json).

Creates (or empties) its own database, migrates it, builds a square test city of 10×10 grids,
loads the shipped catalogue, registers one Open311 client and seeds N requests through the
service layer (one transaction each, the way the endpoint makes them). Then it serves the real
app with uvicorn in a subprocess (``zhili.app:create_app --factory``, one worker) and measures,
in the same run, with the same keep-alive httpx clients (C threads):

    reference   GET /healthz                                   (the bare app: routing, JSON)
    GET         /open311/v2/requests.json?page_size=1000       (1 000 requests a page)
    GET         /open311/v2/requests.xml?page_size=1000        (the same page in XML)
    POST        /open311/v2/requests.json                      (form → checked → a new case)

Every answer is checked (status 200, a full page, a service_request_id), so a fast wrong server
cannot pass. Figures are requests per second of wall time, with p50/p95 latency.

    python bench/open311.py [--url postgresql+psycopg://postgres@127.0.0.1:55433/postgres]
        [--db zhili_open311_bench] [--seed-cases 10000] [--seconds 10] [--clients 4] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from zhili.cases.categories import service as categories
from zhili.core import migrate
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.open311 import service as open311
from zhili.org import service as org
from zhili.org.geo import GridIndexCache
from zhili.org.models import RegionLevel

LON0, LAT0, SIDE = 106.0, 26.0, 10  # a 1°×1° city of SIDE×SIDE grids
SERVICES = ("C0201", "E0101", "C0101", "E0601")


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def prepare_database(server_url: str, name: str) -> str:
    """Create the benchmark database if needed and empty it; returns its SQLAlchemy URL."""
    url = make_url(server_url)
    admin = url.set(drivername="postgresql", database=url.database or "postgres")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    bench_url = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(Settings(database_url=bench_url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()
    return bench_url


def build_city(session: Session) -> None:
    step = 1.0 / SIDE
    whole = box(LON0, LAT0, LON0 + 1, LAT0 + 1)
    city = org.create_region(
        session, actor=None, level=RegionLevel.city, code="529900", name="基准市", geometry=whole
    )
    district = org.create_region(
        session,
        actor=None,
        level=RegionLevel.district,
        code="529901",
        name="一区",
        parent_id=city.id,
        geometry=whole,
    )
    street = org.create_region(
        session,
        actor=None,
        level=RegionLevel.street,
        code="529901001",
        name="一街道",
        parent_id=district.id,
        geometry=whole,
    )
    community = org.create_region(
        session,
        actor=None,
        level=RegionLevel.community,
        code="529901001001",
        name="一社区",
        parent_id=street.id,
        geometry=whole,
    )
    for i in range(SIDE * SIDE):
        x, y = LON0 + (i % SIDE) * step, LAT0 + (i // SIDE) * step
        org.create_region(
            session,
            actor=None,
            level=RegionLevel.grid,
            code=f"529901001001{i + 1:03d}",
            name=f"第{i + 1}网格",
            parent_id=community.id,
            geometry=box(x, y, x + step, y + step),
        )


def request_form(rng: random.Random, key: str) -> dict[str, Any]:
    code = rng.choice(SERVICES)
    form: dict[str, Any] = {
        "api_key": key,
        "service_code": code,
        "lat": f"{LAT0 + rng.uniform(0.001, 0.999):.6f}",
        "long": f"{LON0 + rng.uniform(0.001, 0.999):.6f}",
        "description": "路灯不亮，夜间行人看不清路面" if code == "C0201" else "垃圾堆积，气味很大",
        "first_name": "芳",
        "last_name": "王",
        "phone": f"139{rng.randrange(10**8):08d}",
        "email": "resident@example.cn",
        "media_url": "https://photos.example.org/p.jpg",
    }
    if code == "C0201":
        form["attribute[lamp_state]"] = rng.choice(["off", "flicker", "day_on"])
    if code == "E0601":
        form["attribute[noise_time]"] = "2026-11-23T22:30:00+08:00"
        form["attribute[noise_source][]"] = ["construction", "business"]
    return form


def as_fields(form: dict[str, Any]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [str(v)] for k, v in form.items()}


def seed(url: str, count: int) -> tuple[str, float]:
    """The city, the catalogue, one client and ``count`` requests; returns (key, seconds)."""
    engine = make_engine(Settings(database_url=url))
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        build_city(session)
        categories.load_catalogue(session, actor=None)
        client, key = open311.create_client(
            session, actor=None, name="bench", channel=open311.Channel.app
        )
        client_id = client.id
    cache = GridIndexCache(cells_per_grid=1024)
    rng = random.Random(1)
    forms = [as_fields(request_form(rng, key)) for _ in range(count)]
    started = time.perf_counter()
    for fields in forms:
        with transaction(factory) as session:
            client, actor = open311.authenticate(session, key)
            assert client.id == client_id
            open311.submit_request(session, actor=actor, client=client, cache=cache, fields=fields)
    seconds = time.perf_counter() - started
    engine.dispose()
    return key, seconds


def new_client(url: str) -> str:
    engine = make_engine(Settings(database_url=url))
    with transaction(make_session_factory(engine)) as session:
        count = len(open311.list_clients(session))
        _, key = open311.create_client(
            session, actor=None, name=f"bench-{count + 1}", channel=open311.Channel.app
        )
    engine.dispose()
    return key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"ZHILI_DATABASE_URL": url, "ZHILI_TICK_INTERVAL_SECONDS": "0"}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "zhili.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter and app
    deadline = time.monotonic() + 180  # a busy machine may take a while to import
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def measure(
    name: str,
    base: str,
    call: Callable[[httpx.Client, random.Random], None],
    *,
    seconds: float,
    clients: int,
) -> Result:
    """C threads, each with its own keep-alive client, calling until the time is up."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        rng = random.Random(100 + i)
        with httpx.Client(base_url=base, timeout=60) as http:
            call(http, rng)  # warm-up (connection, caches), not counted
            while time.perf_counter() < stop:
                t = time.perf_counter()
                call(http, rng)
                latencies[i].append(time.perf_counter() - t)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = [x for part in latencies for x in part]
    return Result(name, len(flat), elapsed, flat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:55433/postgres")
    parser.add_argument("--db", default="zhili_open311_bench")
    parser.add_argument("--seed-cases", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    args = parser.parse_args()

    if args.reuse:
        url = make_url(args.url).set(database=args.db).render_as_string(hide_password=False)
        key = new_client(url)
        print("reusing the seeded database (a new client for the POSTs)")
    else:
        url = prepare_database(args.url, args.db)
        key, seed_s = seed(url, args.seed_cases)
        print(
            f"seeded {args.seed_cases} requests through the service layer in {seed_s:.1f} s "
            f"({args.seed_cases / seed_s:.0f}/s, one transaction each, no HTTP)"
        )
    port = free_port()
    server = serve(url, port)
    base = f"http://127.0.0.1:{port}"
    posted = random.Random(7)

    def healthz(http: httpx.Client, rng: random.Random) -> None:
        assert http.get("/healthz").status_code == 200

    def page(fmt: str) -> Callable[[httpx.Client, random.Random], None]:
        def call(http: httpx.Client, rng: random.Random) -> None:
            r = http.get(f"/open311/v2/requests.{fmt}", params={"page_size": 1000})
            assert r.status_code == 200
            count = len(r.json()) if fmt == "json" else r.content.count(b"<request>")
            assert count == 1000, count

        return call

    def post(http: httpx.Client, rng: random.Random) -> None:
        r = http.post("/open311/v2/requests.json", data=request_form(posted, key))
        assert r.status_code == 200, r.text
        assert r.json()[0]["service_request_id"]

    try:
        results = [
            measure(
                "GET /healthz (reference)",
                base,
                healthz,
                seconds=args.seconds,
                clients=args.clients,
            ),
            measure(
                "GET requests.json ×1000",
                base,
                page("json"),
                seconds=args.seconds,
                clients=args.clients,
            ),
            measure(
                "GET requests.xml ×1000",
                base,
                page("xml"),
                seconds=args.seconds,
                clients=args.clients,
            ),
            measure("POST requests.json", base, post, seconds=args.seconds, clients=args.clients),
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)

    with psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    ) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        total = conn.execute('SELECT count(*) FROM "case"').fetchone()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}, PostgreSQL {version[0] if version else '?'}, "
        f"{total[0] if total else '?'} cases at the end; {args.clients} keep-alive clients, "
        f"{args.seconds:.0f} s each, uvicorn 1 worker"
    )
    reference = results[0].per_second
    print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'vs /healthz':>13}")
    for r in results:
        print(
            f"{r.name:<28}{r.per_second:>10.1f}{r.percentile(0.5):>10.1f}"
            f"{r.percentile(0.95):>10.1f}{r.per_second / reference:>12.3f}×"
        )
    print(f"GET requests.json serves {results[1].per_second * 1000:,.0f} service requests/s")


if __name__ == "__main__":
    main()
