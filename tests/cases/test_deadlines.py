"""Deadlines across real holidays, through the service layer, with a movable clock.

The dates are the State Council's: the 2026 Spring Festival break is Sun 15 – Mon 23 February
with make-up working days on Saturdays 14 and 28 February; National Day 2025 is Wed 1 – Wed 8
October with make-up working days on Sunday 28 September and Saturday 11 October. Office
hours are 9:00–12:00 and 13:30–17:30 (7 working hours a day). Every expected moment below
was worked out by hand from those facts and is also checked against ``WorkCalendar``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.cases import World, make_world, report
from zhili.cases import queries, sla
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.cases.models import Case, CaseEvent, Notification, Urgency
from zhili.cases.queries import CaseFilter
from zhili.cases.sla import WarningLevel
from zhili.cases.supervision import service as supervision
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings

BJ = ZoneInfo("Asia/Shanghai")


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Beijing wall-clock moment."""
    return datetime(year, month, day, hour, minute, tzinfo=BJ)


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    with use_clock(ManualClock(bj(2026, 2, 12, 10, 0))) as c:
        yield c


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings)


def test_the_official_calendar_is_what_these_tests_assume() -> None:
    """The facts every expectation below rests on (chinesecalendar's data, not ours)."""

    def workdays(first: date, last: date) -> list[date]:
        days = [first + timedelta(d) for d in range((last - first).days + 1)]
        return [d for d in days if chinese_calendar.is_workday(d)]

    spring = workdays(date(2026, 2, 12), date(2026, 3, 2))
    assert spring == [
        date(2026, 2, 12),
        date(2026, 2, 13),
        date(2026, 2, 14),  # make-up Saturday
        date(2026, 2, 24),
        date(2026, 2, 25),
        date(2026, 2, 26),
        date(2026, 2, 27),
        date(2026, 2, 28),  # make-up Saturday
        date(2026, 3, 2),
    ]
    national = workdays(date(2025, 9, 26), date(2025, 10, 13))
    assert national == [
        date(2025, 9, 26),
        date(2025, 9, 28),  # make-up Sunday
        date(2025, 9, 29),
        date(2025, 9, 30),
        date(2025, 10, 9),
        date(2025, 10, 10),
        date(2025, 10, 11),  # make-up Saturday
        date(2025, 10, 13),
    ]
    cal = sla.calendar()
    assert [cal.is_workday(d) for d in (date(2026, 2, 14), date(2026, 2, 15))] == [True, False]


def _dispatch(
    session: Session,
    w: World,
    clock: ManualClock,
    at: datetime,
    *,
    category: str | None = "E0104",
    urgency: Urgency = Urgency.normal,
    dept: str = "water",
) -> Case:
    """Intake, register and dispatch a case at ``at`` (the clock is left there)."""
    clock.set(at)
    case = report(session, w, category=category, urgency=urgency)
    cases.register(session, actor=w.staff.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=w.staff.dispatcher,
        settings=w.settings,
        case_id=case.id,
        department_id=w.depts[dept].id,
    )
    session.flush()
    return case


def _warning(session: Session, w: World, case: Case, at: datetime) -> WarningLevel:
    """The warning as ``sla`` computes it, checked against what the case page shows."""
    level = sla.warning_at(at, case.warn_at, case.deadline_at)
    shown = queries.present(session, actor=w.staff.dispatcher, case=case, now=at).warning
    assert shown == level
    return level


# -- handling deadlines ----------------------------------------------------------------


def test_a_general_case_before_the_spring_festival_is_due_on_the_make_up_saturday(
    session: Session, world: World, clock: ManualClock
) -> None:
    category = world.category(session, "E0104")  # 水域不洁: the general rule
    assert (category.deadline_amount, category.deadline_unit, category.deadline_working) == (
        7,
        "days",
        True,
    )
    start = bj(2026, 2, 12, 10, 0)  # Thursday
    case = _dispatch(session, world, clock, start)

    # Fri 13, Sat 14 (make-up), Tue 24 … Fri 27, Sat 28 (make-up): the 7th working day
    assert case.deadline_at == bj(2026, 2, 28, 10, 0)
    assert case.deadline_at == sla.calendar().deadline(start, sla.GENERAL_DEADLINE)
    assert case.deadline_working is True
    # 80 % of 49 working hours is 39 h 12 min: 6 + 7 + 7 (Sat 14) + 7 + 7 by Wed 25, then
    # 3 h in the morning of Thu 26 and 2 h 12 min after lunch
    assert case.warn_at == bj(2026, 2, 26, 15, 42)
    # the response (签收) within 2 working hours: exactly at noon, not after lunch
    assert case.respond_by == bj(2026, 2, 12, 12, 0)
    event = queries.events_of(session, case.id)[-1]
    assert event.action == "dispatch"
    assert event.data is not None
    assert event.data["deadline_at"] == bj(2026, 2, 28, 10, 0).isoformat()


def test_the_dispatch_clock_of_a_case_received_in_the_holiday_starts_after_it(
    session: Session, world: World, clock: ManualClock
) -> None:
    clock.set(bj(2026, 2, 15, 10, 0))  # Spring Festival Sunday
    case = report(session, world)
    # 2 working hours for registration and dispatch: the first two of Tue 24 February
    assert case.deadline_at == bj(2026, 2, 24, 11, 0)


@pytest.mark.parametrize("code", ["C0101", "H0103"])
def test_a_24_hour_utility_case_ignores_the_holiday(
    session: Session, world: World, clock: ManualClock, code: str
) -> None:
    category = world.category(session, code)
    assert (category.deadline_amount, category.deadline_unit, category.deadline_working) == (
        24,
        "hours",
        False,
    )
    start = bj(2026, 2, 15, 10, 0)  # the first day of the break
    case = _dispatch(session, world, clock, start, category=code)
    assert case.deadline_at == bj(2026, 2, 16, 10, 0)  # 24 natural hours, holiday or not
    assert case.deadline_working is False
    assert case.warn_at == bj(2026, 2, 16, 5, 12)  # 80 % of 24 h = 19 h 12 min
    assert _warning(session, world, case, bj(2026, 2, 16, 5, 11)) == WarningLevel.normal
    assert _warning(session, world, case, bj(2026, 2, 16, 5, 12)) == WarningLevel.yellow
    assert _warning(session, world, case, bj(2026, 2, 16, 10, 0)) == WarningLevel.red


def test_a_case_must_be_accepted_before_it_is_due(
    session: Session, world: World, clock: ManualClock
) -> None:
    # a utility case's response time is 2 working hours (the catalogue default), which from
    # the first day of the break would end on Tue 24 Feb 11:00: after the 24 natural hours
    case = _dispatch(session, world, clock, bj(2026, 2, 15, 10, 0), category="H0103")
    assert case.deadline_at == bj(2026, 2, 16, 10, 0)
    assert case.respond_by == case.deadline_at


def test_an_escalated_emergency_must_still_be_accepted_within_thirty_minutes(
    session: Session, world: World, clock: ManualClock
) -> None:
    s = world.staff
    clock.set(bj(2025, 10, 3, 23, 0))  # a National Day holiday night
    case = report(session, world, category="E0104", urgency=Urgency.emergency)
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=s.dispatcher,
        settings=world.settings,
        case_id=case.id,
        region_id=world.city.community.id,
    )
    handling.accept(session, actor=s.community, case_id=case.id)
    clock.set(bj(2025, 10, 3, 23, 10))
    handling.escalate(session, actor=s.community, case_id=case.id, reason="社区无力处置")
    session.flush()
    assert case.handler_region_id == world.city.street.id
    assert case.deadline_at == bj(2025, 10, 4, 1, 0)
    # its own 30 natural minutes again (escalate used to give the general 2 working hours:
    # Thu 9 October 11:00, after the holiday)
    assert case.respond_by == bj(2025, 10, 3, 23, 40)


def test_an_escalated_utility_case_must_be_accepted_before_it_is_due(
    session: Session, world: World, clock: ManualClock
) -> None:
    s = world.staff
    clock.set(bj(2026, 2, 15, 10, 0))  # the first day of the Spring Festival break
    case = report(session, world, category="H0103")
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=s.dispatcher,
        settings=world.settings,
        case_id=case.id,
        region_id=world.city.community.id,
    )
    clock.set(bj(2026, 2, 15, 12, 0))
    handling.escalate(session, actor=s.community, case_id=case.id, reason="需街道协调")
    session.flush()
    # 2 working hours from now would end on Tue 24 Feb 11:00; the case is due before that
    assert case.deadline_at == case.respond_by == bj(2026, 2, 16, 10, 0)


def test_an_emergency_has_two_natural_hours_and_thirty_minutes_to_respond(
    session: Session, world: World, clock: ManualClock
) -> None:
    clock.set(bj(2025, 10, 3, 22, 50))  # a National Day holiday night
    case = report(session, world, category="E0104", urgency=Urgency.emergency)
    assert case.deadline_at == bj(2025, 10, 3, 23, 5)  # dispatch within 15 natural minutes
    clock.set(bj(2025, 10, 3, 23, 0))
    cases.register(session, actor=world.staff.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=world.staff.dispatcher,
        settings=world.settings,
        case_id=case.id,
        department_id=world.depts["water"].id,
    )
    session.flush()
    assert case.deadline_at == bj(2025, 10, 4, 1, 0)
    assert case.respond_by == bj(2025, 10, 3, 23, 30)
    assert case.warn_at == bj(2025, 10, 4, 0, 36)  # 80 % of 120 min = 96 min
    assert case.deadline_working is False
    assert _warning(session, world, case, bj(2025, 10, 4, 0, 35)) == WarningLevel.normal
    assert _warning(session, world, case, bj(2025, 10, 4, 0, 36)) == WarningLevel.yellow
    assert _warning(session, world, case, bj(2025, 10, 4, 1, 0)) == WarningLevel.red


# -- warnings --------------------------------------------------------------------------


def test_yellow_at_80_percent_of_the_working_time_and_red_after_national_day(
    session: Session, world: World, clock: ManualClock
) -> None:
    category = world.category(session, "E0101")  # 暴露垃圾: 3 working days
    assert (category.deadline_amount, category.deadline_unit, category.deadline_working) == (
        3,
        "days",
        True,
    )
    start = bj(2025, 9, 30, 10, 0)  # the last working day before the break
    case = _dispatch(session, world, clock, start, category="E0101", dept="urban_management")
    # Thu 9, Fri 10, Sat 11 (make-up) October
    assert case.deadline_at == bj(2025, 10, 11, 10, 0)
    # 80 % of 21 working hours = 16 h 48 min: 6 h on Sep 30, 7 h on Oct 9, 3 h 48 min on Oct 10
    assert case.warn_at == bj(2025, 10, 10, 14, 18)
    cal = sla.calendar()
    assert cal.working_time_between(start, case.warn_at) == timedelta(hours=16, minutes=48)
    assert cal.working_time_between(start, case.deadline_at) == timedelta(hours=21)

    expected = [
        (bj(2025, 9, 30, 17, 30), WarningLevel.normal),
        (bj(2025, 10, 5, 12, 0), WarningLevel.normal),  # eight days later, nothing used
        (bj(2025, 10, 10, 14, 17), WarningLevel.normal),
        (bj(2025, 10, 10, 14, 18), WarningLevel.yellow),
        (bj(2025, 10, 11, 9, 59), WarningLevel.yellow),
        (bj(2025, 10, 11, 10, 0), WarningLevel.red),
        (bj(2025, 10, 13, 9, 0), WarningLevel.red),
    ]
    for at, level in expected:
        assert _warning(session, world, case, at) == level, at

    # the queues filter the same way
    def listed(level: WarningLevel) -> list[int]:
        items, _, _ = queries.list_cases(
            session, actor=world.staff.dispatcher, filters=CaseFilter(warning=level)
        )
        return [c.id for c in items]

    for at, level in expected:
        clock.set(at)
        assert [listed(w) for w in WarningLevel] == [
            [case.id] if w == level else [] for w in WarningLevel
        ], at


def test_a_general_case_counts_both_make_up_days_of_national_day(
    session: Session, world: World, clock: ManualClock
) -> None:
    start = bj(2025, 9, 26, 10, 0)  # Friday
    case = _dispatch(session, world, clock, start)
    # Sun 28 (make-up), Mon 29, Tue 30, Thu 9, Fri 10, Sat 11 (make-up), Mon 13
    assert case.deadline_at == bj(2025, 10, 13, 10, 0)
    # 39 h 12 min: 6 + 7 + 7 + 7 + 7 by Oct 9, then 5 h 12 min on Fri 10
    assert case.warn_at == bj(2025, 10, 10, 15, 42)
    assert _warning(session, world, case, bj(2025, 10, 8, 23, 59)) == WarningLevel.normal
    assert _warning(session, world, case, bj(2025, 10, 10, 15, 42)) == WarningLevel.yellow
    assert _warning(session, world, case, bj(2025, 10, 13, 10, 0)) == WarningLevel.red


# -- extension, response, tick ----------------------------------------------------------


def _events(session: Session, case: Case, action: str) -> list[CaseEvent]:
    return [e for e in queries.events_of(session, case.id) if e.action == action]


def test_an_extension_approved_in_the_holiday_lands_on_the_make_up_saturday(
    session: Session, world: World, clock: ManualClock
) -> None:
    s = world.staff
    start = bj(2025, 9, 26, 10, 0)
    case = _dispatch(session, world, clock, start, category="E0101", dept="urban_management")
    assert case.deadline_at == bj(2025, 9, 30, 10, 0)  # Sun 28 (make-up), Mon 29, Tue 30
    handling.accept(session, actor=s.urban, case_id=case.id)

    # the break begins; the tick finds the case overdue and escalates it to the street
    clock.set(bj(2025, 10, 1, 9, 0))
    assert supervision.tick(session).overdue_cases == 1
    session.expire_all()  # the tick updates rows in bulk
    assert case.overdue and case.escalation_level == 1

    clock.set(bj(2025, 10, 2, 10, 0))
    handling.request_extension(
        session, actor=s.urban, case_id=case.id, days=3, reason="节日期间施工队停工"
    )
    clock.set(bj(2025, 10, 3, 10, 0))
    handling.decide_extension(
        session, actor=s.dispatcher, settings=world.settings, case_id=case.id, approve=True
    )
    session.flush()
    # three working days after Tue 30 Sep 10:00: Thu 9, Fri 10, Sat 11 October (make-up)
    assert case.deadline_at == bj(2025, 10, 11, 10, 0)
    assert case.deadline_at == sla.calendar().add_working_days(bj(2025, 9, 30, 10, 0), 3)
    assert not case.overdue and case.extension_count == 1 and not case.extension_requested
    # the yellow line moves too: 80 % of the 42 working hours from Sep 26 10:00 to Oct 11 10:00
    assert case.warn_at == bj(2025, 10, 9, 17, 6)
    (approved,) = _events(session, case, "approve_extension")
    assert approved.data is not None and approved.data["days"] == 3
    assert approved.data["deadline_at"] == bj(2025, 10, 11, 10, 0).isoformat()
    assert _warning(session, world, case, clock.now) == WarningLevel.normal

    # nothing is overdue again until the new deadline has passed
    clock.set(bj(2025, 10, 11, 10, 0))
    assert supervision.tick(session).overdue_cases == 0
    clock.set(bj(2025, 10, 11, 10, 1))
    assert supervision.tick(session).overdue_cases == 1
    session.expire_all()
    # a second time overdue: escalated a level higher, to the district
    assert case.escalation_level == 2
    second = _events(session, case, "overdue")[-1]
    assert second.data is not None
    assert second.data["escalation_level"] == 2
    assert second.data["notified_region_id"] == world.city.district.id


def test_accepting_within_the_response_time_is_on_time_even_across_the_holiday(
    session: Session, world: World, clock: ManualClock
) -> None:
    # dispatched at 16:30 on the make-up Saturday before the break: one working hour that day,
    # the second on the first morning after it
    start = bj(2026, 2, 14, 16, 30)
    early = _dispatch(session, world, clock, start)
    late = _dispatch(session, world, clock, start)
    assert early.respond_by == late.respond_by == bj(2026, 2, 24, 10, 0)

    clock.set(bj(2026, 2, 24, 9, 59))
    handling.accept(session, actor=world.staff.water, case_id=early.id)
    clock.set(bj(2026, 2, 24, 10, 1))
    handling.accept(session, actor=world.staff.water, case_id=late.id)
    session.flush()
    assert early.responded_at == bj(2026, 2, 24, 9, 59)
    assert late.responded_at == bj(2026, 2, 24, 10, 1)
    assert [(e.data or {})["on_time"] for e in _events(session, early, "accept")] == [True]
    assert [(e.data or {})["on_time"] for e in _events(session, late, "accept")] == [False]


def test_the_tick_marks_an_overdue_case_once_and_escalates_it(
    session: Session, world: World, clock: ManualClock
) -> None:
    start = bj(2026, 2, 12, 10, 0)
    case = _dispatch(session, world, clock, start)
    handling.accept(session, actor=world.staff.water, case_id=case.id)
    session.flush()
    version = case.version
    deadline = bj(2026, 2, 28, 10, 0)
    assert case.deadline_at == deadline

    # in the middle of the break: far from due (only 20 of 49 working hours used)
    clock.set(bj(2026, 2, 20, 12, 0))
    assert supervision.tick(session).overdue_cases == 0
    clock.set(deadline)  # at the deadline itself: red, but not yet overdue
    assert supervision.tick(session).overdue_cases == 0
    assert _warning(session, world, case, clock.now) == WarningLevel.red

    clock.set(deadline + timedelta(minutes=1))
    assert supervision.tick(session).overdue_cases == 1
    assert supervision.tick(session).overdue_cases == 0  # the second tick does nothing
    clock.advance(timedelta(days=3))
    assert supervision.tick(session).overdue_cases == 0  # nor does a later one
    session.expire_all()

    assert case.overdue and case.escalation_level == 1 and case.state == "handling"
    assert case.version == version + 1 and case.event_seq == 5
    (event,) = _events(session, case, "overdue")
    assert (event.from_state, event.to_state, event.actor_name) == ("handling", "handling", "系统")
    assert event.at == deadline + timedelta(minutes=1)
    assert event.data is not None
    assert event.data["escalation_level"] == 1
    assert event.data["notified_region_id"] == world.city.street.id
    notes = session.scalars(
        select(Notification).where(
            Notification.case_id == case.id, Notification.kind.in_(["overdue", "escalation"])
        )
    ).all()
    assert sorted((n.kind, n.recipient_department_id, n.recipient_region_id) for n in notes) == [
        ("escalation", None, world.city.street.id),
        ("overdue", world.depts["water"].id, None),
    ]
