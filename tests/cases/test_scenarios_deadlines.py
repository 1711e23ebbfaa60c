"""Deadlines of a dispatched case, told path by path with a movable clock: extensions,
overdue escalation by the supervision tick, and supervision orders.

As in ``test_scenarios.py``, every path ends by replaying the case's events and comparing
the result with the stored state.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.cases import World, make_world, report
from zhili.cases import queries, sla
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.cases.models import Case, CaseState, Notification, Urgency
from zhili.cases.supervision import service as supervision
from zhili.cases.workflow import replay
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden

# Monday 3 March 2025, 09:00 in Beijing: a plain working week, no holiday in sight.
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=CHINA_TZ)
CALLER_PHONE = "13900001234"  # the phone `report` gives every case


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    with use_clock(ManualClock(T0)) as c:
        yield c


@pytest.fixture
def w(session: Session, settings: Settings, clock: ManualClock) -> World:
    return make_world(session, settings)


def actions(session: Session, case: Case) -> list[str]:
    session.flush()
    return [e.action for e in queries.events_of(session, case.id)]


def assert_history_replays(session: Session, case: Case) -> None:
    """The events are numbered 1..n and replaying them gives the stored state."""
    session.flush()
    events = queries.events_of(session, case.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert case.event_seq == len(events)
    assert replay((e.action, e.from_state, e.to_state) for e in events) == case.state


def notes(session: Session, case: Case, kind: str) -> list[Notification]:
    session.flush()
    query = select(Notification).where(Notification.case_id == case.id, Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))


def run_tick(session: Session) -> supervision.TickResult:
    """The supervision timers, as `zhili serve` runs them: set-based SQL behind the ORM's
    back, so the objects this session holds are reloaded afterwards."""
    session.flush()
    result = supervision.tick(session)
    session.expire_all()
    return result


def dispatched_to_urban(session: Session, w: World, settings: Settings, **kw: object) -> Case:
    """Exposed rubbish (3 working days to handle), registered and dispatched to 城管."""
    case = report(session, w, **kw)  # type: ignore[arg-type]
    cases.register(session, actor=w.staff.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=w.staff.dispatcher,
        settings=settings,
        case_id=case.id,
        department_id=w.depts["urban_management"].id,
    )
    return case


# -- extension ----------------------------------------------------------------------------


def test_an_extension_is_refused_then_approved_and_the_deadline_moves_by_working_days(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """延期: 城管 asks for 2 more days and is refused (the deadline stays); it cannot ask
    twice at once. Asked again for 3 days, the centre approves: the deadline moves from
    Thursday 09:00 by 3 working days over the weekend, to next Tuesday 09:00."""
    s = w.staff
    case = dispatched_to_urban(session, w, settings)  # Monday 09:00, 3 working days
    handling.accept(session, actor=s.urban, case_id=case.id)
    first_deadline = datetime(2025, 3, 6, 9, 0, tzinfo=CHINA_TZ)
    assert case.deadline_at == first_deadline

    clock.advance(timedelta(days=1))
    handling.request_extension(
        session, actor=s.urban, case_id=case.id, days=2, reason="需协调清运车辆"
    )
    assert case.extension_requested
    with pytest.raises(Conflict, match="pending"):
        handling.request_extension(
            session, actor=s.urban, case_id=case.id, days=5, reason="再申请一次"
        )
    handling.decide_extension(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, approve=False
    )
    assert not case.extension_requested and case.extension_count == 0
    assert case.deadline_at == first_deadline

    handling.request_extension(
        session, actor=s.urban, case_id=case.id, days=3, reason="清运车辆检修"
    )
    handling.decide_extension(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, approve=True
    )
    moved = datetime(2025, 3, 11, 9, 0, tzinfo=CHINA_TZ)
    assert case.deadline_at == moved == sla.calendar().add_working_days(first_deadline, 3)
    assert case.extension_count == 1 and not case.extension_requested
    assert case.step_started_at is not None and case.warn_at is not None
    assert case.step_started_at < case.warn_at < case.deadline_at
    with pytest.raises(Conflict, match="no extension request"):
        handling.decide_extension(
            session, actor=s.dispatcher, settings=settings, case_id=case.id, approve=True
        )
    assert actions(session, case)[-4:] == [
        "request_extension",
        "refuse_extension",
        "request_extension",
        "approve_extension",
    ]
    assert_history_replays(session, case)


# -- deadlines and supervision -------------------------------------------------------------


def test_an_overdue_emergency_escalates_to_the_street_then_to_the_district(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """An emergency (a burst water main) has 2 natural hours, and 30 minutes to be accepted.
    Past the deadline the tick marks it overdue once, escalation level 1, telling 水务 and
    the street. An approved 1-day extension clears the overdue mark; past the new deadline
    the tick escalates again, level 2, to the district."""
    s, city = w.staff, w.city
    water = w.depts["water"].id
    case = report(session, w, category="E0402", title="自来水管爆裂", urgency=Urgency.emergency)
    # even the centre's dispatch clock is short for an emergency: 15 natural minutes
    assert case.deadline_at == T0 + timedelta(minutes=15)
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, department_id=water
    )
    assert case.deadline_at == T0 + timedelta(hours=2) and not case.deadline_working
    assert case.respond_by == T0 + timedelta(minutes=30)
    assert case.warn_at == T0 + timedelta(hours=2) * settings.warn_share
    handling.accept(session, actor=s.water, case_id=case.id)

    clock.advance(timedelta(hours=2))
    assert run_tick(session).overdue_cases == 0  # due at the deadline, not yet past it
    clock.advance(timedelta(minutes=1))
    assert run_tick(session).overdue_cases == 1
    assert case.overdue and case.escalation_level == 1
    assert [
        (n.recipient_department_id, n.recipient_region_id) for n in notes(session, case, "overdue")
    ] == [(water, None)]
    assert [n.recipient_region_id for n in notes(session, case, "escalation")] == [city.street.id]
    assert run_tick(session).overdue_cases == 0  # escalated once per overdue step

    handling.request_extension(
        session, actor=s.water, case_id=case.id, days=1, reason="需停水更换管段"
    )
    handling.decide_extension(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, approve=True
    )
    assert not case.overdue
    new_deadline = datetime(2025, 3, 4, 11, 0, tzinfo=CHINA_TZ)  # Tuesday, same hour
    assert case.deadline_at == new_deadline
    clock.set(new_deadline + timedelta(minutes=1))
    assert run_tick(session).overdue_cases == 1
    assert case.overdue and case.escalation_level == 2
    assert [n.recipient_region_id for n in notes(session, case, "escalation")] == [
        city.street.id,
        city.district.id,
    ]
    history = actions(session, case)
    assert history.count("overdue") == 2 and history[-1] == "overdue"
    assert_history_replays(session, case)


def test_a_leader_s_supervision_order_reaches_the_handling_unit(
    session: Session, w: World, settings: Settings
) -> None:
    """督办: a leader orders the unit holding the case to hurry. The order is an event of the
    case (the state does not change) and a notification to that unit; an operator may not
    issue one."""
    s = w.staff
    case = dispatched_to_urban(session, w, settings)
    handling.accept(session, actor=s.urban, case_id=case.id)
    supervision.supervise(session, actor=s.leader, case_id=case.id, note="群众反映强烈，请加快处置")
    assert case.state == CaseState.handling
    event = queries.events_of(session, case.id)[-1]
    assert event.action == "supervise" and event.actor_id == s.leader.id
    assert event.data is not None
    assert event.data["department_id"] == w.depts["urban_management"].id
    [order] = notes(session, case, "supervise")
    assert order.recipient_department_id == w.depts["urban_management"].id
    assert "群众反映强烈" in order.message and case.number in order.message
    with pytest.raises(Forbidden):
        supervision.supervise(session, actor=s.operator, case_id=case.id, note="催一下")
    assert_history_replays(session, case)
