"""What every demo story stands on: the session, the services' settings, staff and randomness;
the time of offices and shifts; who acts for a case.

The stories are built on it: ``zhili.demo.story_steps`` (dispatch, handling, verification,
whistles) and ``zhili.demo.stories`` (a case's life from intake to its last visit).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from zhili.cases.categories.models import Category
from zhili.cases.models import OPEN_STATES, Case, Channel
from zhili.cases.sla import calendar
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.demo import casemix as mix
from zhili.demo.casting import Alarms, Live, Staff
from zhili.org.geo import GridIndexCache
from zhili.org.models import Department, DepartmentKind, Region, RegionLevel
from zhili.org.users.models import User

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class Scene:
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
