"""Scorecards computed from case events, checked against figures worked out by hand
(the story is told in tests/factories/assessment.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from factories.assessment import MARCH, at, march_story
from factories.cases import make_world, report
from zhili.assessment.metrics import UnitKind
from zhili.assessment.scorecards import drilldown, scorecards
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings


def figures(card_figures: dict, *codes: str) -> dict[str, tuple[int, int, float | None]]:  # type: ignore[type-arg]
    return {
        c: (card_figures[c].numerator, card_figures[c].denominator, card_figures[c].rate)
        for c in codes
    }


def test_a_departments_scorecard_matches_the_hand_count(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    cards = scorecards(
        session, settings=settings, kind=UnitKind.department, start=MARCH[0], end=MARCH[1]
    )
    urban = cards[w.depts["urban_management"].id]
    assert figures(urban.figures, "response_rate", "resolution_rate", "satisfaction_rate") == {
        "response_rate": (2, 3, 66.67),  # A and C on time, B late
        "resolution_rate": (1, 2, 50.0),
        "satisfaction_rate": (1, 2, 50.0),
    }
    assert figures(
        urban.figures,
        "closure_rate",
        "on_time_closure_rate",
        "rework_rate",
        "on_time_handling_rate",
        "accurate_dispatch_rate",
    ) == {
        "closure_rate": (2, 3, 66.67),
        "on_time_closure_rate": (2, 3, 66.67),  # B's final result after the rework was on time
        "rework_rate": (1, 3, 33.33),  # three results, one failed verification
        "on_time_handling_rate": (2, 3, 66.67),
        "accurate_dispatch_rate": (3, 3, 100.0),
    }
    # 0.2 × 66.67 + 0.4 × 50 + 0.4 × 50
    assert urban.composite == pytest.approx(53.33, abs=0.01)


def test_a_return_counts_against_accurate_dispatch_and_the_unit_that_returned(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    cards = scorecards(
        session, settings=settings, kind=UnitKind.department, start=MARCH[0], end=MARCH[1]
    )
    water = cards[w.depts["water"].id]
    assert figures(water.figures, "accurate_dispatch_rate", "response_rate") == {
        "accurate_dispatch_rate": (0, 1, 0.0),
        "response_rate": (0, 1, 0.0),
    }
    assert water.figures["satisfaction_rate"].rate is None  # nothing rated: no figure, not 0
    assert water.composite == 0.0  # only the response part can be measured


def test_an_area_scorecard_counts_every_case_in_the_area(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    street = scorecards(
        session, settings=settings, kind=UnitKind.street, start=MARCH[0], end=MARCH[1]
    )[w.city.street.id]
    assert figures(
        street.figures,
        "on_time_dispatch_rate",
        "accurate_dispatch_rate",
        "response_rate",
        "closure_rate",
        "on_time_verification_rate",
    ) == {
        "on_time_dispatch_rate": (4, 4, 100.0),
        "accurate_dispatch_rate": (3, 4, 75.0),
        "response_rate": (2, 4, 50.0),
        "closure_rate": (2, 4, 50.0),
        "on_time_verification_rate": (3, 3, 100.0),
    }
    # gridder reports A, C, F (F rejected); public reports B, D, E; registered A, B, C
    assert figures(street.figures, "effective_report_rate", "missed_report_rate") == {
        "effective_report_rate": (2, 3, 66.67),
        "missed_report_rate": (3, 3, 100.0),
    }
    grid = scorecards(session, settings=settings, kind=UnitKind.grid, start=MARCH[0], end=MARCH[1])
    assert set(grid) == {w.city.grids["G2"].id}  # every case was in grid 2


def test_a_period_without_cases_has_no_scorecards(session: Session, settings: Settings) -> None:
    march_story(session, settings)
    april = scorecards(
        session,
        settings=settings,
        kind=UnitKind.department,
        start=MARCH[1],
        end=MARCH[1] + timedelta(days=30),
    )
    assert april == {}


def test_the_figures_drill_down_to_their_cases(session: Session, settings: Settings) -> None:
    w, c = march_story(session, settings)
    urban = w.depts["urban_management"].id
    late = set(
        drilldown(
            session,
            kind=UnitKind.department,
            unit_id=urban,
            metric="response_rate",
            part="denominator",
            start=MARCH[0],
            end=MARCH[1],
        )
    )
    on_time = set(
        drilldown(
            session,
            kind=UnitKind.department,
            unit_id=urban,
            metric="response_rate",
            part="numerator",
            start=MARCH[0],
            end=MARCH[1],
        )
    )
    assert late == {c["A"].id, c["B"].id, c["C"].id}
    assert on_time == {c["A"].id, c["C"].id}


def test_a_merged_duplicate_is_a_report_but_not_an_assignment(
    session: Session, settings: Settings
) -> None:
    w = make_world(session, settings)
    s = w.staff
    with use_clock(ManualClock(at(2, 9))):
        first = report(session, w)
        second = report(session, w)
        cases.register(session, actor=s.dispatcher, case_id=first.id)
        cases.merge(session, actor=s.dispatcher, case_id=second.id, into_case_id=first.id)
        cases.dispatch(
            session,
            actor=s.dispatcher,
            settings=settings,
            case_id=first.id,
            department_id=w.depts["urban_management"].id,
        )
    street = scorecards(
        session, settings=settings, kind=UnitKind.street, start=MARCH[0], end=MARCH[1]
    )[w.city.street.id]
    assert figures(street.figures, "on_time_dispatch_rate", "missed_report_rate") == {
        "on_time_dispatch_rate": (1, 1, 100.0),
        "missed_report_rate": (2, 1, 200.0),  # two callers, one registered case
    }


def test_a_reopened_case_is_assigned_and_rated_again(session: Session, settings: Settings) -> None:
    """Unsatisfied, reopened (重办), handled again and then satisfied: two dispatches, two
    visits; the unit answers for both rounds."""
    w = make_world(session, settings)
    s, urban = w.staff, w.depts["urban_management"].id
    clock = ManualClock(at(2, 9))
    with use_clock(clock):
        case = report(session, w)
        cases.register(session, actor=s.dispatcher, case_id=case.id)
        for satisfied in (False, True):
            cases.dispatch(
                session, actor=s.dispatcher, settings=settings, case_id=case.id, department_id=urban
            )
            handling.accept(session, actor=s.urban, case_id=case.id)
            handling.submit_result(
                session, actor=s.urban, settings=settings, case_id=case.id, result="已处理"
            )
            handling.verify(
                session, actor=s.gridder, settings=settings, case_id=case.id, passed=True
            )
            handling.visit(
                session,
                actor=s.operator,
                settings=settings,
                case_id=case.id,
                resolved=satisfied,
                satisfaction="satisfied" if satisfied else "unsatisfied",
                reopen=not satisfied,
            )
            clock.advance(timedelta(minutes=30))
    card = scorecards(
        session, settings=settings, kind=UnitKind.department, start=MARCH[0], end=MARCH[1]
    )[urban]
    assert figures(
        card.figures, "response_rate", "closure_rate", "satisfaction_rate", "resolution_rate"
    ) == {
        "response_rate": (2, 2, 100.0),
        "closure_rate": (2, 2, 100.0),
        "satisfaction_rate": (1, 2, 50.0),
        "resolution_rate": (1, 2, 50.0),
    }
