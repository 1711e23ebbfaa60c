"""How a dispatched case is handled, told path by path with a movable clock: tiered handling
and whistles, rework, return visits and reopening. Deadlines, extensions and supervision are
in ``test_scenarios_deadlines.py``.

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
from zhili.cases.models import Case, CaseState, Notification
from zhili.cases.supervision import service as supervision
from zhili.cases.whistles import service as whistles
from zhili.cases.whistles.models import (
    SummonsRole,
    SummonsState,
    WhistleState,
    WhistleSummons,
    WhistleType,
)
from zhili.cases.workflow import replay
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden, ValidationFailed

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


def handled_by_urban(session: Session, w: World, settings: Settings, case: Case) -> None:
    handling.accept(session, actor=w.staff.urban, case_id=case.id)
    handling.submit_result(
        session, actor=w.staff.urban, settings=settings, case_id=case.id, result="已清运垃圾"
    )


# -- tiered handling and the whistle -------------------------------------------------------


def test_a_collapsed_road_goes_up_to_the_street_which_blows_a_whistle(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """小事不出社区，大事不出街道: a collapsed road surface (E0401) is sent to the community,
    which cannot fix it and escalates to the street. The street blows a tackling whistle
    (攻坚哨) summoning 住建 as lead and 城管 as co-handler. 城管 reports in at once; 住建
    reports in after the 2-hour limit, and the supervision tick has already flagged it and
    warned 住建. While the whistle is open the street cannot submit a result (409). Both
    departments finish their parts, the whistle completes and the street is told; the
    street submits the result, the gridder verifies on site, the case closes and the caller
    is told, and the return visit finds the resident satisfied."""
    s, city = w.staff, w.city
    housing, urban = w.depts["housing"].id, w.depts["urban_management"].id
    case = report(session, w, category="E0401", title="路面塌陷约两平方米")
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, region_id=city.community.id
    )
    # E0401 is a utility-type emergency of the catalogue: 24 natural hours to handle
    assert case.deadline_at == T0 + timedelta(hours=24) and not case.deadline_working
    [sent] = notes(session, case, "dispatched")
    assert sent.recipient_region_id == city.community.id
    handling.accept(session, actor=s.community, case_id=case.id)

    clock.advance(timedelta(minutes=30))
    handling.escalate(session, actor=s.community, case_id=case.id, reason="塌陷涉及地下管线")
    assert case.state == CaseState.dispatched and case.handler_region_id == city.street.id
    [up] = notes(session, case, "escalated")
    assert up.recipient_region_id == city.street.id and "塌陷涉及地下管线" in up.message
    handling.accept(session, actor=s.street, case_id=case.id)

    whistle = whistles.blow(
        session,
        actor=s.street,
        settings=settings,
        case_id=case.id,
        type=WhistleType.tackling,
        reason="路面塌陷需住建抢修、城管围挡",
        departments=[(housing, SummonsRole.lead), (urban, SummonsRole.co)],
    )
    due = clock.now + timedelta(minutes=settings.whistle_tackling_minutes)
    summoned = notes(session, case, "whistle")
    assert [n.recipient_department_id for n in summoned] == [housing, urban]
    # the message shows the report-in time on Beijing's wall clock
    assert all(f"{due.astimezone(CHINA_TZ):%m-%d %H:%M}" in n.message for n in summoned)
    assert whistle.blown_by_region_id == city.street.id

    whistles.report_in(session, actor=s.urban, whistle_id=whistle.id)
    with pytest.raises(Conflict) as refused:
        handling.submit_result(
            session, actor=s.street, settings=settings, case_id=case.id, result="已修复"
        )
    assert refused.value.status_code == 409
    assert refused.value.extra["current_state"] == "handling"

    clock.advance(timedelta(hours=3))  # 住建 has not come: past the 2-hour report-in limit
    flagged = run_tick(session)
    assert (flagged.late_report_ins, flagged.overdue_cases) == (1, 0)
    parts = {
        p.department_id: p
        for p in session.scalars(
            select(WhistleSummons).where(WhistleSummons.whistle_id == whistle.id)
        )
    }
    assert parts[housing].reported_late and parts[housing].state == SummonsState.summoned
    assert not parts[urban].reported_late and parts[urban].state == SummonsState.reported
    [late] = notes(session, case, "late_report_in")
    assert late.recipient_department_id == housing
    assert run_tick(session).late_report_ins == 0  # flagged once, not at every tick

    whistles.report_in(session, actor=s.housing, whistle_id=whistle.id, note="抢修队已到场")
    assert parts[housing].reported_late and parts[housing].reported_at == clock.now
    reported = queries.events_of(session, case.id)[-1].data
    assert reported is not None and reported["department_id"] == housing and reported["late"]
    whistles.finish_part(session, actor=s.housing, whistle_id=whistle.id, result="已回填重铺")
    assert whistle.state == WhistleState.open
    whistles.finish_part(session, actor=s.urban, whistle_id=whistle.id, result="已设围挡疏导")
    assert whistle.state == WhistleState.completed and whistle.completed_at == clock.now
    [done] = notes(session, case, "whistle_completed")
    assert done.recipient_region_id == city.street.id

    clock.advance(timedelta(hours=1))
    handling.submit_result(
        session, actor=s.street, settings=settings, case_id=case.id, result="路面已修复通行"
    )
    assert case.state == CaseState.handled
    handling.verify(session, actor=s.gridder, settings=settings, case_id=case.id, passed=True)
    assert case.state == CaseState.closed and case.close_reason == "verified"
    assert [n.recipient_phone for n in notes(session, case, "closed")] == [CALLER_PHONE]
    clock.advance(timedelta(days=1))
    handling.visit(
        session,
        actor=s.operator,
        settings=settings,
        case_id=case.id,
        resolved=True,
        satisfaction="satisfied",
    )
    assert case.satisfaction == "satisfied" and case.resolved is True
    assert actions(session, case) == [
        "intake",
        "register",
        "dispatch",
        "accept",
        "escalate",
        "accept",
        "whistle",
        "report_in",
        "report_in",
        "part_done",
        "part_done",
        "whistle_completed",
        "submit_result",
        "verify_pass",
        "visit",
    ]
    assert_history_replays(session, case)


def test_only_summoned_departments_report_in_and_only_once(
    session: Session, w: World, settings: Settings
) -> None:
    """A department not summoned by the whistle may not report in; a summoned one reports in
    once, and finishes its part only after reporting in."""
    s = w.staff
    case = report(session, w, category="E0401")
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, region_id=w.city.street.id
    )
    handling.accept(session, actor=s.street, case_id=case.id)
    whistle = whistles.blow(
        session,
        actor=s.street,
        settings=settings,
        case_id=case.id,
        type=WhistleType.emergency,
        reason="塌陷扩大",
        departments=[(w.depts["housing"].id, SummonsRole.lead)],
    )
    with pytest.raises(Conflict):  # one open whistle at a time
        whistles.blow(
            session,
            actor=s.street,
            settings=settings,
            case_id=case.id,
            type=WhistleType.daily,
            reason="再吹一次",
            departments=[(w.depts["water"].id, SummonsRole.lead)],
        )
    with pytest.raises(Conflict, match="report in first"):
        whistles.finish_part(session, actor=s.housing, whistle_id=whistle.id, result="已完成")
    whistles.report_in(session, actor=s.housing, whistle_id=whistle.id)
    with pytest.raises(Conflict, match="already reported in"):
        whistles.report_in(session, actor=s.housing, whistle_id=whistle.id)
    assert actions(session, case)[-2:] == ["whistle", "report_in"]
    assert_history_replays(session, case)


def test_a_whistle_is_blown_by_the_street_handling_the_case_not_by_a_community(
    session: Session, w: World, settings: Settings
) -> None:
    """A community holding a case escalates it; whistles are the street's (or the centre's)."""
    s = w.staff
    case = report(session, w, category="E0401")
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=s.dispatcher,
        settings=settings,
        case_id=case.id,
        region_id=w.city.community.id,
    )
    handling.accept(session, actor=s.community, case_id=case.id)
    with pytest.raises(Forbidden):
        whistles.blow(
            session,
            actor=s.community,
            settings=settings,
            case_id=case.id,
            type=WhistleType.daily,
            reason="请住建来",
            departments=[(w.depts["housing"].id, SummonsRole.lead)],
        )
    with pytest.raises(Forbidden):  # the street is not handling it yet
        whistles.blow(
            session,
            actor=s.street,
            settings=settings,
            case_id=case.id,
            type=WhistleType.daily,
            reason="请住建来",
            departments=[(w.depts["housing"].id, SummonsRole.lead)],
        )
    assert actions(session, case)[-1] == "accept"


# -- rework and reopening -----------------------------------------------------------------


def test_a_failed_verification_sends_the_case_back_for_rework(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """返工: the gridder finds the rubbish still there. The case goes back to 城管 with a
    fresh handling deadline (rework_count 1) and 城管 is told why; fixed and verified again,
    it closes."""
    s = w.staff
    case = dispatched_to_urban(session, w, settings)
    handled_by_urban(session, w, settings, case)
    clock.advance(timedelta(hours=3))
    handling.verify(
        session,
        actor=s.gridder,
        settings=settings,
        case_id=case.id,
        passed=False,
        note="垃圾仍未清运",
    )
    assert case.state == CaseState.handling and case.rework_count == 1
    assert case.step_started_at == clock.now
    assert case.deadline_at == sla.calendar().add_working_days(clock.now, 3)
    [told] = notes(session, case, "rework")
    assert told.recipient_department_id == w.depts["urban_management"].id
    assert "垃圾仍未清运" in told.message
    assert notes(session, case, "closed") == []

    handling.submit_result(
        session, actor=s.urban, settings=settings, case_id=case.id, result="已彻底清运"
    )
    handling.verify(session, actor=s.gridder, settings=settings, case_id=case.id, passed=True)
    assert case.state == CaseState.closed and case.rework_count == 1
    assert actions(session, case) == [
        "intake",
        "register",
        "dispatch",
        "accept",
        "submit_result",
        "verify_fail",
        "submit_result",
        "verify_pass",
    ]
    assert_history_replays(session, case)


def test_an_unsatisfied_resident_reopens_the_case_up_to_the_limit(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """重办: each unsatisfied return visit may reopen the case, which goes back to the centre
    with no handler, until `reopen_limit` reopenings; one more is refused (409) and the case
    stays closed, though the unsatisfied visit itself can still be recorded."""
    s = w.staff
    case = dispatched_to_urban(session, w, settings)
    for n in range(1, settings.reopen_limit + 1):
        handled_by_urban(session, w, settings, case)
        handling.verify(session, actor=s.gridder, settings=settings, case_id=case.id, passed=True)
        clock.advance(timedelta(days=1))
        handling.visit(
            session,
            actor=s.operator,
            settings=settings,
            case_id=case.id,
            resolved=False,
            satisfaction="unsatisfied",
            reopen=True,
        )
        assert case.state == CaseState.registered and case.reopen_count == n
        assert case.handler_department_id is None and case.closed_at is None
        assert case.deadline_at == clock.now + timedelta(hours=settings.dispatch_within_hours)
        clock.advance(timedelta(hours=1))
        cases.dispatch(
            session,
            actor=s.dispatcher,
            settings=settings,
            case_id=case.id,
            department_id=w.depts["urban_management"].id,
        )
    handled_by_urban(session, w, settings, case)
    handling.verify(session, actor=s.gridder, settings=settings, case_id=case.id, passed=True)
    clock.advance(timedelta(days=1))
    with pytest.raises(Conflict) as refused:
        handling.visit(
            session,
            actor=s.operator,
            settings=settings,
            case_id=case.id,
            resolved=False,
            satisfaction="unsatisfied",
            reopen=True,
        )
    assert refused.value.extra["current_state"] == "closed"
    assert case.state == CaseState.closed and case.reopen_count == settings.reopen_limit
    handling.visit(
        session,
        actor=s.operator,
        settings=settings,
        case_id=case.id,
        resolved=False,
        satisfaction="unsatisfied",
    )
    assert case.satisfaction == "unsatisfied" and case.state == CaseState.closed
    history = actions(session, case)
    assert history.count("reopen") == settings.reopen_limit
    assert history.count("visit") == settings.reopen_limit + 1
    assert history[-3:] == ["submit_result", "verify_pass", "visit"]
    assert_history_replays(session, case)


def test_a_satisfied_visit_cannot_reopen_and_a_closing_is_visited_once(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """Reopening needs an unhappy resident; and one closing gets one return visit."""
    s = w.staff
    case = dispatched_to_urban(session, w, settings)
    handled_by_urban(session, w, settings, case)
    handling.verify(session, actor=s.gridder, settings=settings, case_id=case.id, passed=True)
    clock.advance(timedelta(hours=2))
    with pytest.raises(ValidationFailed, match="only an unresolved or unsatisfied"):
        handling.visit(
            session,
            actor=s.operator,
            settings=settings,
            case_id=case.id,
            resolved=True,
            satisfaction="satisfied",
            reopen=True,
        )
    handling.visit(
        session,
        actor=s.operator,
        settings=settings,
        case_id=case.id,
        resolved=True,
        satisfaction="basic",
    )
    with pytest.raises(Conflict, match="visited already"):
        handling.visit(
            session,
            actor=s.operator,
            settings=settings,
            case_id=case.id,
            resolved=True,
            satisfaction="satisfied",
        )
    assert case.satisfaction == "basic"
    assert_history_replays(session, case)
