"""The rollup is a cache of the event log: figures read through it equal figures counted live."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.assessment import MARCH, at, march_story
from factories.cases import report
from zhili.assessment import service
from zhili.assessment.metrics import UnitKind
from zhili.assessment.scorecards import composite, every_scorecard, scorecards, weights
from zhili.cases import service as cases
from zhili.cases.models import CaseEvent
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings

PERIODS = [
    MARCH,  # a whole month: monthly rows
    (at(2, 0), at(7, 0)),  # days inside a month: daily rows
    (datetime(2026, 2, 20, tzinfo=CHINA_TZ), datetime(2026, 4, 3, tzinfo=CHINA_TZ)),  # mixed
    (at(2, 9, 15), at(6, 12, 30)),  # not whole days: counted live
]


def as_numbers(cards: dict) -> dict:  # type: ignore[type-arg]
    return {
        u: {k: (f.numerator, f.denominator) for k, f in c.figures.items()} for u, c in cards.items()
    }


@pytest.mark.parametrize("kind", list(UnitKind))
def test_rollup_plus_live_tail_equals_counting_everything_live(
    session: Session, settings: Settings, kind: UnitKind
) -> None:
    w, c = march_story(session, settings)
    assert service.refresh_rollup(session) > 0
    assert service.refresh_rollup(session) == 0  # nothing new: nothing counted twice
    # events after the watermark: a new case registered and dispatched on 5 March
    with use_clock(ManualClock(at(5, 10))):
        late = report(session, w)
        cases.register(session, actor=w.staff.dispatcher, case_id=late.id)
        cases.dispatch(
            session,
            actor=w.staff.dispatcher,
            settings=settings,
            case_id=late.id,
            department_id=w.depts["urban_management"].id,
        )
    session.flush()
    for start, end in PERIODS:
        fast = scorecards(session, settings=settings, kind=kind, start=start, end=end)
        slow = scorecards(
            session, settings=settings, kind=kind, start=start, end=end, use_rollup=False
        )
        assert as_numbers(fast) == as_numbers(slow), (start, end)
    # and after folding the tail in, still the same
    service.refresh_rollup(session)
    fast = scorecards(session, settings=settings, kind=kind, start=MARCH[0], end=MARCH[1])
    slow = scorecards(
        session, settings=settings, kind=kind, start=MARCH[0], end=MARCH[1], use_rollup=False
    )
    assert as_numbers(fast) == as_numbers(slow)
    assert c  # the story ran


def test_every_scorecard_equals_each_level_counted_live(
    session: Session, settings: Settings
) -> None:
    march_story(session, settings)
    service.refresh_rollup(session)
    for start, end in PERIODS:
        every = every_scorecard(session, settings=settings, start=start, end=end)
        assert set(every) == set(UnitKind)
        for kind in UnitKind:
            slow = scorecards(
                session, settings=settings, kind=kind, start=start, end=end, use_rollup=False
            )
            assert as_numbers(every[kind]) == as_numbers(slow), (kind, start, end)
            for unit, card in every[kind].items():
                assert card.composite == slow[unit].composite
                # read from the counters, the same as from the figures they stand for
                assert card.composite == composite(card.figures, weights(settings))
        assert any(every[kind] for kind in UnitKind)  # the story left figures to compare


def test_a_rebuild_counts_every_event_again_and_agrees_with_counting_live(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    service.refresh_rollup(session)
    with use_clock(ManualClock(at(5, 10))):
        late = report(session, w)
        cases.register(session, actor=w.staff.dispatcher, case_id=late.id)
    session.flush()
    service.refresh_rollup(session)  # the tail merged into existing rows
    newest = session.scalar(select(func.max(CaseEvent.id)))
    assert service.rebuild_rollup(session) == newest  # read from the first event again
    assert service.refresh_rollup(session) == 0
    for start, end in PERIODS[:3]:  # whole days: read from the rebuilt rollup alone
        every = every_scorecard(session, settings=settings, start=start, end=end)
        for kind in UnitKind:
            slow = scorecards(
                session, settings=settings, kind=kind, start=start, end=end, use_rollup=False
            )
            assert as_numbers(every[kind]) == as_numbers(slow), (kind, start, end)
