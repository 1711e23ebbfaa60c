"""The March 2026 story shared by the assessment tests.

The March 2026 story (Beijing time; Mon 2 March is a normal working day):
  Mon 09:00  the grid-2 gridder reports A, C and F; the hotline takes B, D (answered at once), E
  09:10      A, B, C registered; E and F rejected
  09:20      A → 城管, B → 水务, C → 城管
  09:30      城管 accepts A and C (on time)
  09:40      水务 returns B (misrouted); 10:00 B → 城管
  14:00      城管 accepts B: late (its response time ended at 12:00)
  14:10      城管's result on A (on time); Tue 09:00 verified; 09:30 visit: resolved, satisfied
  Fri 12:00  城管's result on B: late (due Thu 10:00); 13:30 verification fails (rework)
  Mon 9 10:00 city management's new result on B (on time); 11:00 verified; 11:30 visit:
             not resolved, unsatisfied
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from factories.cases import World, make_world, report
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.cases.models import Case, Channel
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock
from zhili.core.config import Settings

MARCH = (datetime(2026, 3, 1, tzinfo=CHINA_TZ), datetime(2026, 4, 1, tzinfo=CHINA_TZ))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=CHINA_TZ)


def march_story(session: Session, settings: Settings) -> tuple[World, dict[str, Case]]:
    w = make_world(session, settings)
    s, urban, water = w.staff, w.depts["urban_management"].id, w.depts["water"].id
    clock = ManualClock(at(2, 9))
    with use_clock(clock):
        c = {
            "A": report(session, w, actor=s.gridder, channel=Channel.gridder),
            "B": report(session, w),
            "C": report(session, w, actor=s.gridder, channel=Channel.gridder),
            "D": report(session, w, answer="垃圾清运时间为每日早七点。"),
            "E": report(session, w),
            "F": report(session, w, actor=s.gridder, channel=Channel.gridder),
        }
        clock.set(at(2, 9, 10))
        for k in "ABC":
            cases.register(session, actor=s.dispatcher, case_id=c[k].id)
        cases.reject(session, actor=s.dispatcher, case_id=c["E"].id, reason="不属于受理范围")
        cases.reject(session, actor=s.dispatcher, case_id=c["F"].id, reason="重复上报")
        clock.set(at(2, 9, 20))
        for k, dept in (("A", urban), ("B", water), ("C", urban)):
            cases.dispatch(
                session, actor=s.dispatcher, settings=settings, case_id=c[k].id, department_id=dept
            )
        clock.set(at(2, 9, 30))
        handling.accept(session, actor=s.urban, case_id=c["A"].id)
        handling.accept(session, actor=s.urban, case_id=c["C"].id)
        clock.set(at(2, 9, 40))
        handling.return_case(
            session, actor=s.water, settings=settings, case_id=c["B"].id, reason="属城管职责"
        )
        clock.set(at(2, 10))
        cases.dispatch(
            session, actor=s.dispatcher, settings=settings, case_id=c["B"].id, department_id=urban
        )
        clock.set(at(2, 14))
        handling.accept(session, actor=s.urban, case_id=c["B"].id)
        clock.set(at(2, 14, 10))
        handling.submit_result(
            session, actor=s.urban, settings=settings, case_id=c["A"].id, result="已清运"
        )
        clock.set(at(3, 9))
        handling.verify(session, actor=s.gridder, settings=settings, case_id=c["A"].id, passed=True)
        clock.set(at(3, 9, 30))
        handling.visit(
            session,
            actor=s.operator,
            settings=settings,
            case_id=c["A"].id,
            resolved=True,
            satisfaction="satisfied",
        )
        clock.set(at(6, 12))
        handling.submit_result(
            session, actor=s.urban, settings=settings, case_id=c["B"].id, result="已清理"
        )
        clock.set(at(6, 13, 30))
        handling.verify(
            session,
            actor=s.gridder,
            settings=settings,
            case_id=c["B"].id,
            passed=False,
            note="仍有垃圾",
        )
        clock.set(at(9, 10))
        handling.submit_result(
            session, actor=s.urban, settings=settings, case_id=c["B"].id, result="已彻底清理"
        )
        clock.set(at(9, 11))
        handling.verify(session, actor=s.gridder, settings=settings, case_id=c["B"].id, passed=True)
        clock.set(at(9, 11, 30))
        handling.visit(
            session,
            actor=s.operator,
            settings=settings,
            case_id=c["B"].id,
            resolved=False,
            satisfaction="unsatisfied",
        )
    session.flush()
    return w, c
