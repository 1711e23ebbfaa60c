"""Through the real demo: a small city's year with planted hotspots, surges and repeat
complainants, acted out by the services into the database; the scan must find what was
planted (recall ≥ 0.9, precision ≥ 0.8 by the rules of ``detect.matching``), store it as
warnings, and let a dispatcher turn them into a case or supervision orders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from zhili.cases.categories.service import load_catalogue
from zhili.cases.models import Case, CaseCaller, CaseEvent
from zhili.core.config import Settings
from zhili.core.errors import Conflict
from zhili.core.security import Role
from zhili.demo import planted
from zhili.demo.cases import SimulationStats, simulate_cases
from zhili.demo.city import build_city
from zhili.insight import scan, warnings
from zhili.insight.detect.matching import score_hotspots, score_surges
from zhili.insight.detect.run import ScanResult
from zhili.insight.detect.synthetic import PlantedHotspot, PlantedSurge
from zhili.insight.models import InsightWarning, WarningKind, WarningStatus
from zhili.org.geo import GridIndexCache
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User

CASES = 700
END = datetime(2026, 11, 1, tzinfo=UTC)
START = END - timedelta(days=365)


@dataclass
class Year:
    session: Session
    stats: SimulationStats
    loaded: scan.Loaded
    result: ScanResult


@pytest.fixture(scope="module")
def year(engine: Engine, settings: Settings) -> Iterator[Year]:
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    try:
        with factory() as session:
            build_city(session, size="small", seed=3)
            load_catalogue(session, actor=None)
            stats = simulate_cases(
                session, cases=CASES, seed=3, end=END, settings=settings, plant=True
            )
            since = START + timedelta(days=56)
            loaded = scan.load(session, start=since, end=END)
            result = scan.detect(loaded, start=since, end=END)
            yield Year(session, stats, loaded, result)
    finally:
        outer.rollback()
        connection.close()


def _truth(y: Year) -> tuple[list[PlantedHotspot], list[PlantedSurge]]:
    assert y.stats.truth is not None
    cat = {c.code: i for i, c in enumerate(y.loaded.categories)}
    cell = {g.code: i for i, g in enumerate(y.loaded.grids)}
    area = {d.code: i for i, d in enumerate(y.loaded.districts)}
    day = lambda d: (d - scan.EPOCH).days  # noqa: E731
    hot = [
        PlantedHotspot(
            cat[h.category],
            tuple(cell[g] for g in h.grids),
            day(h.first_day),
            day(h.last_day),
            h.cases,
        )
        for h in y.stats.truth.hotspots
    ]
    surges = [
        PlantedSurge(cat[s.category], area[s.district], day(s.first_day), day(s.last_day), s.cases)
        for s in y.stats.truth.surges
    ]
    return hot, surges


def _cell_area(y: Year) -> list[int]:
    area = {d.id: i for i, d in enumerate(y.loaded.districts)}
    return [area[int(g.path.strip("/").split("/")[1])] for g in y.loaded.grids]


def test_the_ground_truth_says_what_was_planted(year: Year) -> None:
    truth = year.stats.truth
    assert truth is not None
    assert len(truth.hotspots) == planted.HOTSPOTS and len(truth.surges) == planted.SURGES
    data = json.loads(truth.to_json())
    assert data["hotspots"][0]["grids"] and data["surges"][0]["district"]
    for caller in truth.callers:
        cases = year.session.scalars(
            select(CaseCaller.case_id).where(CaseCaller.phone == caller.phone)
        ).all()
        assert len(set(cases)) >= caller.calls - 1  # one may have been merged into another


def test_planted_hotspots_are_found(year: Year) -> None:
    hot, surges = _truth(year)
    score = score_hotspots(year.result.hotspots, hot, surges, _cell_area(year))
    assert score.recall >= 0.9, (score, year.result.hotspots, hot)
    assert score.precision >= 0.8, (score, year.result.hotspots, hot)


def test_planted_surges_are_found(year: Year) -> None:
    hot, surges = _truth(year)
    score = score_surges(year.result.surges, surges, hot, _cell_area(year))
    assert score.recall >= 0.9, (score, year.result.surges, surges)
    assert score.precision >= 0.8, (score, year.result.surges, surges)


def _user(session: Session, role: Role, level: RegionLevel) -> User:
    return session.scalars(
        select(User)
        .join(Region, Region.id == User.region_id)
        .where(User.role == role.value, Region.level == level.value)
        .order_by(User.id)
    ).first()  # type: ignore[return-value]


def test_a_scan_stores_warnings_once_and_the_feed_is_scoped(year: Year) -> None:
    s = year.session
    with s.begin_nested() as nested:
        first = scan.run(s, actor=None, start=START + timedelta(days=56), end=END)
        again = scan.run(s, actor=None, start=START + timedelta(days=56), end=END)
        assert first["new"] > 0 and again["new"] == 0
        assert first["hotspot"] >= planted.HOTSPOTS and first["repeat_caller"] >= 1
        callers = {c.phone for c in year.stats.truth.callers}  # type: ignore[union-attr]
        rows = s.scalars(
            select(InsightWarning).where(InsightWarning.kind == WarningKind.repeat_caller.value)
        ).all()
        found = set()
        for w in rows:
            assert not any(p in json.dumps(w.evidence) for p in callers)  # masked
            found |= set(
                s.scalars(
                    select(CaseCaller.phone).where(CaseCaller.case_id.in_(w.evidence["case_ids"]))
                )
            )
        assert callers <= found
        city_dispatcher = _user(s, Role.dispatcher, RegionLevel.city)
        _all, total = warnings.feed(s, actor=city_dispatcher, limit=500)
        street_user = _user(s, Role.street, RegionLevel.street)
        street = s.get(Region, street_user.region_id)
        assert street is not None
        mine, mine_total = warnings.feed(s, actor=street_user, limit=500)
        assert total == first["new"] and mine_total < total
        assert all(w.region_path.startswith(street.path) for w in mine)
        nested.rollback()


def test_a_warning_becomes_a_case_or_supervision_orders_in_one_step(year: Year) -> None:
    s = year.session
    with s.begin_nested() as nested:
        scan.run(s, actor=None, start=START + timedelta(days=56), end=END)
        dispatcher = _user(s, Role.dispatcher, RegionLevel.city)
        hotspot = s.scalars(
            select(InsightWarning).where(InsightWarning.kind == WarningKind.hotspot.value)
        ).first()
        assert hotspot is not None
        w, case = warnings.to_case(
            s, actor=dispatcher, cache=GridIndexCache(), warning_id=hotspot.id
        )
        assert w.status == WarningStatus.case.value and w.case_id == case.id
        assert case.category_id == hotspot.category_id and case.grid_id == hotspot.region_id
        with pytest.raises(Conflict):
            warnings.to_case(s, actor=dispatcher, cache=GridIndexCache(), warning_id=hotspot.id)
        # supervision orders on the open cases behind a warning (the case just made is open)
        other = s.scalars(
            select(InsightWarning).where(InsightWarning.status == WarningStatus.new.value)
        ).first()
        assert other is not None
        other.evidence = {**other.evidence, "case_ids": [case.id]}
        s.flush()
        w2, supervised = warnings.supervise(s, actor=dispatcher, warning_id=other.id)
        assert [c.id for c in supervised] == [case.id]
        assert w2.status == WarningStatus.supervised.value
        assert s.scalar(
            select(CaseEvent.id).where(
                CaseEvent.case_id == case.id, CaseEvent.action == "supervise"
            )
        )
        assert s.scalar(select(Case.id).where(Case.id == case.id))
        nested.rollback()
