"""The life of each demo case, acted out by the right staff through the real services.

A story is a generator: it performs one step (calling a service function with a real actor,
exactly as a route handler would) and then yields the moment of its next step. The driver
in ``zhili.demo.cases`` runs all stories in time order on a ManualClock, so every event,
deadline and audit row carries the simulated time. A story stands on ``story_scene`` (time,
who acts) and, once its case is registered, goes on in ``story_steps`` (dispatch to closed).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select

from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.cases.models import Case, CaseState, Channel, Satisfaction, Urgency
from zhili.cases.schemas import CaseIntake
from zhili.core.clock import utcnow
from zhili.core.security import Role
from zhili.demo import casemix as mix
from zhili.demo.casting import (
    ANSWER_AT_INTAKE,
    ANSWER_LATER,
    APP_RETRY,
    REJECT_REASONS,
    REJECT_SHARE,
    REOPEN,
    RESOLVE_ON_SPOT,
    UNCLASSIFIED_SHARE,
    VISIT,
    Live,
)
from zhili.demo.kinds import CONSULTATIONS, ON_THE_SPOT
from zhili.demo.story_steps import Steps


class Stories(Steps):
    """A case's life from intake to its last visit; ``story(plan)`` acts it out step by step."""

    def story(self, plan: mix.CasePlan) -> Iterator[datetime]:
        rng = self.rng
        live = Live(plan)
        self.live[plan.index] = live
        category = self.categories[plan.category]
        actor = self.intake_actor(plan)
        consult = plan.category in CONSULTATIONS
        answer = resolved = None
        if plan.channel == Channel.hotline and rng.random() < ANSWER_AT_INTAKE[consult]:
            answer = f"已解答：{category.name}相关政策及办理渠道已告知来电人"
        elif (
            plan.channel == Channel.gridder
            and plan.category in ON_THE_SPOT
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
