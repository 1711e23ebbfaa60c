"""Benchmark: every unit's scorecard for a year of cases, on PostgreSQL.

Builds the `city` demo (6 000 grids, 14 districts, 225 departments) in a fresh database,
generates N cases (default 10 000 000) spread over 2025 with a realistic seven-step history
each (intake, register, dispatch, accept, result, verification, return visit: 7·N events),
server-side with generate_series so the set-up stays minutes, not hours. It then times:

* ``refresh_rollup``: folding all events into the daily/monthly rollup (a one-off cost; in
  production the tick folds only the new events every minute);
* scorecards of every unit of every level (departments, districts, streets, communities,
  grids) for the whole year — the figure the target is about (< 2 s);
* the same for one month and for one arbitrary week;
* the reference in the same run: the year's department scorecards counted live from the
  raw events (what it costs without the rollup), and the check that both give the same
  figures.

    python bench/scorecards.py --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        [--cases 10000000]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from zhili.assessment import service as assessment
from zhili.assessment.metrics import UnitKind
from zhili.assessment.scorecards import scorecards
from zhili.cases.categories.service import load_catalogue
from zhili.core import migrate
from zhili.core.calendar import CHINA_TZ
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.demo.city import build_city

GENERATE = """
CREATE TEMP TABLE bench_grid AS
SELECT row_number() OVER (ORDER BY g.id) - 1 AS k, g.id AS grid_id, g.parent_id AS community_id,
       c.parent_id AS street_id, s.parent_id AS district_id, g.path
FROM region g JOIN region c ON c.id = g.parent_id JOIN region s ON s.id = c.parent_id
WHERE g.level = 'grid';
CREATE TEMP TABLE bench_dept AS
SELECT d.region_id AS district_id, array_agg(d.id ORDER BY d.id) AS ids
FROM department d GROUP BY d.region_id;
INSERT INTO "case" (number, title, description, channel, urgency, category_id, state,
    grid_id, community_id, street_id, district_id, region_path, anonymous, deadline_working,
    extension_requested, escalation_level, overdue, return_count, rework_count, reopen_count,
    extension_count, close_reason, closed_at, resolved, satisfaction, created_at, updated_at,
    event_seq, version, handler_department_id)
SELECT 'B' || lpad(n::text, 12, '0'), '道路不洁', '生成的基准案件',
       (ARRAY['hotline','hotline','hotline','gridder','app','web'])[1 + n % 6], 'normal',
       (SELECT id FROM case_category WHERE code = 'E0103'), 'closed',
       g.grid_id, g.community_id, g.street_id, g.district_id, g.path, false, true,
       false, 0, false, 0, 0, 0, 0, 'verified',
       TIMESTAMPTZ '2025-01-01 00:00:00+08' + (n * (365.0 * 86400 / :cases)) * INTERVAL '1 second'
           + INTERVAL '3 days',
       n % 10 <> 0, (ARRAY['satisfied','satisfied','basic','unsatisfied'])[1 + n % 4],
       TIMESTAMPTZ '2025-01-01 00:00:00+08' + (n * (365.0 * 86400 / :cases)) * INTERVAL '1 second',
       now(), 7, 1,
       (SELECT ids[1 + n % array_length(ids, 1)] FROM bench_dept WHERE district_id = g.district_id)
FROM generate_series(1, :cases) AS n
JOIN bench_grid g ON g.k = n % (SELECT count(*) FROM bench_grid);
INSERT INTO case_event (case_id, seq, at, actor_name, action, from_state, to_state, data,
    unit_department_id, on_time)
SELECT c.id, s.seq, c.created_at + s.offset_, '基准', s.action, s.from_state, s.to_state,
    CASE s.action
        WHEN 'visit' THEN json_build_object('resolved', c.resolved, 'satisfaction', c.satisfaction)
        WHEN 'verify_pass' THEN json_build_object('on_time', true, 'result_on_time', c.id % 7 <> 0)
        ELSE NULL END,
    CASE WHEN s.seq >= 3 THEN c.handler_department_id END,
    CASE WHEN s.action IN ('dispatch', 'accept', 'submit_result', 'verify_pass')
         THEN c.id % (CASE s.action WHEN 'accept' THEN 9 ELSE 7 END) <> 0 END
FROM "case" c CROSS JOIN (VALUES
    (1, 'intake', NULL, 'received', INTERVAL '0'),
    (2, 'register', 'received', 'registered', INTERVAL '20 minutes'),
    (3, 'dispatch', 'registered', 'dispatched', INTERVAL '40 minutes'),
    (4, 'accept', 'dispatched', 'handling', INTERVAL '2 hours'),
    (5, 'submit_result', 'handling', 'handled', INTERVAL '2 days'),
    (6, 'verify_pass', 'handled', 'closed', INTERVAL '2 days 4 hours'),
    (7, 'visit', 'closed', 'closed', INTERVAL '3 days')) AS s(seq, action, from_state, to_state,
                                                              offset_);
"""


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t
    print(f"{label:<58}{elapsed:>9.2f} s")
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="a PostgreSQL server URL (any database)")
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--keep", action="store_true", help="reuse an existing bench database")
    args = parser.parse_args()
    db = "zhili_scorecards_bench"
    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    url = make_url(args.url).set(database=db).render_as_string(hide_password=False)
    settings = Settings(database_url=url, environment="test", secret_key="b" * 40)
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": db}
        ).scalar()
        if exists and not args.keep:
            conn.execute(text(f"DROP DATABASE {db}"))
        if not exists or not args.keep:
            conn.execute(text(f"CREATE DATABASE {db}"))
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    if not args.keep or not exists:
        migrate.upgrade(engine)
        with transaction(factory) as session:
            build_city(session, size="city", seed=1)
            load_catalogue(session, actor=None)
        with engine.begin() as conn:
            t = time.perf_counter()
            for statement in GENERATE.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), {"cases": args.cases})
            print(
                f"generated {args.cases:,} cases and {7 * args.cases:,} events in "
                f"{time.perf_counter() - t:.0f} s"
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    with transaction(factory) as session:
        timed("refresh_rollup (all events, one-off)", lambda: assessment.refresh_rollup(session))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM assessment_rollup")).scalar()
    print(f"rollup rows: {rows:,}")
    year = (datetime(2025, 1, 1, tzinfo=CHINA_TZ), datetime(2026, 1, 1, tzinfo=CHINA_TZ))
    month = (datetime(2025, 6, 1, tzinfo=CHINA_TZ), datetime(2025, 7, 1, tzinfo=CHINA_TZ))
    week = (datetime(2025, 6, 10, 9, tzinfo=CHINA_TZ), datetime(2025, 6, 17, 9, tzinfo=CHINA_TZ))

    def every_level(period: tuple[datetime, datetime]) -> int:
        with factory() as session:
            return sum(
                len(scorecards(session, settings=settings, kind=k, start=period[0], end=period[1]))
                for k in UnitKind
            )

    every_level(year)  # the first run warms the caches; report the second
    t = time.perf_counter()
    units = every_level(year)
    elapsed = time.perf_counter() - t
    print(
        f"{'scorecards, every unit of every level, whole year':<58}{elapsed:>9.2f} s"
        f"  ({units:,} units)  target < 2 s"
    )
    timed("scorecards, every unit of every level, one month", lambda: every_level(month))
    timed("scorecards, every unit of every level, a week (9:00–9:00)", lambda: every_level(week))
    with factory() as session:
        _, fast = timed(
            "  year, departments, via rollup",
            lambda: scorecards(
                session, settings=settings, kind=UnitKind.department, start=year[0], end=year[1]
            ),
        )
        _, slow = timed(
            "  reference: year, departments, counted live from events",
            lambda: scorecards(
                session,
                settings=settings,
                kind=UnitKind.department,
                start=year[0],
                end=year[1],
                use_rollup=False,
            ),
        )
    same = {u: [(f.numerator, f.denominator) for f in c.figures.values()] for u, c in fast.items()}
    live = {u: [(f.numerator, f.denominator) for f in c.figures.values()] for u, c in slow.items()}
    print("rollup and live figures agree:", same == live)
    if same != live:
        raise SystemExit("the rollup disagrees with the events")


if __name__ == "__main__":
    main()
