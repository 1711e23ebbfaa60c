"""Risk lists, the monthly issue and the warning feed over HTTP, on the tiny city."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from factories.cases import World, make_world, report
from factories.org import auth, token_for
from zhili.cases.models import Case, CaseEvent
from zhili.cli import app
from zhili.core.audit import AuditLog
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory
from zhili.insight import risks, warnings
from zhili.insight.models import InsightWarning, WarningKind
from zhili.insight.monthly import monthly_issue

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=CHINA_TZ)
API = "/api/v1/insight"
_SEQ = count(100)  # event numbers past the case's own


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    with use_clock(ManualClock(T0)) as c:
        yield c


@pytest.fixture
def w(session: Session, settings: Settings, clock: ManualClock) -> World:
    return make_world(session, settings)


def test_a_caller_who_keeps_calling_about_an_unsolved_problem_is_listed_masked(
    session: Session, w: World, clock: ManualClock
) -> None:
    for _ in range(3):
        report(session, w)  # the same phone, the same problem, still open
        clock.advance(timedelta(days=5))
    found = risks.repeat_callers(session, end=clock.now + timedelta(days=1))
    assert len(found) == 1
    d = found[0]
    assert d.kind == WarningKind.repeat_caller and d.evidence["cases"] == 3
    assert "13900001234" not in str(d.evidence) + d.title
    assert d.evidence["caller"] == "139****1234" and d.evidence["name"] == "王*"


def test_two_calls_are_not_yet_a_risk(session: Session, w: World, clock: ManualClock) -> None:
    report(session, w)
    clock.advance(timedelta(days=2))
    report(session, w)
    assert risks.repeat_callers(session, end=clock.now + timedelta(days=1)) == []


def test_a_grid_with_repeated_failures_is_listed(
    session: Session, w: World, clock: ManualClock
) -> None:
    made = [report(session, w, at=(0.5, 0.5)) for _ in range(4)]
    made[0].reopen_count = 1
    made[1].resolved = False
    made[2].satisfaction = "unsatisfied"
    session.flush()
    found = risks.failing_places(session, end=clock.now + timedelta(days=1))
    assert [d.region_id for d in found] == [w.city.grids["G1"].id]
    assert sorted(found[0].evidence["case_ids"]) == sorted(c.id for c in made[:3])


def _events(session: Session, case: Case, dept: int, at: datetime, on_time: list[bool]) -> None:
    for ok in on_time:
        session.add(
            CaseEvent(
                case_id=case.id,
                seq=next(_SEQ),
                at=at,
                actor_id=None,
                actor_name="x",
                action="accept",
                from_state="dispatched",
                to_state="handling",
                unit_department_id=dept,
                on_time=ok,
            )
        )
    session.flush()


def test_a_unit_whose_on_time_rate_drops_is_listed_and_a_steady_one_is_not(
    session: Session, w: World, clock: ManualClock
) -> None:
    case = report(session, w)
    urban, water = w.depts["urban_management"].id, w.depts["water"].id
    end = clock.now + timedelta(days=90)
    _events(session, case, urban, end - timedelta(days=60), [True] * 38 + [False] * 2)
    _events(session, case, urban, end - timedelta(days=10), [True] * 12 + [False] * 8)
    _events(session, case, water, end - timedelta(days=60), [True] * 36 + [False] * 4)
    _events(session, case, water, end - timedelta(days=10), [True] * 18 + [False] * 2)
    found = risks.slipping_units(session, end=end)
    assert [d.department_id for d in found] == [urban]
    assert found[0].evidence["recent"]["rate"] == 0.6


def test_the_monthly_issue_ranks_the_big_growing_unhappy_problem_first(
    session: Session, w: World, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 5, 10, 9, tzinfo=CHINA_TZ))
    report(session, w, category="E0502")  # May: one case each
    report(session, w, category="E0101")
    clock.set(datetime(2026, 6, 10, 9, tzinfo=CHINA_TZ))
    for i in range(6):
        c = report(session, w, category="E0101", at=(0.5 + (i % 3) * 0.9, 0.5))
        c.satisfaction = "unsatisfied" if i < 3 else "satisfied"
    report(session, w, category="E0502")
    session.flush()
    ranked = monthly_issue(session, month=date(2026, 6, 15))
    assert [c.code for c in ranked] == ["E0101", "E0502"]
    top = ranked[0]
    assert top.volume == 6 and top.dissatisfaction == 0.5 and top.growth > ranked[1].growth
    assert len(top.case_ids) == 6
    assert monthly_issue(session, month=date(2026, 6, 1), region_path="/nowhere/") == []


def test_the_monthly_issue_over_http(
    session: Session, w: World, client: TestClient, clock: ManualClock
) -> None:
    for _ in range(3):
        report(session, w, category="E0101")
    report(session, w, category="E0502")
    session.commit()
    h = auth(token_for(session, w.staff.street))
    session.commit()
    r = client.get(f"{API}/monthly", params={"month": "2026-06-01"}, headers=h)
    assert r.status_code == 200, r.text
    assert [c["code"] for c in r.json()] == ["E0101", "E0502"]
    assert len(r.json()[0]["case_ids"]) == 3
    bad = client.get(f"{API}/monthly", params={"month": "June"}, headers=h)
    assert bad.status_code == 422


def test_the_feed_over_http_is_scoped_and_turns_a_warning_into_a_case(
    session: Session, w: World, client: TestClient, clock: ManualClock
) -> None:
    cases = [report(session, w) for _ in range(3)]
    found = risks.repeat_callers(session, end=clock.now + timedelta(days=1))
    assert warnings.store(session, actor=None, detections=found) == 1
    elsewhere = InsightWarning(
        kind="surge",
        status="new",
        title="别处的预警",
        region_path="/999999/",
        period_start=clock.now,
        period_end=clock.now,
        score=1.0,
        evidence={},
        fingerprint="elsewhere",
    )
    session.add(elsewhere)
    session.commit()
    street = auth(token_for(session, w.staff.street))
    dispatcher = auth(token_for(session, w.staff.dispatcher))
    leader = auth(token_for(session, w.staff.leader))
    session.commit()
    r = client.get(f"{API}/warnings", headers=street)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["kind"] for i in items] == ["repeat_caller"] and r.json()["total"] == 1
    assert client.get(f"{API}/warnings/{elsewhere.id}", headers=street).status_code == 403
    wid = items[0]["id"]
    # a leader reads the feed but does not take in cases
    assert client.post(f"{API}/warnings/{wid}/case", json={}, headers=leader).status_code == 403
    r = client.post(f"{API}/warnings/{wid}/supervise", json={}, headers=dispatcher)
    assert r.status_code == 200, r.text
    assert sorted(r.json()["case_ids"]) == sorted(c.id for c in cases)
    assert r.json()["warning"]["status"] == "supervised"
    again = client.post(f"{API}/warnings/{wid}/case", json={}, headers=dispatcher)
    assert again.status_code == 409
    supervised = session.scalars(
        select(CaseEvent.case_id).where(CaseEvent.action == "supervise")
    ).all()
    assert sorted(supervised) == sorted(c.id for c in cases)


def test_the_scan_command_runs_on_a_fresh_database_and_refuses_a_bad_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scan.db'}"
    runner = CliRunner()
    r = runner.invoke(app, ["init", "--database-url", url, "--admin-password", "a-long-password"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["insight", "scan", "--end", "2026-11-01", "--database-url", url])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output.strip().splitlines()[-1]) == {"cases": 0, "new": 0}
    engine = make_engine(Settings(database_url=url))
    try:
        with make_session_factory(engine)() as s:
            assert s.scalar(select(AuditLog.id).where(AuditLog.action == "insight.scan"))
    finally:
        engine.dispose()
    bad = runner.invoke(app, ["insight", "scan", "--end", "1 Nov", "--database-url", url])
    assert bad.exit_code == 2
