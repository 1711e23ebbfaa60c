"""Monthly rankings: fair for small samples, frozen once published, exported to Excel."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.assessment import at, march_story
from zhili.assessment import rankings, service
from zhili.assessment.export import ranking_workbook
from zhili.assessment.metrics import METRICS, UnitKind
from zhili.assessment.scorecards import Figure, Scorecard
from zhili.cases.handling import service as handling
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden
from zhili.core.security import Role
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User

START, END = rankings.month_bounds("2026-03")


def card(
    response: tuple[int, int], resolved: tuple[int, int], satisfied: tuple[int, int]
) -> Scorecard:
    c = Scorecard(UnitKind.department, 1, START, END)
    c.figures = {m.code: Figure(m.code, m.name_zh, 0, 0) for m in METRICS}
    c.figures["response_rate"] = Figure("response_rate", "响应率", *response)
    c.figures["resolution_rate"] = Figure("resolution_rate", "解决率", *resolved)
    c.figures["satisfaction_rate"] = Figure("satisfaction_rate", "满意率", *satisfied)
    return c


def test_a_perfect_score_on_three_cases_does_not_beat_ninety_eight_percent_on_three_hundred() -> (
    None
):
    w = {"response_rate": 0.2, "resolution_rate": 0.4, "satisfaction_rate": 0.4}
    means = {"response_rate": 0.9, "resolution_rate": 0.9, "satisfaction_rate": 0.9}
    lucky = rankings._adjusted(card((3, 3), (3, 3), (3, 3)), means, 20, w)
    steady = rankings._adjusted(card((294, 300), (294, 300), (294, 300)), means, 20, w)
    assert lucky is not None and steady is not None
    # lucky: (3 + 20·0.9) / 23 = 91.30 %; steady: (294 + 18) / 320 = 97.5 %
    assert lucky == pytest.approx(91.30, abs=0.01)
    assert steady == pytest.approx(97.5, abs=0.01)
    assert steady > lucky
    # without shrinkage the lucky unit would have won
    assert rankings._adjusted(card((3, 3), (3, 3), (3, 3)), means, 0, w) == 100.0


def test_units_below_the_minimum_sample_are_listed_but_not_ranked(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    rows = rankings.compute(session, settings=settings, kind=UnitKind.department, month="2026-03")
    by_id = {r["unit_id"]: r for r in rows}
    urban, water = by_id[w.depts["urban_management"].id], by_id[w.depts["water"].id]
    assert urban["cases"] == 3 and water["cases"] == 1
    strict = settings.model_copy(update={"ranking_min_cases": 2})
    rows = rankings.compute(session, settings=strict, kind=UnitKind.department, month="2026-03")
    by_id = {r["unit_id"]: r for r in rows}
    assert by_id[w.depts["urban_management"].id]["rank"] == 1
    assert by_id[w.depts["water"].id]["rank"] is None
    assert by_id[w.depts["water"].id]["note_zh"] == "样本不足，不参与排名"
    assert by_id[w.depts["housing"].id]["note_zh"] == "本月无案件"
    assert rows[0]["unit_id"] == w.depts["urban_management"].id


def test_a_published_month_never_changes_even_when_late_events_arrive(
    session: Session, settings: Settings
) -> None:
    w, c = march_story(session, settings)
    with use_clock(ManualClock(datetime(2026, 4, 2, 9, tzinfo=CHINA_TZ))):
        snap = service.publish_ranking(
            session,
            actor=w.staff.leader,
            settings=settings,
            kind=UnitKind.department,
            month="2026-03",
        )
        frozen = [dict(r) for r in snap.rows]
        with pytest.raises(Conflict):
            service.publish_ranking(
                session,
                actor=w.staff.leader,
                settings=settings,
                kind=UnitKind.department,
                month="2026-03",
            )
    # a late event dated inside March (e.g. a correction entered with its real time)
    with use_clock(ManualClock(at(31, 16))):
        handling.submit_result(
            session, actor=w.staff.urban, settings=settings, case_id=c["C"].id, result="已处理"
        )
    session.flush()
    live = rankings.compute(session, settings=settings, kind=UnitKind.department, month="2026-03")
    assert live != frozen  # the live figures moved…
    session.expire_all()
    again = rankings.snapshot(session, kind=UnitKind.department, month="2026-03")
    assert again is not None and again.rows == frozen  # …the published ranking did not


def test_an_unfinished_month_cannot_be_published_and_staff_cannot_publish(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    with use_clock(ManualClock(at(20, 9))), pytest.raises(Conflict):
        service.publish_ranking(
            session,
            actor=w.staff.leader,
            settings=settings,
            kind=UnitKind.department,
            month="2026-03",
        )
    with use_clock(ManualClock(datetime(2026, 4, 2, tzinfo=CHINA_TZ))), pytest.raises(Forbidden):
        service.publish_ranking(
            session,
            actor=w.staff.urban,
            settings=settings,
            kind=UnitKind.department,
            month="2026-03",
        )


def test_the_previous_months_position_comes_from_its_published_snapshot(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    small = settings.model_copy(update={"ranking_min_cases": 2})
    with use_clock(ManualClock(datetime(2026, 4, 2, 9, tzinfo=CHINA_TZ))):
        service.publish_ranking(
            session, actor=w.staff.leader, settings=small, kind=UnitKind.department, month="2026-03"
        )
    rows = rankings.compute(session, settings=small, kind=UnitKind.department, month="2026-04")
    urban = next(r for r in rows if r["unit_id"] == w.depts["urban_management"].id)
    # ranked first in March; no cases in April, so no rank and no change
    assert (urban["previous_rank"], urban["rank"], urban["change"]) == (1, None, None)


def test_approved_adjustments_move_the_score_and_proposers_cannot_approve_their_own(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    urban = w.depts["urban_management"].id
    before = next(
        r
        for r in rankings.compute(
            session, settings=settings, kind=UnitKind.department, month="2026-03"
        )
        if r["unit_id"] == urban
    )
    adj = service.propose_adjustment(
        session,
        actor=w.staff.dispatcher,
        unit_kind=UnitKind.department,
        unit_id=urban,
        month="2026-03",
        points=-3,
        reason="群众投诉态度生硬",
    )
    with pytest.raises(Forbidden):
        service.decide_adjustment(
            session, actor=w.staff.dispatcher, adjustment_id=adj.id, approve=True
        )
    pending = next(
        r
        for r in rankings.compute(
            session, settings=settings, kind=UnitKind.department, month="2026-03"
        )
        if r["unit_id"] == urban
    )
    assert pending["score"] == before["score"]  # proposed only: nothing yet
    service.decide_adjustment(session, actor=w.staff.leader, adjustment_id=adj.id, approve=True)
    after = next(
        r
        for r in rankings.compute(
            session, settings=settings, kind=UnitKind.department, month="2026-03"
        )
        if r["unit_id"] == urban
    )
    assert after["score"] == pytest.approx(before["score"] - 3)
    assert after["point_items"][-1]["name"] == "加减分：群众投诉态度生硬"


def test_the_ranking_exports_to_excel_with_chinese_headers(
    session: Session, settings: Settings
) -> None:
    march_story(session, settings)
    small = settings.model_copy(update={"ranking_min_cases": 2})
    rows = rankings.compute(session, settings=small, kind=UnitKind.department, month="2026-03")
    data = ranking_workbook(UnitKind.department, "2026-03", rows, published=False)
    ws = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]][:4] == ["名次", "单位代码", "单位名称", "得分"]
    assert ws.cell(row=2, column=1).value == 1
    assert ws.cell(row=2, column=3).value == "一区urban_management"


def test_the_grid_ranking_lists_every_grid_once_with_its_gridder(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    rows = rankings.compute(session, settings=settings, kind=UnitKind.grid, month="2026-03")
    grids = set(session.scalars(select(Region.id).where(Region.level == RegionLevel.grid.value)))
    assert len(rows) == len(grids) and {r["unit_id"] for r in rows} == grids
    staffed = set(session.scalars(select(User.region_id).where(User.role == Role.gridder.value)))
    by_id = {r["unit_id"]: r for r in rows}
    gridder = w.staff.gridder
    assert by_id[gridder.region_id]["gridder"] == gridder.full_name
    assert by_id[gridder.region_id]["cases"] > 0
    quiet = grids - staffed
    assert quiet, "the test world should have a grid without a gridder"
    assert all("gridder" not in by_id[g] for g in quiet)
