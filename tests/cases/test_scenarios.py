"""How a case travels, told path by path through the service layer with a movable clock.

Each test is one path of the case workflow (blueprint, "The case workflow"): intake, what the
centre decides, who is told. Every test checks the stored state against a replay of the
case's events, so the state and the history can never disagree unseen. Handling, whistles,
deadlines and supervision are told in ``test_scenarios_handling.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.cases import World, make_world, report
from factories.org import LAT0, LON0
from zhili.cases import queries
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.cases.models import Case, CaseCaller, CaseState, Channel, Notification
from zhili.cases.schemas import CaseIntake
from zhili.cases.workflow import replay
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

# Monday 3 March 2025, 09:00 in Beijing: a plain working day, no holiday in sight.
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


def notes(session: Session, case: Case, kind: str | None = None) -> list[Notification]:
    session.flush()
    query = select(Notification).where(Notification.case_id == case.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))


def resident_report(
    session: Session, w: World, *, name: str, phone: str, at: tuple[float, float]
) -> Case:
    """A resident's own report of an overflowing bin (垃圾箱满溢) through the app."""
    data = CaseIntake(
        channel=Channel.hotline,
        title="垃圾箱满溢",
        description="路口垃圾箱满了，垃圾散落一地。",
        category_id=w.category(session, "C0301").id,
        lon=LON0 + at[0],
        lat=LAT0 + at[1],
        reporter_name=name,
        reporter_phone=phone,
    )
    case, _ = cases.intake(session, actor=w.staff.operator, cache=w.cache, data=data)
    return case


# -- closed at intake ----------------------------------------------------------------------


def test_a_hotline_question_answered_on_the_spot_is_closed_at_intake(
    session: Session, w: World, clock: ManualClock
) -> None:
    """A caller asks something the operator can answer at once (直接办结): the case is born
    closed with the answer as its single step; it never gets a dispatch deadline and nobody
    is sent anything (the caller heard the answer on the phone)."""
    case = report(
        session, w, category="H0301", title="孩子入学要带哪些材料", answer="已告知所需材料清单"
    )
    assert case.state == CaseState.closed
    assert case.close_reason == "answer" and case.closed_at == clock.now
    assert case.deadline_at is None and case.warn_at is None
    assert actions(session, case) == ["answer"]
    assert queries.events_of(session, case.id)[0].note == "已告知所需材料清单"
    assert notes(session, case) == []
    assert_history_replays(session, case)


def test_only_operators_answer_on_the_spot(session: Session, w: World) -> None:
    """A gridder reporting a problem cannot close it as an answered question."""
    with pytest.raises(Forbidden):
        report(session, w, actor=w.staff.gridder, channel=Channel.gridder, answer="已解答")


def test_a_hotline_question_answered_after_intake_closes_without_dispatch(
    session: Session, w: World, clock: ManualClock
) -> None:
    """A question first taken down and answered later by the operator leaves the dispatch
    queue: it is closed as answered, and its registration deadline is cleared."""
    case = report(session, w, category="H0301", title="孩子入学要带哪些材料")
    assert case.state == CaseState.received
    # the centre must register and dispatch it within 2 working hours of intake
    assert case.deadline_at == T0 + timedelta(hours=2)
    clock.advance(timedelta(minutes=20))
    cases.answer(session, actor=w.staff.operator, case_id=case.id, reason="已电话回复入学材料")
    assert case.state == CaseState.closed and case.close_reason == "answer"
    assert case.closed_at == clock.now and case.deadline_at is None
    assert actions(session, case) == ["intake", "answer"]
    assert_history_replays(session, case)


# -- rejected and merged -------------------------------------------------------------------


def test_a_rejected_case_tells_its_caller_why(session: Session, w: World) -> None:
    """不予立案: the dispatcher refuses a report with a reason; the caller receives that reason
    with the case number, and the refused case can no longer be registered."""
    case = report(session, w, title="邻居院内堆放杂物")
    reason = "反映地点为私人院落，不属于公共管理范围"
    cases.reject(session, actor=w.staff.dispatcher, case_id=case.id, reason=reason)
    assert case.state == CaseState.rejected and case.close_reason == "rejected"
    assert case.deadline_at is None
    [told] = notes(session, case)
    assert told.kind == "rejected" and told.recipient_phone == CALLER_PHONE
    assert reason in told.message and case.number in told.message
    assert actions(session, case) == ["intake", "reject"]
    with pytest.raises(Conflict) as refused:
        cases.register(session, actor=w.staff.dispatcher, case_id=case.id)
    assert refused.value.extra["current_state"] == "rejected"
    assert_history_replays(session, case)


def test_a_duplicate_report_merges_and_both_callers_hear_of_the_closing(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """Two residents report the same overflowing bin. The second case merges into the first:
    both callers now belong to the first case, the second caller is told which number to
    follow, and when the first case closes both callers are notified."""
    s = w.staff
    first = resident_report(session, w, name="王芳", phone="13900001234", at=(1.5, 0.5))
    clock.advance(timedelta(minutes=7))
    second = resident_report(session, w, name="李强", phone="13700005678", at=(1.51, 0.5))
    cases.register(session, actor=s.dispatcher, case_id=first.id)
    cases.merge(session, actor=s.dispatcher, case_id=second.id, into_case_id=first.id)

    assert second.state == CaseState.merged and second.merged_into_id == first.id
    assert second.deadline_at is None
    assert first.state == CaseState.registered
    callers = session.scalars(select(CaseCaller).where(CaseCaller.case_id == first.id)).all()
    assert {(c.phone, c.source_case_id) for c in callers} == {
        ("13900001234", first.id),
        ("13700005678", second.id),
    }
    assert queries.detail(session, actor=s.dispatcher, case_id=first.id).callers == 2
    [merged_note] = notes(session, second, "merged")
    assert merged_note.recipient_phone == "13700005678" and first.number in merged_note.message

    cases.dispatch(
        session,
        actor=s.dispatcher,
        settings=settings,
        case_id=first.id,
        department_id=w.depts["urban_management"].id,
    )
    handling.accept(session, actor=s.urban, case_id=first.id)
    handling.submit_result(
        session, actor=s.urban, settings=settings, case_id=first.id, result="已清运并增设垃圾箱"
    )
    handling.verify(session, actor=s.gridder, settings=settings, case_id=first.id, passed=True)
    assert first.state == CaseState.closed
    assert {n.recipient_phone for n in notes(session, first, "closed")} == {
        "13900001234",
        "13700005678",
    }
    assert actions(session, first) == [
        "intake",
        "register",
        "absorb",
        "dispatch",
        "accept",
        "submit_result",
        "verify_pass",
    ]
    assert actions(session, second) == ["intake", "merge"]
    assert_history_replays(session, first)
    assert_history_replays(session, second)


def test_a_case_cannot_merge_into_itself_or_into_a_rejected_case(
    session: Session, w: World
) -> None:
    """Merging needs another live case to join."""
    s = w.staff
    case = report(session, w)
    refused = report(session, w)
    cases.reject(session, actor=s.dispatcher, case_id=refused.id, reason="重复无效")
    for target in (case, refused):
        with pytest.raises(ValidationFailed, match="live case"):
            cases.merge(session, actor=s.dispatcher, case_id=case.id, into_case_id=target.id)
    assert case.state == CaseState.received


# -- resolved by the gridder ---------------------------------------------------------------


def test_a_gridder_resolves_a_small_problem_on_the_spot(
    session: Session, w: World, clock: ManualClock
) -> None:
    """自行处置: on patrol a gridder finds rubbish and clears it at once; the report arrives
    closed, placed in the gridder's grid, with what was done as its only step."""
    case = report(
        session,
        w,
        actor=w.staff.gridder,
        channel=Channel.gridder,
        resolved_on_spot="已联系保洁清理",
    )
    assert case.state == CaseState.closed and case.close_reason == "resolve_on_spot"
    assert case.grid_id == w.city.grids["G2"].id and case.closed_at == clock.now
    assert case.deadline_at is None
    assert actions(session, case) == ["resolve_on_spot"]
    assert queries.events_of(session, case.id)[0].note == "已联系保洁清理"
    assert_history_replays(session, case)
    with pytest.raises(Forbidden):  # operators are not on site
        report(session, w, resolved_on_spot="已处理")


# -- a misrouted case ----------------------------------------------------------------------


def test_a_misrouted_case_is_returned_and_dispatched_again(
    session: Session, w: World, settings: Settings, clock: ManualClock
) -> None:
    """退单: exposed rubbish sent to 水务 by mistake is returned with a reason. It goes back to
    the centre (registered, no handler, return_count 1, a fresh 2-working-hour dispatch
    clock); 水务 no longer sees it; the centre re-dispatches it to 城管, who accepts."""
    s = w.staff
    case = report(session, w, category="E0101")
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    water, urban = w.depts["water"].id, w.depts["urban_management"].id
    cases.dispatch(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, department_id=water
    )
    clock.advance(timedelta(minutes=30))
    reason = "暴露垃圾不属水务职责，请派城管"
    handling.return_case(session, actor=s.water, settings=settings, case_id=case.id, reason=reason)
    assert case.state == CaseState.registered and case.return_count == 1
    assert case.handler_department_id is None
    assert case.deadline_at == clock.now + timedelta(hours=2)
    returned = queries.events_of(session, case.id)[-1]
    assert returned.action == "return" and returned.note == reason
    assert returned.data is not None and returned.data["from_department_id"] == water
    with pytest.raises(NotFound):
        handling.accept(session, actor=s.water, case_id=case.id)

    cases.dispatch(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, department_id=urban
    )
    handling.accept(session, actor=s.urban, case_id=case.id)
    assert case.state == CaseState.handling and case.return_count == 1
    assert [n.recipient_department_id for n in notes(session, case, "dispatched")] == [
        water,
        urban,
    ]
    assert actions(session, case) == [
        "intake",
        "register",
        "dispatch",
        "return",
        "dispatch",
        "accept",
    ]
    assert_history_replays(session, case)


# -- the wrong actor, the wrong step -------------------------------------------------------


def test_only_the_dispatched_unit_accepts_a_case(
    session: Session, w: World, settings: Settings
) -> None:
    """A case dispatched to 城管 is invisible to 住建, so 住建 gets "not found" (the case's
    existence is not leaked); the community officer sees the case in its area but is not
    its handler, so it is forbidden. Neither attempt leaves a trace."""
    s = w.staff
    case = report(session, w)
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=s.dispatcher,
        settings=settings,
        case_id=case.id,
        department_id=w.depts["urban_management"].id,
    )
    with pytest.raises(NotFound):
        handling.accept(session, actor=s.housing, case_id=case.id)
    with pytest.raises(Forbidden):
        handling.accept(session, actor=s.community, case_id=case.id)
    assert case.state == CaseState.dispatched
    assert actions(session, case) == ["intake", "register", "dispatch"]


def test_a_gridder_cannot_register_or_dispatch(
    session: Session, w: World, settings: Settings
) -> None:
    """Registration and dispatch are the centre's: a gridder is forbidden both."""
    s = w.staff
    case = report(session, w)
    with pytest.raises(Forbidden):
        cases.register(session, actor=s.gridder, case_id=case.id)
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    with pytest.raises(Forbidden):
        cases.dispatch(
            session,
            actor=s.gridder,
            settings=settings,
            case_id=case.id,
            region_id=w.city.grids["G2"].id,
        )
    assert case.state == CaseState.registered


def test_an_illegal_step_is_a_conflict_naming_the_current_state(
    session: Session, w: World, settings: Settings
) -> None:
    """Verifying a case that is only registered is refused with 409, and the refusal says the
    case is registered (in English and in Chinese); the case is untouched."""
    s = w.staff
    case = report(session, w)
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    with pytest.raises(Conflict) as refused:
        handling.verify(session, actor=s.gridder, settings=settings, case_id=case.id, passed=True)
    assert refused.value.status_code == 409
    assert refused.value.extra["current_state"] == "registered"
    assert "registered" in refused.value.message and "已立案" in refused.value.message_zh
    assert case.state == CaseState.registered
    assert actions(session, case) == ["intake", "register"]


def test_a_stale_version_is_refused(session: Session, w: World) -> None:
    """Optimistic locking: an action based on a version read before someone else acted is a
    conflict; with the current version it goes through."""
    s = w.staff
    case = report(session, w)
    session.flush()
    read = case.version
    cases.register(session, actor=s.dispatcher, case_id=case.id, version=read)
    session.flush()
    assert case.version == read + 1
    with pytest.raises(Conflict) as refused:
        cases.reject(session, actor=s.dispatcher, case_id=case.id, reason="重复", version=read)
    assert refused.value.extra["current_state"] == "registered"
