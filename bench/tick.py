"""Benchmark: the supervision tick (督办计时) over a million open cases.

Sets up a fresh database (SQLite: a temporary file; PostgreSQL: a benchmark database dropped
and created on the given server), builds the `small` demo city and the catalogue, then
bulk-loads N open cases with BARE INSERTS (COPY on PostgreSQL, executemany on SQLite; not the
service layer: a million intakes would take too long and the tick does not care how a row got
there; secondary indexes are built after the load and foreign keys are not checked during it,
as a restore does), followed by ANALYZE (and VACUUM on PostgreSQL, as autovacuum would do).

Open cases are spread over the five open states, located in random grids, with handlers
(department or unit) for dispatched steps. Their deadlines are placed so that, relative to
the moment ``now0`` of the load:

    3 %          overdue long ago and already flagged (the tick must skip them)
    --share      deadline in [t1 − 1 day, t1)        t1 = now0 − 3 h    realistic tick
    --worst      deadline in [t1, t2)                t2 = now0 − 2 h    worst case
    1 %          deadline in [t2, now0 − 10 min)     found by the CLI run (wall clock)
    the rest     deadline in (now0 + 1 h, now0 + 15 days)

``tick(session, now=t1)`` then finds exactly the --share cases, ``tick(session, now=t2)``
the --worst ones, and ``zhili tick`` (run as a subprocess, real clock) the last 1 %. Each tick
is timed with its commit, next to two references measured just before it on the same rows:
``SELECT count(*)`` with the tick's own predicate (the cost of merely finding them) and the
bare ``UPDATE … SET overdue = true`` with that predicate, rolled back (the cost of merely
flagging them, without events, audit rows or notifications).

    python bench/tick.py --db sqlite --open 1000000
    python bench/tick.py --db postgresql \\
        --url postgresql+psycopg://postgres@127.0.0.1:55433/postgres --open 1000000
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, Table, func, select, update
from sqlalchemy.engine import make_url

from case_intake import DEFAULT_PG, fresh_database, server_version
from zhili.cases.categories.models import Category
from zhili.cases.categories.service import load_catalogue
from zhili.cases.models import Case
from zhili.cases.supervision.service import tick
from zhili.cases.workflow import OPEN
from zhili.core import migrate
from zhili.core.audit import new_request_id, request_id_var
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.demo.city import build_city
from zhili.org.models import Department, Region, RegionLevel

STATES = np.array(["received", "registered", "dispatched", "handling", "handled"])
STATE_P = [0.10, 0.05, 0.15, 0.60, 0.10]
COLUMNS = (
    "number",
    "title",
    "description",
    "channel",
    "urgency",
    "category_id",
    "state",
    "lon",
    "lat",
    "grid_id",
    "community_id",
    "street_id",
    "district_id",
    "region_path",
    "reporter_name",
    "reporter_phone",
    "anonymous",
    "handler_region_id",
    "handler_department_id",
    "step_started_at",
    "warn_at",
    "deadline_at",
    "deadline_working",
    "dispatched_at",
    "extension_requested",
    "escalation_level",
    "overdue",
    "return_count",
    "rework_count",
    "reopen_count",
    "extension_count",
    "created_at",
    "updated_at",
    "event_seq",
    "version",
)
_SQLITE_STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


@dataclass
class Moments:
    now0: datetime
    t1: datetime
    t2: datetime


@dataclass
class City:
    chains: np.ndarray  # (grids, 4): district, street, community, grid ids
    paths: list[str]
    lonlat: np.ndarray  # a point inside each grid
    departments: np.ndarray
    categories: np.ndarray


def set_up_city(engine: Engine, size: str, seed: int) -> City:
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        build_city(session, size=size, seed=seed)
        load_catalogue(session, actor=None)
    with factory() as session:
        grids = session.execute(
            select(Region.path, Region.centroid_lon, Region.centroid_lat).where(
                Region.level == RegionLevel.grid.value
            )
        ).all()
        departments = session.scalars(select(Department.id)).all()
        categories = session.scalars(select(Category.id)).all()
    chains = np.array([[int(x) for x in g.path.strip("/").split("/")][1:5] for g in grids])
    return City(
        chains=chains,
        paths=[g.path for g in grids],
        lonlat=np.array([[g.centroid_lon or 0.0, g.centroid_lat or 0.0] for g in grids]),
        departments=np.array(departments),
        categories=np.array(categories),
    )


def deadlines(
    n: int, share: float, worst: float, m: Moments, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Deadline offsets from now0 in seconds, and whether the row is already flagged."""
    bands = rng.choice(5, n, p=[0.03, share, worst, 0.01, 1 - 0.04 - share - worst])
    lo_hi = {
        0: (-20 * 86400, -86400),
        1: ((m.t1 - m.now0).total_seconds() - 86400, (m.t1 - m.now0).total_seconds()),
        2: ((m.t1 - m.now0).total_seconds(), (m.t2 - m.now0).total_seconds()),
        3: ((m.t2 - m.now0).total_seconds(), -600),
        4: (3600, 15 * 86400),
    }
    offsets = np.empty(n)
    for band, (lo, hi) in lo_hi.items():
        mask = bands == band
        offsets[mask] = rng.uniform(lo, hi, int(mask.sum()))
    return offsets, bands == 0


def chunk_rows(
    start: int, n: int, city: City, share: float, worst: float, m: Moments, sqlite: bool, rng: Any
) -> list[tuple[Any, ...]]:
    g = rng.integers(len(city.paths), size=n)
    chain = city.chains[g]
    states = rng.choice(STATES, n, p=STATE_P)
    handled = np.isin(states, ["dispatched", "handling", "handled"])
    by_dept = handled & (rng.random(n) < 0.5)
    dept = np.where(by_dept, rng.choice(city.departments, n), 0)
    unit = np.where(handled & ~by_dept, chain[:, 2], 0)  # the community
    offsets, flagged = deadlines(n, share, worst, m, rng)
    step_len = rng.uniform(3600, 10 * 86400, n)
    cats = rng.choice(city.categories, n)
    jitter = rng.uniform(-0.002, 0.002, (n, 2))

    def stamp(seconds: float) -> Any:
        at = m.now0 + timedelta(seconds=float(seconds))
        return at.strftime(_SQLITE_STAMP) if sqlite else at

    rows = []
    for i in range(n):
        deadline = offsets[i]
        started = deadline - step_len[i]
        started_at, deadline_at = stamp(started), stamp(deadline)
        dispatched = bool(handled[i])
        rows.append(
            (
                f"20261123-{start + i:08d}",
                "路灯不亮",
                "市民反映：路灯不亮，请尽快处理。",
                "hotline",
                "normal",
                int(cats[i]),
                str(states[i]),
                float(city.lonlat[g[i], 0] + jitter[i, 0]),
                float(city.lonlat[g[i], 1] + jitter[i, 1]),
                int(chain[i, 3]),
                int(chain[i, 2]),
                int(chain[i, 1]),
                int(chain[i, 0]),
                city.paths[g[i]],
                "王先生",
                "13900000000",
                False,
                int(unit[i]) or None,
                int(dept[i]) or None,
                started_at,
                stamp(started + 0.8 * step_len[i]),
                deadline_at,
                True,
                started_at if dispatched else None,
                False,
                int(flagged[i]),
                bool(flagged[i]),
                0,
                0,
                0,
                0,
                started_at,
                started_at,
                2 + int(flagged[i]),
                2 + int(flagged[i]),
            )
        )
    return rows


def secondary_indexes(engine: Engine) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the case table's indexes that back no constraint."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = 'case' AND sql IS NOT NULL"
            )
        else:
            rows = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'case'"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
        return [(r[0], r[1]) for r in rows]


def bulk_load(
    engine: Engine, n: int, city: City, share: float, worst: float, m: Moments, seed: int
) -> None:
    """Bare inserts the way a restore does it: secondary indexes dropped during the load and
    built afterwards, foreign-key checks off (the rows are valid by construction)."""
    rng = np.random.default_rng(seed)
    sqlite = engine.dialect.name == "sqlite"
    cols = ", ".join(COLUMNS)
    indexes = secondary_indexes(engine)
    with engine.begin() as conn:
        for name, _ in indexes:
            conn.exec_driver_sql(f"DROP INDEX {name}")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if sqlite:
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("BEGIN")
        else:
            cur.execute("SET session_replication_role = replica")
        for start in range(0, n, 100_000):
            rows = chunk_rows(start, min(100_000, n - start), city, share, worst, m, sqlite, rng)
            if sqlite:
                marks = ", ".join("?" * len(COLUMNS))
                cur.executemany(f'INSERT INTO "case" ({cols}) VALUES ({marks})', rows)  # noqa: S608
            else:
                with cur.copy(f'COPY "case" ({cols}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
        raw.commit()
        if sqlite:
            cur.execute("PRAGMA foreign_keys=ON")
        else:
            cur.execute("RESET session_replication_role")
            cur.execute("SET maintenance_work_mem = '256MB'")
        for _, ddl in indexes:
            cur.execute(ddl)
        raw.commit()
        cur.close()
    finally:
        raw.close()
    if sqlite:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql('VACUUM ANALYZE "case"')


def case_table() -> Table:
    table = Case.__table__
    assert isinstance(table, Table)
    return table


def best_of(repeat: int, fn: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def references(engine: Engine, now: datetime) -> tuple[float, int, float, float]:
    """(count s, count, bare UPDATE s rolled back, count with the brief's looser predicate s)."""
    c = case_table()
    open_values = sorted(s.value for s in OPEN)
    found = (c.c.state.in_(open_values), c.c.overdue.is_(False), c.c.deadline_at < now)
    count_stmt = select(func.count()).select_from(c).where(*found)
    loose_stmt = select(func.count()).select_from(c).where(c.c.state.in_(open_values))
    loose_stmt = loose_stmt.where(c.c.deadline_at < now)
    with engine.connect() as conn:
        count_s, count = best_of(3, lambda: conn.execute(count_stmt).scalar_one())
        loose_s, _ = best_of(3, lambda: conn.execute(loose_stmt).scalar_one())
        conn.rollback()
        t = time.perf_counter()
        conn.execute(
            update(c).where(*found).values(overdue=True, escalation_level=c.c.escalation_level + 1)
        )
        update_s = time.perf_counter() - t
        conn.rollback()
    return count_s, int(count), update_s, loose_s


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=DEFAULT_PG, help="PostgreSQL server (admin database)")
    parser.add_argument("--bench-db", default="zhili_bench", help="dropped and re-created")
    parser.add_argument("--open", type=int, default=1_000_000, help="open cases to load")
    parser.add_argument("--share", type=float, default=0.01, help="newly overdue, realistic")
    parser.add_argument("--worst", type=float, default=0.10, help="newly overdue, worst case")
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with fresh_database(args.db, args.url, args.bench_db, args.keep) as url:
        engine = make_engine(Settings(database_url=url))
        request_id_var.set(new_request_id())
        city = set_up_city(engine, args.size, args.seed)
        now0 = datetime.now(UTC).replace(microsecond=0)
        m = Moments(now0, now0 - timedelta(hours=3), now0 - timedelta(hours=2))
        t = time.perf_counter()
        bulk_load(engine, args.open, city, args.share, args.worst, m, args.seed)
        load_s = time.perf_counter() - t
        print(
            f"machine: {platform.machine()} {os.cpu_count()} cpus, python"
            f" {platform.python_version()}, {server_version(engine)}; load average"
            f" {load_before[0]:.2f} {load_before[1]:.2f} at start"
        )
        print(
            f"database: {make_url(url).render_as_string(hide_password=True)}; demo city"
            f" {args.size} (seed {args.seed}, {len(city.paths)} grids)"
        )
        print(
            f"loaded {args.open:,} open cases with BARE INSERTS (not the service layer)"
            f" in {load_s:.1f} s (indexes built after the load), then ANALYZE"
        )
        factory = make_session_factory(engine)
        for label, at in ((f"{args.share:.0%} newly overdue", m.t1), (f"{args.worst:.0%}", m.t2)):
            count_s, count, update_s, loose_s = references(engine, at)
            with factory() as session:
                t = time.perf_counter()
                result = tick(session, now=at)
                session.commit()
                tick_s = time.perf_counter() - t
            assert result.overdue_cases == count, (result.overdue_cases, count)
            print(f"-- tick at now0 - {now0 - at}: {label} ({count:,} of {args.open:,})")
            print(f"reference SELECT count(*) with the tick's predicate : {count_s:8.3f} s")
            print(f"  (without the overdue = false filter: {loose_s:.3f} s)")
            print(f"reference bare UPDATE, overdue flag (rolled back)   : {update_s:8.3f} s")
            print(
                f"supervision.service.tick() + commit                 : {tick_s:8.3f} s"
                f"  ({result.overdue_cases:,} escalated, {tick_s / update_s:.1f}x the bare"
                f" UPDATE, {result.overdue_cases / tick_s:,.0f} cases/s)"
            )
        engine.dispose()
        if not args.skip_cli:
            zhili = str(Path(sys.executable).with_name("zhili"))
            cli = [zhili, "tick", "--database-url", url]
            t = time.perf_counter()
            out = subprocess.run(cli, capture_output=True, text=True, check=True)  # noqa: S603
            wall = time.perf_counter() - t
            print(f"-- CLI: zhili tick --database-url {make_url(url).render_as_string()}")
            print(f"   it prints: {out.stdout.strip()}")
            print(
                f"   wall time of the whole process (start-up and imports included): {wall:.2f} s"
            )
    load_after = os.getloadavg()
    print(f"load average {load_after[0]:.2f} {load_after[1]:.2f} at the end")


if __name__ == "__main__":
    main()
