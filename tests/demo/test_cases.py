"""A year of demo cases acted out through the real services: reproducible, complete, honest.

One simulation (300 cases, seed 1) is shared by the module; a second one, with the supervision
timers run every single hour instead of only when something falls due, must give exactly the
same year.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from zhili.cases.categories.service import load_catalogue
from zhili.cases.models import OPEN_STATES, Case, CaseEvent
from zhili.cases.workflow import replay
from zhili.cli import app
from zhili.core.calendar import CHINA_TZ
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory
from zhili.core.security import Role
from zhili.demo import cases as demo_cases
from zhili.demo.cases import SimulationStats, simulate_cases
from zhili.demo.city import build_city
from zhili.org.models import Region
from zhili.org.users.models import User

CASES = 300
SEED = 1
END = datetime(2026, 11, 1, tzinfo=UTC)  # inside the years the official calendar knows


@dataclass
class Year:
    session: Session
    stats: SimulationStats
    hourly: SimulationStats  # the same year with a tick every simulated hour


def _simulate(engine: Engine, settings: Settings) -> Iterator[tuple[Session, SimulationStats]]:
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    try:
        with factory() as session:
            build_city(session, size="small", seed=1)
            load_catalogue(session, actor=None)
            stats = simulate_cases(session, cases=CASES, seed=SEED, end=END, settings=settings)
            yield session, stats
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture(scope="module")
def year(engine: Engine, settings: Settings) -> Iterator[Year]:
    # Two fresh transactions one after the other (SQLite has one writer at a time).
    demo_cases.ALWAYS_TICK = True
    try:
        with_every_tick = _simulate(engine, settings)
        _, hourly = next(with_every_tick)
        with_every_tick.close()
    finally:
        demo_cases.ALWAYS_TICK = False
    run = _simulate(engine, settings)
    session, stats = next(run)
    yield Year(session, stats, hourly)
    run.close()


def _events(session: Session) -> dict[int, list[CaseEvent]]:
    out: dict[int, list[CaseEvent]] = defaultdict(list)
    for event in session.scalars(select(CaseEvent).order_by(CaseEvent.case_id, CaseEvent.seq)):
        out[event.case_id].append(event)
    return out


def test_the_same_seed_gives_the_same_year(year: Year) -> None:
    """Also: skipping the ticks that would find nothing changes nothing."""
    first, second = year.hourly.summary(), year.stats.summary()
    assert first.pop("ticks") == 365 * 24
    assert second.pop("ticks") < 365 * 24
    assert first == second
    assert year.stats.cases == CASES and year.stats.events > 5 * CASES


def test_every_kind_of_step_happens(year: Year) -> None:
    actions = year.stats.actions
    wanted = {
        "intake",
        "answer",
        "resolve_on_spot",
        "register",
        "reject",
        "merge",
        "absorb",
        "dispatch",
        "accept",
        "return",
        "escalate",
        "request_extension",
        "approve_extension",
        "refuse_extension",
        "whistle",
        "report_in",
        "part_done",
        "whistle_completed",
        "submit_result",
        "verify_fail",
        "verify_pass",
        "visit",
        "reopen",
        "supervise",
        "overdue",
    }
    assert not wanted - {a for a, n in actions.items() if n > 0}
    assert set(year.stats.whistles) == {"daily", "tackling", "emergency"}
    assert set(year.stats.channels) == {
        "hotline",
        "gridder",
        "app",
        "web",
        "petition",
        "department",
        "sensor",
    }
    # the hotline carries the most, as in every 12345 city
    assert max(year.stats.channels, key=year.stats.channels.__getitem__) == "hotline"
    events = [e for es in _events(year.session).values() for e in es]
    assert any(e.action == "report_in" and e.data and e.data["late"] for e in events)
    assert year.stats.late_report_ins > 0
    assert any(
        e.action == "visit" and e.data and e.data["satisfaction"] == "unsatisfied" for e in events
    )


def test_every_history_replays_to_the_stored_state(year: Year) -> None:
    session = year.session
    cases = {c.id: c for c in session.scalars(select(Case))}
    events = _events(session)
    assert set(events) == set(cases)
    for case_id, history in events.items():
        case = cases[case_id]
        assert [e.seq for e in history] == list(range(1, case.event_seq + 1))
        assert replay((e.action, e.from_state, e.to_state) for e in history) == case.state
        assert [e.at for e in history] == sorted(e.at for e in history)


def test_the_right_people_act(year: Year) -> None:
    session = year.session
    users = {u.id: u for u in session.scalars(select(User))}
    districts = {c.id: c.district_id for c in session.scalars(select(Case))}
    grids = {c.id: c.grid_id for c in session.scalars(select(Case))}
    assert None not in grids.values()  # every point fell in a grid
    roles: dict[str, Counter[str]] = defaultdict(Counter)
    for case_id, history in _events(session).items():
        for e in history:
            if e.actor_id is None:
                continue
            actor = users[e.actor_id]
            roles[e.action][actor.role] += 1
            if e.action in ("register", "dispatch", "merge", "reject"):
                assert actor.region_id == districts[case_id]  # the district's own centre
            if e.action == "verify_pass" and actor.role == Role.gridder:
                assert actor.region_id == grids[case_id]
    assert set(roles["register"]) == {"dispatcher"}
    assert set(roles["visit"]) == {"operator"}
    assert set(roles["whistle"]) == {"street"}
    assert set(roles["report_in"]) == {"department"}
    assert set(roles["resolve_on_spot"]) == {"gridder"}
    assert set(roles["accept"]) <= {"department", "community", "street", "gridder"}
    assert set(roles["verify_pass"]) <= {"gridder", "community"}
    assert "citizen" in roles["intake"]


def test_intakes_have_a_working_week_and_a_working_day(year: Year) -> None:
    created = [c.astimezone(CHINA_TZ) for c in year.session.scalars(select(Case.created_at))]
    assert all(END - timedelta(days=365) <= c < END for c in created)
    weekday = sum(1 for c in created if c.weekday() < 5) / 5
    weekend = sum(1 for c in created if c.weekday() >= 5) / 2
    assert weekday > 1.3 * weekend
    office = sum(1 for c in created if 9 <= c.hour < 12 or 14 <= c.hour < 17)
    night = sum(1 for c in created if c.hour < 6)
    assert office > 0.4 * len(created) and night < 0.06 * len(created)


def test_only_recent_cases_are_still_open(year: Year) -> None:
    open_created = year.session.scalars(
        select(Case.created_at).where(Case.state.in_([s.value for s in OPEN_STATES]))
    ).all()
    assert open_created
    assert all(c > END - timedelta(days=60) for c in open_created)
    assert len(open_created) < 0.1 * CASES


def test_nothing_happens_without_a_city(session: Session, settings: Settings) -> None:
    with pytest.raises(ValueError, match="demo city"):
        simulate_cases(session, cases=5, seed=1, end=END, settings=settings)


def test_the_demo_command_simulates_the_requested_cases(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    r = CliRunner().invoke(
        app,
        ["demo", "--seed", "2", "--cases", "40", "--no-serve", "--database-url", url],
    )
    assert r.exit_code == 0, r.output
    assert "已模拟 40 件案件" in r.output
    engine = make_engine(Settings(database_url=url))
    try:
        with make_session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 40
            assert session.scalar(select(func.count()).select_from(Region)) > 300
            residents = session.scalar(
                select(func.count()).select_from(User).where(User.role == Role.citizen)
            )
            assert residents == 50
    finally:
        engine.dispose()
