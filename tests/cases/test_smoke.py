"""The simplest whole path, kept as a quick check that the engine is wired end to end."""

from __future__ import annotations

from sqlalchemy.orm import Session

from factories.cases import make_world, report
from zhili.cases import queries
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.cases.models import CaseState
from zhili.cases.workflow import replay
from zhili.core.config import Settings


def test_a_hotline_case_goes_from_intake_to_a_satisfied_visit(
    session: Session, settings: Settings
) -> None:
    w = make_world(session, settings)
    s = w.staff
    case = report(session, w)
    assert case.state == CaseState.received and case.grid_id == w.city.grids["G2"].id
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=s.dispatcher,
        settings=settings,
        case_id=case.id,
        department_id=w.depts["urban_management"].id,
    )
    handling.accept(session, actor=s.urban, case_id=case.id)
    handling.submit_result(
        session, actor=s.urban, settings=settings, case_id=case.id, result="已清运垃圾"
    )
    handling.verify(session, actor=s.gridder, settings=settings, case_id=case.id, passed=True)
    handling.visit(
        session,
        actor=s.operator,
        settings=settings,
        case_id=case.id,
        resolved=True,
        satisfaction="satisfied",
    )
    session.flush()
    assert case.state == CaseState.closed and case.satisfaction == "satisfied"
    events = queries.events_of(session, case.id)
    assert [e.action for e in events] == [
        "intake",
        "register",
        "dispatch",
        "accept",
        "submit_result",
        "verify_pass",
        "visit",
    ]
    assert replay((e.action, e.from_state, e.to_state) for e in events) == CaseState.closed
