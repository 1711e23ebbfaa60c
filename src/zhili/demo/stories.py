"""The life of each demo case, acted out by the right staff through the real services.

A story is a generator: it performs one step (calling a service function with a real actor,
exactly as a route handler would) and then yields the moment of its next step. The driver
in ``zhili.demo.cases`` runs all stories in time order on a ManualClock, so every event,
deadline and audit row carries the simulated time.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import service as cases
from zhili.cases.categories.models import Category
from zhili.cases.handling import service as handling
from zhili.cases.models import OPEN_STATES, Case, CaseState, Channel, Satisfaction, Urgency
from zhili.cases.schemas import CaseIntake
from zhili.cases.sla import calendar
from zhili.cases.supervision import service as supervision
from zhili.cases.whistles import service as whistles
from zhili.cases.whistles.models import SummonsRole, WhistleType
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.demo import casemix as mix
from zhili.demo.casting import (
    ANSWER_AT_INTAKE,
    ANSWER_LATER,
    APP_RETRY,
    APPROVE,
    CO_HANDLERS,
    COMMUNITY_ROUTE,
    CONFUSED,
    ESCALATE,
    EXTENSION,
    EXTENSION_REASONS,
    GRID_ROUTE,
    REJECT_REASONS,
    REJECT_SHARE,
    REOPEN,
    RESOLVE_ON_SPOT,
    RETURN_REASONS,
    REWORK_NOTES,
    SLOW,
    STREET_ROUTE,
    UNCLASSIFIED_SHARE,
    VERIFY_FAIL,
    VERIFY_NOTES,
    VISIT,
    WHISTLE,
    WRONG_DISPATCH,
    Alarms,
    Live,
    Staff,
)
from zhili.org.geo import GridIndexCache
from zhili.org.models import Department, DepartmentKind, Region, RegionLevel
from zhili.org.users.models import User

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class Stories:
    """Everything a story needs: the session, the services' settings, staff, randomness."""

    def __init__(
        self,
        session: Session,
        *,
        settings: Settings,
        rng: random.Random,
        staff: Staff,
        categories: dict[str, Category],
        regions: dict[int, Region],
        grid_ids: dict[str, int],
        cache: GridIndexCache,
    ) -> None:
        self.session = session
        self.settings = settings
        self.rng = rng
        self.staff = staff
        self.categories = categories
        self.regions = regions
        self.grid_ids = grid_ids
        self.cache = cache
        self.city_id = next(r.id for r in regions.values() if r.level == RegionLevel.city)
        self.live: dict[int, Live] = {}
        self.calendar = calendar()
        self.alarms = Alarms()

    def watch(self, index: int) -> int:
        """After a step: the case's current deadline, if the tick could find it overdue."""
        live = self.live.get(index)
        if live is None or not live.case_id:
            return 0
        case = self.session.get(Case, live.case_id)
        assert case is not None
        running = case.state in OPEN_STATES and not case.overdue
        self.alarms.set((0, case.id, 0), case.deadline_at if running else None)
        return case.id

    # -- time --------------------------------------------------------------------------

    def office(self, delay: timedelta) -> datetime:
        """After ``delay`` of working time (departments, streets, communities, leaders)."""
        return self.calendar.add_working_time(utcnow(), delay)

    def shift(self, delay: timedelta, hours: tuple[int, int] = (8, 21)) -> datetime:
        """After ``delay``, moved into a daily shift (gridders, the centre, operators)."""
        at = utcnow() + delay
        local = at.astimezone(CHINA_TZ)
        start, end = hours
        if local.hour < start:
            local = local.replace(hour=start, minute=0) + self.minutes(25)
        elif local.hour >= end:
            local = (local + DAY).replace(hour=start, minute=0) + self.minutes(25)
        return local

    def minutes(self, mean: float) -> timedelta:
        return timedelta(minutes=self.rng.expovariate(1 / mean))

    def pick(self, users: Sequence[User]) -> User:
        return users[self.rng.randrange(len(users))] if len(users) > 1 else users[0]

    # -- who --------------------------------------------------------------------------

    def department(self, district_id: int, kind: str | None) -> Department:
        for k in (kind, DepartmentKind.urban_management.value):
            found = self.staff.departments.get((district_id, k or ""))
            if found is not None:
                return found
        raise ValueError(f"district {district_id} has no department of kind {kind}")

    def officer(self, department: Department) -> User:
        return self.pick(self.staff.officers[department.id])

    def dispatcher(self, live: Live) -> User:
        return self.pick(self.staff.of(Role.dispatcher, live.district_id))

    def operator(self) -> User:
        return self.pick(self.staff.of(Role.operator, self.city_id))

    def gridder(self, live: Live) -> User:
        return self.staff.of(Role.gridder, live.grid_id)[0]

    def _chain(self, grid_code: str) -> list[int]:
        grid = self.regions[self.grid_ids[grid_code]]
        return [int(x) for x in grid.path.strip("/").split("/")]

    def intake_actor(self, plan: mix.CasePlan) -> User:
        _, district, _, _, grid = self._chain(plan.grid)
        channel = plan.channel
        if channel == Channel.gridder:
            return self.staff.of(Role.gridder, grid)[0]
        if channel in (Channel.app, Channel.web):
            return self.pick(self.staff.residents)
        if channel == Channel.petition:
            return self.pick(self.staff.of(Role.dispatcher, district))
        if channel == Channel.department:
            kind = self.categories[plan.category].department_kind
            return self.officer(self.department(district, kind))
        if channel == Channel.sensor:
            return self.pick(self.staff.of(Role.dispatcher, self.city_id))
        return self.operator()

    # -- the story ---------------------------------------------------------------------

    def story(self, plan: mix.CasePlan) -> Iterator[datetime]:
        rng = self.rng
        live = Live(plan)
        self.live[plan.index] = live
        category = self.categories[plan.category]
        actor = self.intake_actor(plan)
        consult = plan.category in mix.CONSULTATIONS
        answer = resolved = None
        if plan.channel == Channel.hotline and rng.random() < ANSWER_AT_INTAKE[consult]:
            answer = f"已解答：{category.name}相关政策及办理渠道已告知来电人"
        elif (
            plan.channel == Channel.gridder
            and plan.category in mix.ON_THE_SPOT
            and rng.random() < RESOLVE_ON_SPOT
        ):
            resolved = "网格员巡查发现后当场处置完毕"
        classified = not (
            plan.channel == Channel.hotline and not answer and rng.random() < UNCLASSIFIED_SHARE
        )
        resident = actor if actor.role == Role.citizen else None
        caller = (resident.full_name, resident.phone) if resident is not None else plan.caller
        data = CaseIntake(
            channel=plan.channel,
            title=plan.title or category.name,
            description=plan.description,
            category_id=category.id if classified else None,
            urgency=plan.urgency,
            lon=plan.lon,
            lat=plan.lat,
            address=plan.address,
            reporter_name=caller[0] if caller else None,
            reporter_phone=caller[1] if caller else None,
            anonymous=plan.anonymous,
            answer=answer,
            resolved_on_spot=resolved,
        )
        key = f"demo-{rng.getrandbits(64):016x}" if resident is not None else None
        case, _ = cases.intake(
            self.session, actor=actor, cache=self.cache, data=data, idempotency_key=key
        )
        if key is not None and rng.random() < APP_RETRY:  # the app lost the answer and retried
            again, replayed = cases.intake(
                self.session, actor=actor, cache=self.cache, data=data, idempotency_key=key
            )
            assert replayed and again.id == case.id
        if case.grid_id is None or case.district_id is None:
            raise RuntimeError(f"demo case {plan.index} fell outside every grid")
        live.case_id, live.grid_id = case.id, case.grid_id
        live.community_id, live.street_id = case.community_id or 0, case.street_id or 0
        live.district_id = case.district_id
        if case.state == CaseState.closed:
            live.status = "closed"
            if answer and caller and rng.random() < 0.3:
                yield self.shift(timedelta(hours=rng.uniform(2, 30)), (9, 20))
                self.visit(live, resolved=True, satisfaction=Satisfaction.satisfied, reopen=False)
            return

        # -- registration (立案) by the district's centre
        emergency = plan.urgency == Urgency.emergency
        yield utcnow() + self.minutes(6) if emergency else self.shift(self.minutes(25))
        dispatcher = self.dispatcher(live)
        target = self.live.get(plan.duplicate_of) if plan.duplicate_of is not None else None
        if (
            target is not None
            and target.status == "open"
            and target.district_id == live.district_id
        ):
            cases.merge(
                self.session,
                actor=dispatcher,
                case_id=live.case_id,
                into_case_id=target.case_id,
                note="同一问题重复反映，合并办理",
            )
            live.status = "merged"
            return
        reject_share = REJECT_SHARE * (2 if plan.channel in (Channel.app, Channel.web) else 1)
        # A case that later reports were merged into is not refused: its callers wait on it.
        has_followers = self.session.scalar(
            select(Case.id).where(Case.merged_into_id == live.case_id).limit(1)
        )
        if rng.random() < reject_share and has_followers is None:
            cases.reject(
                self.session,
                actor=dispatcher,
                case_id=live.case_id,
                reason=rng.choice(REJECT_REASONS),
            )
            live.status = "rejected"
            return
        if plan.channel == Channel.hotline and consult and rng.random() < ANSWER_LATER:
            cases.answer(
                self.session,
                actor=self.operator(),
                case_id=live.case_id,
                reason=f"经核实政策后回复来电人：{category.name}办理流程已告知",
            )
            live.status = "closed"
            return
        cases.register(
            self.session,
            actor=dispatcher,
            case_id=live.case_id,
            category_id=None if classified else category.id,
            note=None if classified else "调度员确定案件分类",
        )
        first = True
        while True:
            yield from self.handle(live, category, first=first)
            first = False
            live.status = "closed"
            if caller is None or rng.random() >= VISIT:
                return
            yield self.shift(timedelta(hours=rng.uniform(2, 48)), (9, 20))
            resolved_ok = rng.random() < 0.92
            if resolved_ok:
                satisfaction = rng.choices(list(Satisfaction), weights=(78, 16, 6))[0]
            else:
                satisfaction = rng.choices(list(Satisfaction), weights=(10, 30, 60))[0]
            unhappy = not resolved_ok or satisfaction == Satisfaction.unsatisfied
            reopen = unhappy and live.reopens < self.settings.reopen_limit and rng.random() < REOPEN
            self.visit(live, resolved=resolved_ok, satisfaction=satisfaction, reopen=reopen)
            if not reopen:
                return
            live.reopens += 1
            live.status = "open"
            yield self.shift(self.minutes(40))

    def visit(
        self, live: Live, *, resolved: bool, satisfaction: Satisfaction, reopen: bool
    ) -> None:
        handling.visit(
            self.session,
            actor=self.operator(),
            settings=self.settings,
            case_id=live.case_id,
            resolved=resolved,
            satisfaction=satisfaction.value,
            reopen=reopen,
            note="来电人表示问题未解决，要求重办" if reopen else None,
        )

    def handle(self, live: Live, category: Category, *, first: bool) -> Iterator[datetime]:
        """Dispatch, handle and verify once: from registered to closed."""
        rng, session, settings = self.rng, self.session, self.settings
        code = live.plan.category
        emergency = live.plan.urgency == Urgency.emergency
        group = "emergency" if emergency else "complex" if code in mix.COMPLEX_MATTERS else "other"
        kind = category.department_kind
        if not emergency and code in mix.ON_THE_SPOT and rng.random() < GRID_ROUTE:
            route = "grid"
        elif not emergency and code in mix.SMALL_MATTERS and rng.random() < COMMUNITY_ROUTE:
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
