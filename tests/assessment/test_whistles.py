"""Two-way whistle assessment: streets rate departments, departments rate whistles,
and the negative list deducts automatically from what the events show."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from factories.assessment import at
from factories.cases import World, make_world, report
from zhili.assessment import service
from zhili.assessment.points import department_points, street_points
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.cases.supervision import service as supervision
from zhili.cases.whistles import service as whistles
from zhili.cases.whistles.models import SummonsRole, Whistle, WhistleType
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden

MARCH = (datetime(2026, 3, 1, tzinfo=CHINA_TZ), datetime(2026, 4, 1, tzinfo=CHINA_TZ))


def street_case(session: Session, w: World, settings: Settings, clock: ManualClock) -> int:
    """A collapsed road surface the community hands up to the street."""
    s = w.staff
    case = report(session, w, category="E0401", title="路面塌陷")
    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session, actor=s.dispatcher, settings=settings, case_id=case.id, region_id=w.city.street.id
    )
    handling.accept(session, actor=s.street, case_id=case.id)
    clock.advance(timedelta(minutes=5))
    return case.id


def blow(
    session: Session, w: World, settings: Settings, case_id: int, kind: WhistleType
) -> Whistle:
    return whistles.blow(
        session,
        actor=w.staff.street,
        settings=settings,
        case_id=case_id,
        type=kind,
        reason="需住建、城管联合处置",
        departments=[
            (w.depts["housing"].id, SummonsRole.lead),
            (w.depts["urban_management"].id, SummonsRole.co),
        ],
    )


def test_late_and_missing_report_ins_on_a_daily_whistle_deduct_automatically(
    session: Session, settings: Settings
) -> None:
    w = make_world(session, settings)
    clock = ManualClock(at(2, 9))
    with use_clock(clock):
        case_id = street_case(session, w, settings, clock)
        whistle = blow(session, w, settings, case_id, WhistleType.daily)
        clock.advance(timedelta(minutes=settings.whistle_daily_minutes + 1))
        whistles.report_in(session, actor=w.staff.housing, whistle_id=whistle.id)  # late
        clock.advance(timedelta(hours=1))
        supervision.tick(session)  # 城管 never reports in
    points = department_points(session, start=MARCH[0], end=MARCH[1], month="2026-03")
    housing, urban = points[w.depts["housing"].id], points[w.depts["urban_management"].id]
    # 住建 came late and then never finished its part before the case's 24-hour deadline
    assert [(i["code"], i["points"]) for i in housing.items or []] == [
        ("late_report_in", -2),
        ("no_result", -3),
    ]
    assert [(i["code"], i["points"]) for i in urban.items or []] == [("no_report_in", -5)]
    assert (housing.total, urban.total) == (-5, -5)


def test_a_summoned_department_that_returns_the_case_is_passing_the_buck(
    session: Session, settings: Settings
) -> None:
    w = make_world(session, settings)
    s = w.staff
    clock = ManualClock(at(2, 9))
    with use_clock(clock):
        case = report(session, w, category="E0401")
        cases.register(session, actor=s.dispatcher, case_id=case.id)
        cases.dispatch(
            session,
            actor=s.dispatcher,
            settings=settings,
            case_id=case.id,
            department_id=w.depts["housing"].id,
        )
        handling.accept(session, actor=s.housing, case_id=case.id)
        whistle = whistles.blow(
            session,
            actor=s.dispatcher,
            settings=settings,
            case_id=case.id,
            type=WhistleType.daily,
            reason="中心吹哨",
            departments=[(w.depts["housing"].id, SummonsRole.lead)],
        )
        whistles.report_in(session, actor=s.housing, whistle_id=whistle.id)
        whistles.finish_part(session, actor=s.housing, whistle_id=whistle.id, result="已到场")
        handling.return_case(
            session, actor=s.housing, settings=settings, case_id=case.id, reason="不属本部门"
        )
    points = department_points(session, start=MARCH[0], end=MARCH[1], month=None)
    assert [i["code"] for i in points[w.depts["housing"].id].items or []] == ["passing_the_buck"]


def test_the_street_rates_each_department_on_a_key_whistle_once_it_completes(
    session: Session, settings: Settings
) -> None:
    w = make_world(session, settings)
    s = w.staff
    clock = ManualClock(at(2, 9))
    with use_clock(clock):
        case_id = street_case(session, w, settings, clock)
        whistle = blow(session, w, settings, case_id, WhistleType.tackling)
        with pytest.raises(Conflict):  # not before it is done
            service.rate_department(
                session,
                actor=s.street,
                whistle_id=whistle.id,
                department_id=w.depts["housing"].id,
                report_in=5,
                result=5,
                attitude=5,
            )
        for officer in (s.housing, s.urban):
            whistles.report_in(session, actor=officer, whistle_id=whistle.id)
            whistles.finish_part(session, actor=officer, whistle_id=whistle.id, result="已完成")
        service.rate_department(
            session,
            actor=s.street,
            whistle_id=whistle.id,
            department_id=w.depts["housing"].id,
            report_in=5,
            result=5,
            attitude=5,
        )
        service.rate_department(
            session,
            actor=s.street,
            whistle_id=whistle.id,
            department_id=w.depts["urban_management"].id,
            report_in=2,
            result=3,
            attitude=1,
        )
        with pytest.raises(Conflict):
            service.rate_department(
                session,
                actor=s.street,
                whistle_id=whistle.id,
                department_id=w.depts["housing"].id,
                report_in=1,
                result=1,
                attitude=1,
            )
        with pytest.raises(Forbidden):  # only the blowing street rates
            service.rate_department(
                session,
                actor=s.community,
                whistle_id=whistle.id,
                department_id=w.depts["water"].id,
                report_in=1,
                result=1,
                attitude=1,
            )
    points = department_points(session, start=MARCH[0], end=MARCH[1], month=None)
    # (mean − 3) × 1: housing (5+5+5)/3 − 3 = +2; urban (2+3+1)/3 − 3 = −1
    assert points[w.depts["housing"].id].total == 2.0
    assert points[w.depts["urban_management"].id].total == -1.0


def test_departments_rate_the_streets_whistle_and_a_needless_one_counts_against_it(
    session: Session, settings: Settings
) -> None:
    w = make_world(session, settings)
    s = w.staff
    clock = ManualClock(at(2, 9))
    with use_clock(clock):
        case_id = street_case(session, w, settings, clock)
        whistle = blow(session, w, settings, case_id, WhistleType.daily)
        service.rate_whistle(
            session,
            actor=s.housing,
            whistle_id=whistle.id,
            needless=True,
            quality=1,
            comment="社区可自行解决",
        )
        service.rate_whistle(
            session, actor=s.urban, whistle_id=whistle.id, needless=False, quality=5
        )
        with pytest.raises(Forbidden):  # water was not summoned
            service.rate_whistle(
                session, actor=s.water, whistle_id=whistle.id, needless=True, quality=1
            )
    points = street_points(session, start=MARCH[0], end=MARCH[1], month=None)
    # needless −2, quality 1 → −1, quality 5 → +1
    assert points[w.city.street.id].total == -2.0
