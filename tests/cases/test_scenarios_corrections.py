"""Paths that once went wrong, told as specifications: a pending extension request that
outlived its step, a tick that left stale objects in the session, refusals that wrote half a
step, extensions counted in the wrong time, an escalation sent to the unit already holding
the case, and steps that told nobody.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.cases import World, make_world, report
from zhili.cases import queries
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.cases.models import Case, CaseCaller, CaseState, Notification
from zhili.cases.supervision import service as supervision
from zhili.cases.whistles import service as whistles
from zhili.cases.whistles.models import SummonsRole, SummonsState, Whistle, WhistleType
from zhili.cases.workflow import replay
from zhili.core.audit import AuditLog
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.errors import Conflict

# Monday 3 March 2025, 09:00 in Beijing: a plain working week.
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=CHINA_TZ)


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    with use_clock(ManualClock(T0)) as c:
        yield c


@pytest.fixture
def w(session: Session, settings: Settings, clock: ManualClock) -> World:
    return make_world(session, settings)


def notes(session: Session, case: Case, kind: str) -> list[Notification]:
    session.flush()
    query = select(Notification).where(Notification.case_id == case.id, Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))


def assert_history_replays(session: Session, case: Case) -> None:
    session.flush()
    events = queries.events_of(session, case.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert replay((e.action, e.from_state, e.to_state) for e in events) == case.state


def dispatched(
    session: Session,
    w: World,
    settings: Settings,
    *,
    department: str | None = "urban_management",
    region_id: int | None = None,
    **kw: object,
) -> Case:
    case = report(session, w, **kw)  # type: ignore[arg-type]
    cases.register(session, actor=w.staff.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=w.staff.dispatcher,
        settings=settings,
        case_id=case.id,
        department_id=w.depts[department].id if department and region_id is None else None,
        region_id=region_id,
    )
    return case


# -- a pending extension request ends with its step ---------------------------------------


def test_a_pending_extension_request_is_voided_when_the_result_is_submitted(
    session: Session, w: World, settings: Settings
) -> None:
    """城管 asks for 2 more days, then finishes anyway before the centre decides. The request
    dies with the handling step: the case is not "extension requested" while it waits for
    verification, the centre can no longer approve it, and a rework starts clean."""
    s = w.staff
    case = dispatched(session, w, settings)
    handling.accept(session, actor=s.urban, case_id=case.id)
    handling.request_extension(session, actor=s.urban, case_id=case.id, days=2, reason="缺车")
    handling.submit_result(
        session, actor=s.urban, settings=settings, case_id=case.id, result="已清运"
    )
    assert case.state == CaseState.handled and not case.extension_requested
    last = queries.events_of(session, case.id)[-1]
    assert last.data is not None and last.data.get("extension_voided") is True
    with pytest.raises(Conflict, match="no extension request"):
        handling.decide_extension(
            session, actor=s.dispatcher, settings=settings, case_id=case.id, approve=True
        )
    handling.verify(
        session, actor=s.gridder, settings=settings, case_id=case.id, passed=False, note="未清完"
    )
    assert case.state == CaseState.handling and not case.extension_requested
    assert_history_replays(session, case)


# -- the tick and the session --------------------------------------------------------------


def test_the_same_session_goes_on_after_a_tick_without_stale_data(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """The tick flags overdue cases with set-based SQL. A session that holds one of those
    cases (as `zhili serve`'s ticker or a script would) sees the new flags and can act on
    the case at once, instead of failing on the version the tick moved."""
    s = w.staff
    case = dispatched(session, w, settings)
    handling.accept(session, actor=s.urban, case_id=case.id)
    session.flush()
    assert case.deadline_at is not None
    clock.set(case.deadline_at + timedelta(minutes=1))
    assert supervision.tick(session).overdue_cases == 1
    assert case.overdue and case.escalation_level == 1  # no expire_all by the caller
    handling.request_extension(session, actor=s.urban, case_id=case.id, days=1, reason="缺料")
    session.flush()  # a stale version would raise StaleDataError here
    assert case.extension_requested
    assert_history_replays(session, case)


# -- refusals leave nothing ----------------------------------------------------------------


def test_a_whistle_refused_for_the_case_s_state_leaves_no_whistle_or_notice(
    session: Session, w: World, settings: Settings
) -> None:
    """The centre may not blow a whistle on a case nobody handles yet (registered): the 409
    comes before anything is written, so not even the service's own session holds a whistle,
    a summons or a summons notice afterwards."""
    case = report(session, w)
    cases.register(session, actor=w.staff.dispatcher, case_id=case.id)
    with pytest.raises(Conflict, match="registered"):
        whistles.blow(
            session,
            actor=w.staff.dispatcher,
            settings=settings,
            case_id=case.id,
            type=WhistleType.daily,
            reason="召集住建",
            departments=[(w.depts["housing"].id, SummonsRole.lead)],
        )
    session.flush()
    assert session.scalar(select(func.count()).where(Whistle.case_id == case.id)) == 0
    assert notes(session, case, "whistle") == []


def test_a_refused_merge_moves_no_caller(session: Session, w: World, settings: Settings) -> None:
    """A case already dispatched cannot be merged away; its caller stays with it."""
    earlier = report(session, w)
    later = dispatched(session, w, settings)
    with pytest.raises(Conflict, match="dispatched"):
        cases.merge(session, actor=w.staff.dispatcher, case_id=later.id, into_case_id=earlier.id)
    session.flush()
    owners = session.scalars(
        select(CaseCaller.case_id).where(CaseCaller.source_case_id == later.id)
    )
    assert list(owners) == [later.id]
    assert notes(session, later, "merged") == []


def test_a_report_in_refused_for_the_case_s_state_marks_nothing(
    session: Session, w: World, settings: Settings
) -> None:
    """The centre summons 住建 on a case the community handles; the community then hands the
    case up to its street (dispatched again, nobody handling). 住建's report-in is refused
    with the case's state, and its summons is still unreported."""
    s = w.staff
    case = dispatched(session, w, settings, region_id=w.city.community.id)
    handling.accept(session, actor=s.community, case_id=case.id)
    whistle = whistles.blow(
        session,
        actor=s.dispatcher,
        settings=settings,
        case_id=case.id,
        type=WhistleType.daily,
        reason="召集住建",
        departments=[(w.depts["housing"].id, SummonsRole.lead)],
    )
    handling.escalate(session, actor=s.community, case_id=case.id, reason="社区无力解决")
    assert case.state == CaseState.dispatched
    with pytest.raises(Conflict, match="dispatched"):
        whistles.report_in(session, actor=s.housing, whistle_id=whistle.id)
    session.flush()
    [(_, [summons])] = whistles.whistles_of(session, case.id)
    assert summons.state == SummonsState.summoned and summons.reported_at is None


# -- extensions in the rule's own time -----------------------------------------------------


def test_an_extension_of_a_natural_time_deadline_adds_natural_days(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """A broken manhole cover (上水井盖) has 24 natural hours. Dispatched on Friday 10:00 it is
    due Saturday 10:00; one more day approved makes it Sunday 10:00 — natural time, as the
    rule counts — not Monday or Tuesday as working days would."""
    s = w.staff
    clock.set(datetime(2025, 3, 7, 10, 0, tzinfo=CHINA_TZ))
    case = dispatched(session, w, settings, department="water", category="C0101")
    assert not case.deadline_working
    assert case.deadline_at == datetime(2025, 3, 8, 10, 0, tzinfo=CHINA_TZ)
    handling.accept(session, actor=s.water, case_id=case.id)
    handling.request_extension(session, actor=s.water, case_id=case.id, days=1, reason="换井座")
    handling.decide_extension(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, approve=True
    )
    assert case.deadline_at == datetime(2025, 3, 9, 10, 0, tzinfo=CHINA_TZ)
    assert case.step_started_at is not None and case.warn_at is not None
    # the warning sits at the same share of the (natural) time as at dispatch
    share = (case.warn_at - case.step_started_at) / (case.deadline_at - case.step_started_at)
    assert share == pytest.approx(settings.warn_share, abs=1e-6)


# -- escalation goes above the unit holding the case ---------------------------------------


def test_an_overdue_case_held_by_the_street_escalates_to_the_district(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """The street itself handles the case: when it runs late the escalation notice goes to
    the district, not back to the street that is already late."""
    s, city = w.staff, w.city
    case = dispatched(session, w, settings, region_id=city.street.id)
    handling.accept(session, actor=s.street, case_id=case.id)
    session.flush()
    assert case.deadline_at is not None
    clock.set(case.deadline_at + timedelta(minutes=1))
    assert supervision.tick(session).overdue_cases == 1
    [late] = notes(session, case, "overdue")
    assert late.recipient_region_id == city.street.id
    assert [n.recipient_region_id for n in notes(session, case, "escalation")] == [city.district.id]
    # the tick's rows are written by SQL from the case rows: same shapes as a service step
    event = queries.events_of(session, case.id)[-1]
    assert (event.action, event.actor_id, event.actor_name, event.on_time) == (
        "overdue",
        None,
        "系统",
        False,
    )
    assert event.seq == case.event_seq and event.from_state == event.to_state == "handling"
    assert event.data == {"escalation_level": 1, "notified_region_id": city.district.id}
    assert event.unit_region_id == city.street.id
    row = session.scalars(
        select(AuditLog).where(
            AuditLog.action == "case.overdue", AuditLog.entity_id == str(case.id)
        )
    ).one()
    assert row.actor_username == "system" and row.entity_type == "case"
    assert row.before == {"overdue": False, "escalation_level": 0}
    assert row.after == {"overdue": True, "escalation_level": 1}
    assert late.message == f"案件 {case.number} 已超时，升级督办（第1级）"


# -- every step tells someone --------------------------------------------------------------


def test_a_question_answered_after_intake_tells_the_caller_the_answer(
    session: Session, w: World
) -> None:
    case = report(session, w, category=None, title="咨询社保转移手续")
    cases.answer(session, actor=w.staff.operator, case_id=case.id, reason="请携带身份证到社保大厅")
    [told] = notes(session, case, "answered")
    assert told.recipient_phone == "13900001234"
    assert "请携带身份证到社保大厅" in told.message and case.number in told.message


def test_extension_requests_and_decisions_are_announced(
    session: Session, w: World, settings: Settings
) -> None:
    """The request reaches the dispatcher who sent the case; the centre's answer reaches the
    handling unit, refused or approved."""
    s = w.staff
    urban = w.depts["urban_management"].id
    case = dispatched(session, w, settings)
    handling.accept(session, actor=s.urban, case_id=case.id)
    handling.request_extension(session, actor=s.urban, case_id=case.id, days=2, reason="缺车")
    [asked] = notes(session, case, "extension_requested")
    assert asked.recipient_user_id == s.dispatcher.id and "缺车" in asked.message
    handling.decide_extension(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, approve=False, note="不批"
    )
    handling.request_extension(session, actor=s.urban, case_id=case.id, days=1, reason="再缺车")
    handling.decide_extension(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, approve=True
    )
    refused = notes(session, case, "extension_refused")
    approved = notes(session, case, "extension_approved")
    assert [n.recipient_department_id for n in refused + approved] == [urban, urban]
    assert "不批" in refused[0].message
    assert case.deadline_at is not None
    assert f"{case.deadline_at.astimezone(CHINA_TZ):%m-%d %H:%M}" in approved[0].message


def test_a_returned_case_is_announced_to_the_dispatcher(
    session: Session, w: World, settings: Settings
) -> None:
    s = w.staff
    case = dispatched(session, w, settings)
    handling.return_case(
        session, actor=s.urban, settings=settings, case_id=case.id, reason="不属于城管职责"
    )
    [back] = notes(session, case, "returned")
    assert back.recipient_user_id == s.dispatcher.id
    assert "不属于城管职责" in back.message and case.number in back.message
