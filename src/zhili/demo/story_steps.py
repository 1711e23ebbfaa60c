"""A registered demo case on its way to closed: dispatch (派遣), acceptance (签收), extension
(延期), handling (处置), supervision (督办), verification (核查) and rework (返工), and the
street's whistle that summons departments (吹哨报到).

Each step calls the real service with a real actor and yields the moment of the next one, as
the stories in ``zhili.demo.stories`` do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from zhili.cases import service as cases
from zhili.cases.categories.models import Category
from zhili.cases.handling import service as handling
from zhili.cases.models import Urgency
from zhili.cases.supervision import service as supervision
from zhili.cases.whistles import service as whistles
from zhili.cases.whistles.models import SummonsRole, WhistleType
from zhili.core.clock import utcnow
from zhili.core.security import Role
from zhili.demo.casting import (
    APPROVE,
    CO_HANDLERS,
    COMMUNITY_ROUTE,
    CONFUSED,
    ESCALATE,
    EXTENSION,
    EXTENSION_REASONS,
    GRID_ROUTE,
    RETURN_REASONS,
    REWORK_NOTES,
    SLOW,
    STREET_ROUTE,
    VERIFY_FAIL,
    VERIFY_NOTES,
    WHISTLE,
    WRONG_DISPATCH,
    Live,
)
from zhili.demo.kinds import COMPLEX_MATTERS, ON_THE_SPOT, SMALL_MATTERS
from zhili.demo.story_scene import DAY, HOUR, Scene
from zhili.org.users.models import User


class Steps(Scene):
    """Dispatch, handle and verify a registered case; blow and answer a whistle."""

    def handle(self, live: Live, category: Category, *, first: bool) -> Iterator[datetime]:
        """Dispatch, handle and verify once: from registered to closed."""
        rng, session, settings = self.rng, self.session, self.settings
        code = live.plan.category
        emergency = live.plan.urgency == Urgency.emergency
        group = "emergency" if emergency else "complex" if code in COMPLEX_MATTERS else "other"
        kind = category.department_kind
        if not emergency and code in ON_THE_SPOT and rng.random() < GRID_ROUTE:
            route = "grid"
        elif not emergency and code in SMALL_MATTERS and rng.random() < COMMUNITY_ROUTE:
            route = "community"
        elif rng.random() < STREET_ROUTE[group]:
            route = "street"
        else:
            route = "department"
        dispatcher = self.dispatcher(live)
        if route == "department" and first and not emergency and rng.random() < WRONG_DISPATCH:
            wrong = self.department(
                live.district_id,
                rng.choice(CONFUSED.get(kind or "", ("urban_management", "housing"))),
            )
            if wrong.kind == kind:
                wrong = self.department(live.district_id, "civil_affairs")
            cases.dispatch(
                session,
                actor=dispatcher,
                settings=settings,
                case_id=live.case_id,
                department_id=wrong.id,
            )
            officer = self.officer(wrong)
            yield self.office(self.minutes(60))
            if rng.random() < 0.5:
                handling.accept(session, actor=officer, case_id=live.case_id)
                yield self.office(self.minutes(90))
            handling.return_case(
                session,
                actor=officer,
                settings=settings,
                case_id=live.case_id,
                reason=rng.choice(RETURN_REASONS),
            )
            yield self.shift(self.minutes(30))
            dispatcher = self.dispatcher(live)

        # -- dispatch (派遣)
        if route == "department":
            dept = self.department(live.district_id, kind)
            case = cases.dispatch(
                session,
                actor=dispatcher,
                settings=settings,
                case_id=live.case_id,
                department_id=dept.id,
            )
            handler = self.officer(dept)
        else:
            unit = {"grid": live.grid_id, "community": live.community_id, "street": live.street_id}[
                route
            ]
            case = cases.dispatch(
                session, actor=dispatcher, settings=settings, case_id=live.case_id, region_id=unit
            )
            role = {"grid": Role.gridder, "community": Role.community, "street": Role.street}[route]
            handler = self.pick(self.staff.of(role, unit))
        assert case.deadline_at is not None
        deadline, natural = case.deadline_at, not case.deadline_working

        # -- accept (签收); a community may hand it up to the street (上报)
        yield self.respond(emergency, slow=rng.random() < SLOW / 2, gridder=route == "grid")
        handling.accept(session, actor=handler, case_id=live.case_id)
        if route == "community" and rng.random() < ESCALATE:
            yield self.office(self.minutes(240))
            handling.escalate(
                session, actor=handler, case_id=live.case_id, reason="社区协调不成，需街道统筹"
            )
            route, handler = "street", self.pick(self.staff.of(Role.street, live.street_id))
            yield self.respond(emergency, slow=False, gridder=False)
            handling.accept(session, actor=handler, case_id=live.case_id)
        if route == "street" and rng.random() < WHISTLE[group]:
            yield from self.whistle(live, category, handler, group)

        # -- extension (延期)
        span = deadline - utcnow()
        slow = rng.random() < SLOW
        if not emergency and span > 3 * DAY and route != "grid" and rng.random() < EXTENSION:
            yield min(self.office(span * rng.uniform(0.3, 0.7)), deadline - HOUR)
            days = rng.choice((3, 5, 5, 7, 10))
            handling.request_extension(
                session,
                actor=handler,
                case_id=live.case_id,
                days=days,
                reason=rng.choice(EXTENSION_REASONS),
            )
            yield self.shift(self.minutes(120))
            approve = rng.random() < APPROVE
            case = handling.decide_extension(
                session,
                actor=self.dispatcher(live),
                settings=settings,
                case_id=live.case_id,
                approve=approve,
                note="同意延期" if approve else "理由不充分，请按期办结",
            )
            assert case.deadline_at is not None
            deadline = case.deadline_at
            slow = slow or (not approve and rng.random() < 0.5)

        # -- handling (处置) and the result (反馈); a slow unit gets a supervision order
        # Natural-time limits (water, power, gas: 24 hours) are kept by crews on call.
        done = self.finish(
            deadline, emergency=emergency, slow=slow, gridder=route == "grid", natural=natural
        )
        if slow and done > deadline + DAY:
            when = self.calendar.add_working_time(deadline, timedelta(hours=rng.uniform(1, 6)))
            if when < done:
                yield when
                leader = self.pick(self.staff.of(Role.leader, live.district_id))
                supervision.supervise(
                    session, actor=leader, case_id=live.case_id, note="已超期，请加快办理并报告进展"
                )
        yield done
        handling.submit_result(
            session,
            actor=handler,
            settings=settings,
            case_id=live.case_id,
            result=self.result_text(category),
        )

        # -- verification on site (核查), rework (返工) when it is not fixed
        verifier = (
            self.pick(self.staff.of(Role.community, live.community_id))
            if route == "grid"
            else self.gridder(live)
        )
        while True:
            late = rng.random() < 0.05
            yield self.shift(
                timedelta(hours=rng.uniform(20, 60)) if late else self.minutes(240), (8, 19)
            )
            passed = live.rework >= 2 or rng.random() >= VERIFY_FAIL
            handling.verify(
                session,
                actor=verifier,
                settings=settings,
                case_id=live.case_id,
                passed=passed,
                note=rng.choice(VERIFY_NOTES if passed else REWORK_NOTES),
            )
            if passed:
                return
            live.rework += 1
            if emergency:
                yield utcnow() + self.minutes(40)
            elif route == "grid":
                yield self.shift(self.minutes(300), (8, 19))
            else:
                yield self.office(timedelta(hours=rng.uniform(2, 20)))
            handling.submit_result(
                session,
                actor=handler,
                settings=settings,
                case_id=live.case_id,
                result="已按核查意见返工整改",
            )

    def respond(self, emergency: bool, *, slow: bool, gridder: bool) -> datetime:
        if emergency:
            return utcnow() + self.minutes(12)
        if gridder:
            return self.shift(self.minutes(120), (8, 19))
        return self.office(self.minutes(300) if slow else self.minutes(45))

    def finish(
        self, deadline: datetime, *, emergency: bool, slow: bool, gridder: bool, natural: bool
    ) -> datetime:
        """When the unit has done the work: inside the limit, or well after it when slow."""
        rng, now = self.rng, utcnow()
        if emergency:
            return now + timedelta(minutes=rng.uniform(130, 300) if slow else rng.uniform(20, 100))
        if slow:
            at = max(deadline, now) + timedelta(days=rng.uniform(0.3, 4))
        else:
            at = now + max(deadline - now, HOUR) * rng.uniform(0.1, 0.9)
        if natural:
            return at
        if gridder:
            return max(at, self.shift(timedelta(0), (8, 19)))
        return self.calendar.next_working_moment(at)

    def result_text(self, category: Category) -> str:
        return self.rng.choice(
            (
                f"已到现场处置{category.name}问题，整改完毕",
                f"{category.name}问题已处理，附现场照片",
                "已协调责任单位整改到位",
            )
        )

    def whistle(
        self, live: Live, category: Category, blower: User, group: str
    ) -> Iterator[datetime]:
        """街道吹哨、部门报到: summon 1–3 district departments, who report in and finish."""
        rng, session, settings = self.rng, self.session, self.settings
        if group == "emergency":
            kind_of_whistle = WhistleType.emergency
            yield utcnow() + self.minutes(8)
        else:
            kind_of_whistle = (
                WhistleType.tackling
                if group == "complex" and rng.random() < 0.6
                else WhistleType.daily
            )
            yield self.office(self.minutes(120))
        lead = self.department(live.district_id, category.department_kind)
        kinds = [
            k
            for k in CO_HANDLERS.get(lead.kind, ("urban_management", "public_security"))
            if k != lead.kind
        ]
        extra = rng.choices((0, 1, 2), weights=(35, 40, 25))[0]
        co = [
            self.department(live.district_id, k) for k in rng.sample(kinds, min(extra, len(kinds)))
        ]
        summoned = [(lead, SummonsRole.lead)] + [(d, SummonsRole.co) for d in co if d.id != lead.id]
        whistle = whistles.blow(
            session,
            actor=blower,
            settings=settings,
            case_id=live.case_id,
            type=kind_of_whistle,
            reason=f"{category.name}问题涉及多个部门职责，街道无法单独解决",
            departments=[(d.id, role) for d, role in summoned],
        )
        due = whistle.blown_at + whistles.report_in_limit(settings, kind_of_whistle)
        for dept, _ in summoned:
            self.alarms.set((1, whistle.id, dept.id), due)
        steps: list[tuple[datetime, int, User, bool]] = []
        for order, (dept, _) in enumerate(summoned):
            officer = self.officer(dept)
            if kind_of_whistle == WhistleType.emergency:
                report = utcnow() + self.minutes(15)
                done = report + timedelta(minutes=rng.uniform(20, 90))
            elif kind_of_whistle == WhistleType.tackling:
                report = utcnow() + self.minutes(55)
                done = self.calendar.add_working_time(report, timedelta(hours=rng.uniform(4, 28)))
            else:
                report = self.office(self.minutes(180))
                done = self.calendar.add_working_time(report, timedelta(hours=rng.uniform(2, 21)))
            steps += [(report, 2 * order, officer, False), (done, 2 * order + 1, officer, True)]
        for at, _, officer, finished in sorted(steps, key=lambda s: (s[0], s[1])):
            yield at
            if finished:
                whistles.finish_part(
                    session,
                    actor=officer,
                    whistle_id=whistle.id,
                    result="本部门职责范围内事项已办结",
                )
            else:
                whistles.report_in(session, actor=officer, whistle_id=whistle.id, note="已到场")
                assert officer.department_id is not None
                self.alarms.set((1, whistle.id, officer.department_id), None)
        yield self.office(self.minutes(90)) if group != "emergency" else utcnow() + self.minutes(10)
