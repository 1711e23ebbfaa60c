"""Import 1 000 000 residents from a CSV file on PostgreSQL, and look residents up by ID.

Prints, from one run on the same data:
- the full import (read, decode, validate every row incl. GB 11643 check digits, encrypt and
  index each ID number, whole-file checks, upsert households and residents, one commit) in
  rows/s, next to a bare reference: PostgreSQL's own COPY of the same file into an unindexed
  table of text columns (the floor any import must stand on);
- the re-import of the same file (every row compared, nothing written);
- the latency of a lookup by ID number: the service call (HMAC of the number, one index
  probe, scope check, audit row) and the bare indexed SELECT, p50/p95/p99 over 2 000 probes.

Setup (not timed): a fresh database with 50 grids, one door-plate address and one dwelling
per household, inserted with set-based SQL.

    python bench/basedata_import.py [--rows 1000000] [--url postgresql+psycopg://…/db]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
import psycopg
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from zhili.basedata.imports.service import run_import
from zhili.basedata.population.codes import IdType
from zhili.basedata.population.models import Resident
from zhili.basedata.population.service import lookup
from zhili.basedata.validators import id_check_char
from zhili.basedata.vault import vault_for
from zhili.core import migrate
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.demo.names import person_names
from zhili.org import service as org
from zhili.org.models import RegionLevel

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:55433/zhili_basedata_bench"
GRIDS = 50
PERSONS_PER_HOUSEHOLD = 2.7
HEADER = ["证件号码", "姓名", "地址编码", "户编号", "与户主关系", "人口类型", "联系电话", "民族"]


def fresh_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def setup(settings: Settings, households: int) -> None:
    engine = make_engine(settings)
    migrate.upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        city = org.create_region(
            session, actor=None, level=RegionLevel.city, code="529900", name="黔安市"
        )
        parent = city
        for level, code, name in (
            (RegionLevel.district, "529901", "云岩区"),
            (RegionLevel.street, "529901001", "中华街道"),
            (RegionLevel.community, "529901001001", "花溪社区"),
        ):
            parent = org.create_region(
                session, actor=None, level=level, code=code, name=name, parent_id=parent.id
            )
        grids = [
            org.create_region(
                session,
                actor=None,
                level=RegionLevel.grid,
                code=f"529901001001{i:03d}",
                name=f"第{i}网格",
                parent_id=parent.id,
            )
            for i in range(1, GRIDS + 1)
        ]
        session.flush()
        first = grids[0].id
        # one door plate and one dwelling per household, spread over the grids
        session.execute(
            text(
                """
                INSERT INTO std_address (code, level, grid_id, region_path, road, number,
                    full_text, search_text, is_active, created_at, updated_at, version)
                SELECT 'B' || lpad(i::text, 7, '0'), 'door', r.id, r.path,
                    (1 + i % 30) || '组', i::text, '云岩区' || i || '号', '云岩区' || i || '号',
                    true, now(), now(), 1
                FROM generate_series(1, :n) AS i
                JOIN region r ON r.id = :first + i % :grids
                """
            ),
            {"n": households, "first": first, "grids": GRIDS},
        )
        session.execute(
            text(
                """
                INSERT INTO dwelling (address_id, grid_id, region_path, use, created_at,
                    updated_at, version)
                SELECT id, grid_id, region_path, 'self_occupied', now(), now(), 1
                FROM std_address
                """
            )
        )
    engine.dispose()


def make_file(rows: int, seed: int = 1) -> tuple[bytes, list[str], int]:
    """A CSV of ``rows`` residents in households of about 2.7 people; returns the bytes,
    the ID numbers (to look up) and the number of households."""
    rng = random.Random(seed)
    names = person_names(np.random.default_rng(seed), 50_000)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    numbers: list[str] = []
    seen: set[str] = set()
    household, left = 0, 0
    while len(numbers) < rows:
        if left == 0:
            household += 1
            left = max(1, round(rng.gauss(PERSONS_PER_HOUSEHOLD, 1.2)))
            relation = "户主"
        else:
            relation = rng.choice(("配偶", "子女", "子女", "父母"))
        left -= 1
        age_days = rng.randint(365, 90 * 365)
        born = time.gmtime(time.time() - age_days * 86400)
        first17 = (
            f"5299{rng.randint(1, 3):02d}{time.strftime('%Y%m%d', born)}{rng.randrange(1000):03d}"
        )
        number = first17 + id_check_char(first17)
        if number in seen:
            continue
        seen.add(number)
        numbers.append(number)
        code = f"B{household:07d}"
        phone = f"13{rng.randrange(10)}{rng.randrange(10**8):08d}" if age_days > 18 * 365 else ""
        writer.writerow(
            [
                number,
                names[len(numbers) % len(names)],
                code,
                code,
                relation,
                "户籍人口",
                phone,
                "汉族",
            ]
        )
    return out.getvalue().encode("utf-8"), numbers, household


def timed(label: str) -> Callable[[str, int, int], None]:
    start = time.perf_counter()
    seen: set[str] = set()

    def progress(stage: str, done: int, total: int) -> None:
        if done == total and stage not in seen:
            seen.add(stage)
            print(f"    {label}: {stage} done at {time.perf_counter() - start:6.1f} s")

    return progress


def reference_copy(url: str, data: bytes) -> float:
    """PostgreSQL's COPY of the same file into an unindexed table of text columns."""
    dsn = url.replace("+psycopg", "")
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE TEMP TABLE ref (id_number text, name text, address_code text, "
            "household_code text, relation text, resident_type text, phone text, ethnicity text)"
        )
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY ref FROM STDIN WITH (FORMAT csv, HEADER)") as copy,
        ):
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start : start + (1 << 20)])
        conn.commit()
        return time.perf_counter() - started


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) a local PostgreSQL backend has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49] * 1000:.2f} ms  p95 {q[94] * 1000:.2f} ms  p99 {q[98] * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--probes", type=int, default=2000)
    args = parser.parse_args()
    settings = Settings(database_url=args.url)
    print(f"generating {args.rows:,} residents …")
    data, numbers, households = make_file(args.rows)
    print(f"  file: {len(data) / 1e6:.0f} MB; setting up {GRIDS} grids and addresses …")
    fresh_database(args.url)
    setup(settings, households)
    factory = make_session_factory(make_engine(settings))
    vault = vault_for(settings)

    print("import (all or nothing, one transaction):")
    started = time.perf_counter()
    cpu = time.process_time()
    with transaction(factory) as session:
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        server_cpu = backend_cpu(backend)
        job = run_import(
            session,
            actor=None,
            vault=vault,
            kind="persons",
            data=data,
            filename="residents.csv",
            progress=timed("import"),
        )
        server_cpu = backend_cpu(backend) - server_cpu
    cpu = time.process_time() - cpu
    seconds = time.perf_counter() - started
    assert job.status == "applied" and job.inserted == args.rows, (job.status, job.errors[:5])
    reference = reference_copy(args.url, data)
    print(f"  zhili import   {seconds:7.1f} s  {args.rows / seconds:10,.0f} rows/s")
    print(
        f"  COPY reference {reference:7.1f} s  {args.rows / reference:10,.0f} rows/s "
        f"(zhili takes {seconds / reference:.1f}× the bare COPY)"
    )
    # CPU seconds do not grow with other jobs' load as wall time does (NaN: server not local)
    print(f"  CPU: Python {cpu:.1f} s, PostgreSQL backend {server_cpu:.1f} s")

    started = time.perf_counter()
    with transaction(factory) as session:
        again = run_import(
            session,
            actor=None,
            vault=vault,
            kind="persons",
            data=data,
            filename="residents.csv",
            progress=timed("re-import"),
        )
    seconds = time.perf_counter() - started
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, args.rows)
    print(f"  re-import, nothing changes: {seconds:.1f} s  {args.rows / seconds:,.0f} rows/s")

    rng = random.Random(2)
    probes = [rng.choice(numbers) for _ in range(args.probes)]
    with factory() as session:
        service_times, bare_times = [], []
        for number in probes:
            t = time.perf_counter()
            lookup(session, actor=None, vault=vault, id_type=IdType.citizen_id, id_number=number)
            session.flush()  # the audit row is written, as in a request
            service_times.append(time.perf_counter() - t)
        for number in probes:
            index = vault.index("citizen_id", number)
            t = time.perf_counter()
            session.execute(select(Resident.id).where(Resident.id_index == index)).one()
            bare_times.append(time.perf_counter() - t)
        session.rollback()
    print(f"lookup by ID number over {args.rows:,} residents ({args.probes} probes):")
    print(f"  service (HMAC + index + scope + audit row)  {percentiles(service_times)}")
    print(f"  bare indexed SELECT                         {percentiles(bare_times)}")


if __name__ == "__main__":
    main()
