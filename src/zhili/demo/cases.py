"""A year of cases for the demo city, simulated through the real service layer.

``simulate_cases`` draws a year of reports (``casemix``: when, what, where, by which channel)
and acts each one out (``stories``: intake, registration, dispatch, handling, whistles,
verification, visits…) with the staff who would really do it, on a ManualClock that walks
the year in time order. The supervision timers (``tick``) run on the hour whenever a step's
deadline or a whistle's report-in limit has passed (an hour with nothing due is skipped: its
tick would find nothing), so overdue escalations and late report-ins happen as they would in
production. Every demo case therefore has a genuine history that replays to its state.

Deterministic for a seed: the same city, seed, count and end give the same histories (case
numbers excepted — they are drawn from ``secrets`` on purpose).
"""

from __future__ import annotations

import heapq
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count as counter
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.util import identity_key

from zhili.cases.categories.models import Category
from zhili.cases.models import Case, CaseEvent
from zhili.cases.sla import calendar
from zhili.cases.supervision import service as supervision
from zhili.cases.whistles.models import Whistle, WhistleSummons
from zhili.core.audit import record
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import ManualClock, use_clock, utcnow
from zhili.core.config import Settings
from zhili.core.security import Role, hash_password
from zhili.demo import casemix as mix
from zhili.demo import planted as planting
from zhili.demo.casting import Staff
from zhili.demo.load import DEMO_PASSWORD, Progress
from zhili.demo.stories import Stories
from zhili.org.geo import GridIndexCache
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User

__all__ = ["DEFAULT_CASES", "SimulationStats", "simulate_cases"]

# A year of cases per city size (`zhili demo --cases N` overrides). Every case is ≈ 7 real
# service calls at ≈ 3 ms each, so the simulation runs at ≈ 40–60 cases per second: these
# defaults keep `zhili demo` to a few minutes (Beijing's 12345 takes ≈ 59 000 a day).
DEFAULT_CASES = {"small": 2_000, "city": 20_000, "megacity": 50_000}
YEAR = timedelta(days=365)
TICK_EVERY = timedelta(hours=1)
ALWAYS_TICK = False  # tests set it to check that skipping idle ticks changes nothing
RESIDENTS = (50, 5_000)  # resident accounts: one per 25 cases, within these bounds

SessionSource = Session | sessionmaker[Session]


@dataclass
class SimulationStats:
    """What a simulation did. ``summary()`` leaves out the timing, so it compares across runs."""

    cases: int
    start: datetime
    end: datetime
    residents: int
    ticks: int
    events: int
    actions: dict[str, int]
    states: dict[str, int]
    channels: dict[str, int]
    whistles: dict[str, int]
    late_report_ins: int
    seconds: float = 0.0
    truth: planting.GroundTruth | None = None  # what was planted (``plant=True``)

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "residents": self.residents,
            "ticks": self.ticks,
            "events": self.events,
            "actions": dict(sorted(self.actions.items())),
            "states": dict(sorted(self.states.items())),
            "channels": dict(sorted(self.channels.items())),
            "whistles": dict(sorted(self.whistles.items())),
            "late_report_ins": self.late_report_ins,
        }


def simulate_cases(
    source: SessionSource,
    *,
    cases: int,
    seed: int,
    end: datetime | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    plant: bool = False,
) -> SimulationStats:
    """Simulate ``cases`` cases over the 365 days ending at ``end`` (default: now).

    ``plant``: add known hotspots, surges and repeat complainants (``zhili.demo.planted``);
    ``stats.truth`` then says what was planted.

    ``source`` is a session factory (the simulation commits once per simulated day) or a
    session (it only flushes; the caller commits). The demo city and the case catalogue must
    be loaded. ``progress(stage, done, total)`` reports ``simulate.cases`` once a day.
    Raises whatever a service raises: a refusal in a well-formed simulation is a bug.
    """
    if cases < 0:
        raise ValueError("cases must not be negative")
    settings = settings or Settings()
    end = (end or utcnow()).astimezone(UTC)
    start = end - YEAR
    started = time.perf_counter()
    if isinstance(source, Session):
        stats = _simulate(source, None, cases, seed, start, end, progress, settings, plant)
    else:
        with source(expire_on_commit=False) as session:
            stats = _simulate(
                session, session.commit, cases, seed, start, end, progress, settings, plant
            )
            session.commit()
    stats.seconds = time.perf_counter() - started
    return stats


def _simulate(
    session: Session,
    commit: Callable[[], None] | None,
    cases: int,
    seed: int,
    start: datetime,
    end: datetime,
    progress: Progress | None,
    settings: Settings,
    plant: bool = False,
) -> SimulationStats:
    rng = random.Random(seed)
    regions = {r.id: r for r in session.scalars(select(Region).order_by(Region.code))}
    grids = [r for r in regions.values() if r.level == RegionLevel.grid and r.geometry is not None]
    if not grids:
        raise ValueError("build the demo city before simulating its cases (演示城市尚未生成)")
    categories = {
        c.code: c
        for c in session.scalars(
            select(Category)
            .where(Category.parent_id.is_not(None), Category.is_active.is_(True))
            .order_by(Category.code)
        )
    }
    if not categories:
        raise ValueError("load the case catalogue before simulating cases (案件分类目录未加载)")
    residents = _residents(session, rng, cases)
    staff = Staff.load(session, residents)
    points = _PointSampler(grids)
    spots = [
        mix.GridSpot(
            code=g.code,
            address=_address(regions, g),
            weight=(g.households or 400)
            * rng.lognormvariate(0.0, 0.5),  # busy streets, quiet lanes
        )
        for g in grids
    ]
    cal = calendar()
    planner = mix.Planner(
        rng,
        categories=[(c.code, c.kind) for c in categories.values()],
        grids=spots,
        workday=cal.is_workday,
        point_in=points.sample,
    )
    plans = planner.plans(cases, start, end)
    truth = None
    if plant:  # after the ordinary year, from its own random stream: that year is unchanged
        plans, truth = planting.plant(
            plans,
            planner=planner,
            seed=seed,
            start=start,
            end=end,
            districts={g.code: regions[int(g.path.strip("/").split("/")[1])].code for g in grids},
            centroids={g.code: (g.centroid_lon or 0.0, g.centroid_lat or 0.0) for g in grids},
        )
    stories = Stories(
        session,
        settings=settings,
        rng=rng,
        staff=staff,
        categories=categories,
        regions=regions,
        grid_ids={g.code: g.id for g in grids},
        cache=GridIndexCache(
            cells_per_grid=settings.grid_index_cells_per_grid,
            max_cells=settings.grid_index_max_cells,
        ),
    )

    seq = counter()
    queue: list[tuple[datetime, int, int, Iterator[datetime] | None]] = [
        (p.at, next(seq), p.index, None) for p in plans
    ]
    heapq.heapify(queue)
    clock = ManualClock(start)
    next_tick = start.replace(minute=0, second=0, microsecond=0) + TICK_EVERY
    day = start.astimezone(CHINA_TZ).date()
    ticks = late = begun = 0
    alarms = stories.alarms

    def hour(at: datetime) -> None:
        nonlocal ticks, late, day
        # The timers run every hour; an hour in which no deadline or report-in falls due
        # would find nothing, so that tick is skipped (the database ends up the same).
        fired = alarms.due(at)
        if fired or ALWAYS_TICK:
            clock.set(at)
            session.flush()
            result = supervision.tick(session, now=at)
            ticks += 1
            late += result.late_report_ins
            _expire(session, fired)  # the tick updated these rows behind the ORM's back
        today = at.astimezone(CHINA_TZ).date()
        if today != day:
            day = today
            if commit is not None:
                commit()
            if progress is not None:
                progress("simulate.cases", begun, len(plans))

    with use_clock(clock):
        while queue and queue[0][0] < end:
            at, _, index, story = heapq.heappop(queue)
            while next_tick <= at:
                hour(next_tick)
                next_tick += TICK_EVERY
            clock.set(at)
            if story is None:
                begun += 1
                story = stories.story(plans[index])
            following = next(story, None)
            stories.watch(index)
            if following is not None:
                heapq.heappush(queue, (max(following, at), next(seq), index, story))
        while next_tick <= end:
            hour(next_tick)
            next_tick += TICK_EVERY
        session.flush()
    if progress is not None:
        progress("simulate.cases", begun, len(plans))
    case_ids = [live.case_id for live in stories.live.values() if live.case_id]
    return SimulationStats(
        cases=len(case_ids),
        start=start,
        end=end,
        residents=len(residents),
        ticks=ticks,
        late_report_ins=late,
        truth=truth,
        channels=dict(Counter(p.channel.value for p in plans[:begun])),
        **_tally(session, case_ids),
    )


def _expire(session: Session, fired: list[tuple[int, int, int]]) -> None:
    """Forget what the tick changed: the cases it found overdue, the summons it marked late."""
    for kind, key, _ in fired:
        if kind == 0 and (case := session.identity_map.get(identity_key(Case, key))):
            session.expire(case)
    if any(kind == 1 for kind, _, _ in fired):
        for obj in list(session.identity_map.values()):
            if isinstance(obj, WhistleSummons):
                session.expire(obj)


def _tally(session: Session, case_ids: list[int]) -> dict[str, Any]:
    actions: Counter[str] = Counter()
    states: Counter[str] = Counter()
    whistles: Counter[str] = Counter()
    for i in range(0, len(case_ids), 500):
        chunk = case_ids[i : i + 500]
        actions.update(
            dict(
                session.execute(
                    select(CaseEvent.action, func.count())
                    .where(CaseEvent.case_id.in_(chunk))
                    .group_by(CaseEvent.action)
                ).all()
            )
        )
        states.update(
            dict(
                session.execute(
                    select(Case.state, func.count()).where(Case.id.in_(chunk)).group_by(Case.state)
                ).all()
            )
        )
        whistles.update(
            dict(
                session.execute(
                    select(Whistle.type, func.count())
                    .where(Whistle.case_id.in_(chunk))
                    .group_by(Whistle.type)
                ).all()
            )
        )
    return {
        "events": sum(actions.values()),
        "actions": dict(actions),
        "states": dict(states),
        "whistles": dict(whistles),
    }


def _address(regions: dict[int, Region], grid: Region) -> str:
    chain = [regions[int(x)] for x in grid.path.strip("/").split("/")]
    return "".join(r.name for r in chain if r.level != RegionLevel.city)


def _residents(session: Session, rng: random.Random, cases: int) -> list[User]:
    """Resident accounts who report through the app and the web (made once, then reused)."""
    low, high = RESIDENTS
    wanted = [f"resident_{i:05d}" for i in range(1, min(max(cases // 25, low), high) + 1)]
    people = [(mix.full_name(rng), mix.mobile(rng)) for _ in wanted]
    existing = set(session.scalars(select(User.username).where(User.username.like("resident_%"))))
    rows = [
        {
            "username": username,
            "full_name": name,
            "role": Role.citizen.value,
            "region_id": None,
            "department_id": None,
            "phone": phone,
            "password_hash": "",
            "is_active": True,
            "created_at": utcnow(),
            "version": 1,
        }
        for username, (name, phone) in zip(wanted, people, strict=True)
        if username not in existing
    ]
    if rows:
        password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
        for row in rows:
            row["password_hash"] = password_hash
        session.execute(insert(User), rows)
        record(
            session,
            actor=None,
            action="demo.residents",
            entity_type="user",
            entity_id="resident_*",
            after={"created": len(rows)},
        )
    return list(
        session.scalars(select(User).where(User.username.in_(wanted)).order_by(User.username))
    )


class _PointSampler:
    """Uniform points inside a grid's polygon (rejection sampling in its bounding box)."""

    def __init__(self, grids: list[Region]) -> None:
        self.regions = {g.code: g for g in grids}
        self.shapes: dict[str, Any] = {}

    def sample(self, code: str, rng: random.Random) -> tuple[float, float]:
        geom = self.shapes.get(code)
        if geom is None:
            geom = shape(self.regions[code].geometry)
            shapely.prepare(geom)
            self.shapes[code] = geom
        minx, miny, maxx, maxy = geom.bounds
        for _ in range(200):
            x, y = round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6)
            if shapely.contains_xy(geom, x, y):
                return x, y
        point = geom.representative_point()
        return float(point.x), float(point.y)
