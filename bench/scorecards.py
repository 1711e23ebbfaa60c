"""Benchmark: every unit's scorecard for a year of cases, on PostgreSQL.

1. Builds the `city` demo (6 000 grids, 14 districts, 225 departments) in its own database
   and simulates a year of cases through the real service layer (``simulate_cases``, the
   year 2025, default 20 000 cases: intake, dispatch, returns, rework, escalations,
   whistles, visits — every event a real service call wrote).
2. Replicates those cases and their events server-side (INSERT … SELECT over
   generate_series) until there are ``--cases`` of them: replica r gets new ids and numbers,
   moves every case to another grid (grid k → k + 1 919·r mod 6 000, with that grid's
   community, street, district and region path), hands its department steps to the
   department at the same position in the new district, and shifts all its times by a few
   whole days. Every copy reads id-ordered snapshots of the base rows (never the growing
   tables) and writes in (replica, id) order. The secondary indexes, the unique constraints
   other than the primary keys and autovacuum are set aside during the load and restored
   afterwards (same schema); foreign-key triggers are skipped for the copies.
3. Times ``rebuild_rollup`` counting every event into the daily/monthly rollup from
   scratch (a one-off cost; in production the tick folds only the new events every minute).
4. Times the scorecards of every unit of every level (departments, districts, streets,
   communities, grids) for the whole year — the figure the target is about (< 2 s) — as
   the median of ``--reps`` runs, next to references measured in the same run: a bare
   ``SELECT count(*)`` over the case table and one department's year scorecard. Then one
   month and one week, and a check that a month's department and district figures read
   from the rollup equal those counted live from the raw events.

    python bench/scorecards.py --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        [--cases 10000000] [--db zhili_scorecards_bench] [--keep] [--drop] [--load-only]

With ``--keep`` an existing bench database is reused and only grown to ``--cases`` (an
interrupted load resumes); ``--load-only`` stops after loading.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from zhili.assessment import service as assessment
from zhili.assessment.metrics import UnitKind
from zhili.assessment.scorecards import every_scorecard, scorecards
from zhili.cases.categories.service import load_catalogue
from zhili.cases.models import Case, CaseEvent
from zhili.core import migrate
from zhili.core.calendar import CHINA_TZ
from zhili.core.config import Settings
from zhili.core.db import UTCDateTime, make_engine, make_session_factory, transaction
from zhili.demo.cases import simulate_cases
from zhili.demo.city import build_city

YEAR = (datetime(2025, 1, 1, tzinfo=CHINA_TZ), datetime(2026, 1, 1, tzinfo=CHINA_TZ))
MONTH = (datetime(2025, 6, 1, tzinfo=CHINA_TZ), datetime(2025, 7, 1, tzinfo=CHINA_TZ))
WEEK = (datetime(2025, 6, 10, 9, tzinfo=CHINA_TZ), datetime(2025, 6, 17, 9, tzinfo=CHINA_TZ))
STRIDE = 1919  # coprime with 6 000: replicas 1…5 999 put a grid's cases on distinct grids
REPLICAS_PER_STATEMENT = 20

MAPS = """
CREATE TABLE IF NOT EXISTS bench_meta (base_max bigint, base_cases bigint, replicas int);
DROP TABLE IF EXISTS bench_grid;
CREATE TABLE bench_grid AS
SELECT row_number() OVER (ORDER BY g.id) - 1 AS k, g.id AS grid_id, g.parent_id AS community_id,
       c.parent_id AS street_id, s.parent_id AS district_id, g.path
FROM region g JOIN region c ON c.id = g.parent_id JOIN region s ON s.id = c.parent_id
WHERE g.level = 'grid';
CREATE UNIQUE INDEX ON bench_grid (k);
CREATE UNIQUE INDEX ON bench_grid (grid_id);
DROP TABLE IF EXISTS bench_dept;
CREATE TABLE bench_dept AS
SELECT d.id, d.region_id AS district_id,
       row_number() OVER (PARTITION BY d.region_id ORDER BY d.id) - 1 AS pos,
       count(*) OVER (PARTITION BY d.region_id) AS cnt
FROM department d JOIN region r ON r.id = d.region_id WHERE r.level = 'district';
CREATE UNIQUE INDEX ON bench_dept (id);
CREATE UNIQUE INDEX ON bench_dept (district_id, pos);
DROP TABLE IF EXISTS bench_dept_map;
CREATE TABLE bench_dept_map AS
SELECT d0.id AS d0, d1.district_id, d1.id AS d1
FROM bench_dept d0 JOIN bench_dept d1 ON d1.pos = d0.pos % d1.cnt;
CREATE UNIQUE INDEX ON bench_dept_map (d0, district_id);
ANALYZE bench_grid;
ANALYZE bench_dept;
ANALYZE bench_dept_map
"""

# The base cases and events once, next to their grid's position: every replica reads these
# small tables, never the growing case and event tables (whose statistics go stale during
# the load: the planner would scan all of them for the base rows, slower with every copy).
BASE_EVENTS = """
CREATE TABLE IF NOT EXISTS bench_base_case AS
SELECT c.*, g.k FROM "case" c JOIN bench_meta m ON c.id <= m.base_max
LEFT JOIN bench_grid g ON g.grid_id = c.grid_id ORDER BY c.id;
CREATE TABLE IF NOT EXISTS bench_base_event AS
SELECT e.*, g.k FROM case_event e JOIN bench_meta m ON e.case_id <= m.base_max
LEFT JOIN "case" c ON c.id = e.case_id LEFT JOIN bench_grid g ON g.grid_id = c.grid_id
ORDER BY e.id;
ANALYZE bench_meta;
ANALYZE bench_base_case;
ANALYZE bench_base_event
"""


def _shift() -> str:
    return "make_interval(days => (r.r * 11) % 29 - 14)"


def _moved_grid(k: str, grids: int) -> str:
    """Replica r moves the case on grid position k to another grid (k NULL: no grid)."""
    return f"LEFT JOIN bench_grid g1 ON g1.k = ({k} + r.r * {STRIDE}) % {grids}"


def _dept(column: str, alias: str, join: str) -> str:
    """The department at the same position in the moved case's district (else unchanged)."""
    return (
        f"LEFT JOIN bench_dept_map {join} ON {join}.d0 = {alias}.{column} "
        f"AND {join}.district_id = g1.district_id"
    )


def _replicate_cases(grids: int) -> str:
    moved = {
        "id": "c.id + r.r * m.base_max",
        # zero-padded so one replica's numbers sort together (the unique index is built
        # once at the end, but the order keeps the heap in key order too)
        "number": "'R' || lpad(r.r::text, 4, '0') || '-' || c.number",
        "idempotency_key": "NULL",
        "request_hash": "NULL",
        "merged_into_id": "c.merged_into_id + r.r * m.base_max",
        "grid_id": "COALESCE(g1.grid_id, c.grid_id)",
        "community_id": "CASE WHEN g1.k IS NULL THEN c.community_id ELSE g1.community_id END",
        "street_id": "CASE WHEN g1.k IS NULL THEN c.street_id ELSE g1.street_id END",
        "district_id": "CASE WHEN g1.k IS NULL THEN c.district_id ELSE g1.district_id END",
        "region_path": "CASE WHEN g1.k IS NULL THEN c.region_path ELSE g1.path END",
        "handler_department_id": "COALESCE(hd.d1, c.handler_department_id)",
    }
    columns = [col.name for col in Case.__table__.columns]
    values = [
        moved.get(
            name,
            f"c.{name} + {_shift()}"
            if isinstance(Case.__table__.c[name].type, UTCDateTime)
            else f"c.{name}",
        )
        for name in columns
    ]
    return (
        f'INSERT INTO "case" ({", ".join(columns)}) SELECT {", ".join(values)} '  # noqa: S608
        "FROM generate_series(:r0, :r1 - 1) AS r(r) CROSS JOIN bench_meta m "
        f"CROSS JOIN bench_base_case c {_moved_grid('c.k', grids)} "
        f"{_dept('handler_department_id', 'c', 'hd')}"
    )


def _replicate_events(grids: int, events: int) -> str:
    moved = {
        "id": f"e.id + r.r * {events}",
        "case_id": "e.case_id + r.r * m.base_max",
        "at": f"e.at + {_shift()}",
        "unit_department_id": "COALESCE(ud.d1, e.unit_department_id)",
    }
    columns = [col.name for col in CaseEvent.__table__.columns]
    values = [moved.get(name, f"e.{name}") for name in columns]
    return (
        f"INSERT INTO case_event ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608
        "FROM generate_series(:r0, :r1 - 1) AS r(r) CROSS JOIN bench_meta m "
        f"CROSS JOIN bench_base_event e {_moved_grid('e.k', grids)} "
        f"{_dept('unit_department_id', 'e', 'ud')}"
    )


def _run(engine: Engine, script: str, **params: Any) -> None:
    with engine.begin() as conn:
        for statement in script.split(";\n"):
            if statement.strip():
                conn.execute(text(statement), params)


def _set_aside(engine: Engine, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(drop, restore) statements for what slows a bulk load and is rebuilt once after it.

    The secondary indexes and the unique constraints other than the primary keys (the
    foreign keys point at those), and autovacuum, which would otherwise vacuum the growing
    tables again and again during the load.
    """
    with engine.connect() as conn:
        indexes = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(:t) "
                "AND i.schemaname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
                "WHERE k.conname = i.indexname)"
            ),
            {"t": list(tables)},
        ).all()
        uniques = conn.execute(
            text(
                "SELECT k.conrelid::regclass::text, k.conname, pg_get_constraintdef(k.oid) "
                "FROM pg_constraint k WHERE k.contype = 'u' AND k.conrelid::regclass::text "
                "= ANY(:t)"
            ),
            {"t": [f'"{t}"' if t == "case" else t for t in tables]},
        ).all()
    steps = [(f"DROP INDEX {name}", definition) for name, definition in indexes]
    steps += [
        (f"ALTER TABLE {t} DROP CONSTRAINT {name}", f"ALTER TABLE {t} ADD CONSTRAINT {name} {d}")
        for t, name, d in uniques
    ]
    for t in tables:
        quoted = f'"{t}"'
        steps.append(
            (
                f"ALTER TABLE {quoted} SET (autovacuum_enabled = off)",
                f"ALTER TABLE {quoted} RESET (autovacuum_enabled)",
            )
        )
    return steps


def build_base(engine: Engine, settings: Settings, base_cases: int) -> None:
    factory = make_session_factory(engine)
    migrate.upgrade(engine)
    t = time.perf_counter()
    with transaction(factory) as session:
        build_city(session, size="city", seed=1)
        load_catalogue(session, actor=None)
    stats = simulate_cases(factory, cases=base_cases, seed=1, end=YEAR[1], settings=settings)
    _run(engine, MAPS)
    with engine.begin() as conn:
        conn.execute(text('INSERT INTO bench_meta SELECT max(id), count(*), 0 FROM "case"'))
    print(
        f"base: city demo and {stats.cases:,} simulated cases, {stats.events:,} events "
        f"in {time.perf_counter() - t:.0f} s"
    )


def grow(engine: Engine, cases: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_index (name text, definition text)"))
        base, have = conn.execute(text("SELECT base_cases, replicas FROM bench_meta")).one()
    want = max(0, -(-cases // base) - 1)  # replicas beyond the base itself
    t = time.perf_counter()
    if want > have:
        load(engine, have, want)
    loaded = time.perf_counter() - t
    with engine.begin() as conn:
        restore = list(conn.execute(text("SELECT definition FROM bench_index")).scalars())
    if not restore:
        return
    for statement in restore:
        # one transaction each: a long build that fails leaves the finished ones in place
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
            s = time.perf_counter()
            conn.execute(text(statement))
            conn.execute(text("DELETE FROM bench_index WHERE definition = :d"), {"d": statement})
        print(f"  {time.perf_counter() - s:6.0f} s  {statement[:90]}", flush=True)
    with engine.begin() as conn:
        conn.execute(text("SELECT setval('case_id_seq', (SELECT max(id) FROM \"case\"))"))
        conn.execute(text("SELECT setval('case_event_id_seq', (SELECT max(id) FROM case_event))"))
    rebuilt = time.perf_counter() - t - loaded
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text('VACUUM ANALYZE "case"'))
        conn.execute(text("VACUUM ANALYZE case_event"))
    print(
        f"replicated to {max(want, have) + 1} copies: load {loaded:.0f} s, indexes and "
        f"constraints {rebuilt:.0f} s, vacuum analyze "
        f"{time.perf_counter() - t - loaded - rebuilt:.0f} s",
        flush=True,
    )


def load(engine: Engine, have: int, want: int) -> None:
    _run(engine, MAPS.split(";\n", 1)[1])
    _run(engine, BASE_EVENTS)
    t = time.perf_counter()
    with engine.begin() as conn:
        pending = conn.execute(text("SELECT count(*) FROM bench_index")).scalar()
        grids = conn.execute(text("SELECT count(*) FROM bench_grid")).scalar() or 1
        events = conn.execute(text("SELECT max(id) FROM bench_base_event")).scalar() or 0
        per_copy = conn.execute(text("SELECT count(*) FROM bench_base_event")).scalar() or 0
        if not pending:
            # Set aside once; the restore statements are kept in the database so an
            # interrupted load can be resumed (--keep) and still ends with the full schema.
            for drop, restore in _set_aside(engine, ("case", "case_event")):
                conn.execute(
                    text("INSERT INTO bench_index VALUES (:n, :d)"), {"n": drop, "d": restore}
                )
                conn.execute(text(drop))
    cases_sql, events_sql = _replicate_cases(grids), _replicate_events(grids, events)
    for r0 in range(have + 1, want + 1, REPLICAS_PER_STATEMENT):
        r1 = min(r0 + REPLICAS_PER_STATEMENT, want + 1)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            # The replica rows come out in (replica, id) order — a nested loop over the
            # replica numbers and the id-ordered base tables — so every primary-key insert
            # lands at the right edge (an ORDER BY here took as long as the inserts). JIT
            # off: the planner, misled by generate_series, compiled for seconds per copy.
            conn.execute(text("SET LOCAL jit = off"))
            # Copies of rows whose references hold, mapped onto existing grids and
            # departments: the foreign-key triggers are skipped for the load only.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(cases_sql), {"r0": r0, "r1": r1})
            conn.execute(text(events_sql), {"r0": r0, "r1": r1})
            conn.execute(text("UPDATE bench_meta SET replicas = :r"), {"r": r1 - 1})
        spent = time.perf_counter() - t
        done = (r1 - have - 1) * per_copy
        print(
            f"  replicas {r0}…{r1 - 1}: {spent:.0f} s, {done / spent:,.0f} events/s "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )


def median_of(reps: int, fn: Callable[[], Any]) -> tuple[float, list[float], Any]:
    times, result = [], None
    for _ in range(reps):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def line(label: str, seconds: float, extra: str = "") -> None:
    print(f"{label:<60}{seconds:>9.3f} s  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="a PostgreSQL server URL (any database)")
    parser.add_argument("--db", default="zhili_scorecards_bench")
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--base-cases", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse and grow an existing bench db")
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    parser.add_argument(
        "--load-only", action="store_true", help="stop after the load (measure later with --keep)"
    )
    args = parser.parse_args()
    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    url = make_url(args.url).set(database=args.db).render_as_string(hide_password=False)
    settings = Settings(database_url=url, environment="test", secret_key="b" * 40)
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": args.db}
        ).scalar()
        if exists and not args.keep:
            conn.execute(text(f"DROP DATABASE {args.db}"))
        if not exists or not args.keep:
            conn.execute(text(f"CREATE DATABASE {args.db}"))
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    if not args.keep or not exists:
        build_base(engine, settings, args.base_cases)
    grow(engine, args.cases)
    if args.load_only:
        return
    with engine.connect() as conn:
        n_cases = conn.execute(text('SELECT count(*) FROM "case"')).scalar() or 0
        n_events = conn.execute(text("SELECT count(*) FROM case_event")).scalar() or 0
        size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(:d))"), {"d": args.db})
        print(f"{n_cases:,} cases, {n_events:,} events, database {size.scalar()}")

    # a full build every run: the one-off cost of counting every event from scratch
    t = time.perf_counter()
    with transaction(factory) as session:
        assessment.rebuild_rollup(session)
    spent = time.perf_counter() - t
    line(
        "rebuild_rollup (every event, one-off)",
        spent,
        f"{n_events:,} events, {n_events / spent:,.0f} events/s (load {os.getloadavg()[0]:.1f})",
    )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE assessment_rollup"))
        rows = conn.execute(text("SELECT count(*) FROM assessment_rollup")).scalar()
    print(f"rollup rows: {rows:,}")

    def count_cases() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text('SELECT count(*) FROM "case"')).scalar() or 0)

    def every(period: tuple[datetime, datetime]) -> int:
        with factory() as session:
            cards = every_scorecard(session, settings=settings, start=period[0], end=period[1])
            return sum(len(c) for c in cards.values())

    def one_department() -> int:
        with factory() as session:
            dept = session.scalar(text("SELECT min(id) FROM bench_dept"))
            return len(
                scorecards(
                    session,
                    settings=settings,
                    kind=UnitKind.department,
                    start=YEAR[0],
                    end=YEAR[1],
                    unit_ids=[int(dept or 0)],
                )
            )

    every(YEAR)  # warm the caches once
    reps = args.reps
    ref, _, _ = median_of(reps, count_cases)
    line(
        'reference: SELECT count(*) FROM "case"',
        ref,
        f"median of {reps} (load {os.getloadavg()[0]:.1f})",
    )
    one, _, _ = median_of(reps, one_department)
    line("reference: one department's year scorecard", one, f"median of {reps}")
    year, times, units = median_of(reps, lambda: every(YEAR))
    line(
        "scorecards, every unit of every level, whole year",
        year,
        f"median of {reps} ({', '.join(f'{x:.2f}' for x in times)}); {units:,} units; "
        f"target < 2 s (load {os.getloadavg()[0]:.1f})",
    )
    month, _, _ = median_of(reps, lambda: every(MONTH))
    line("scorecards, every unit of every level, one month", month, f"median of {reps}")
    week, _, _ = median_of(1, lambda: every(WEEK))
    line("scorecards, every unit of every level, a week (9:00–9:00)", week, "counted live")

    for kind in (UnitKind.department, UnitKind.district):
        with factory() as session:
            t = time.perf_counter()
            fast = scorecards(session, settings=settings, kind=kind, start=MONTH[0], end=MONTH[1])
            line(f"  June, {kind.value}s, via rollup", time.perf_counter() - t)
            t = time.perf_counter()
            slow = scorecards(
                session,
                settings=settings,
                kind=kind,
                start=MONTH[0],
                end=MONTH[1],
                use_rollup=False,
            )
            line(f"  June, {kind.value}s, counted live from events", time.perf_counter() - t)
        a = {u: [(f.numerator, f.denominator) for f in c.figures.values()] for u, c in fast.items()}
        b = {u: [(f.numerator, f.denominator) for f in c.figures.values()] for u, c in slow.items()}
        print(f"  rollup and live figures agree ({kind.value}s):", a == b)
        if a != b:
            raise SystemExit("the rollup disagrees with the events")
    engine.dispose()
    if args.drop:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {args.db}"))
        print(f"dropped {args.db}")


if __name__ == "__main__":
    main()
