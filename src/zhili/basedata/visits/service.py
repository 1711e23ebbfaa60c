"""Household visits (上门入户) and their coverage (入户率). Never commits.

Coverage is measured over a rolling year ending at ``at``: the share of a grid's current
households visited at least once in that window (Kaifu's measure, target ≥ 90 %). A
household counts for the grid it lives in now, so a family that moved keeps its visits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.basedata import scope
from zhili.basedata.addresses.models import Address
from zhili.basedata.housing.models import Dwelling, Household
from zhili.basedata.visits.models import HouseholdVisit
from zhili.basedata.visits.schemas import Coverage, CoverageRow, VisitIn
from zhili.cases import service as cases
from zhili.cases.models import Case, Channel
from zhili.cases.schemas import CaseIntake
from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.errors import NotFound, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.org.geo import GridIndexCache
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User

YEAR = timedelta(days=365)
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock a little ahead is not "the future"


def log_visit(
    session: Session, *, actor: User, cache: GridIndexCache, data: VisitIn
) -> tuple[HouseholdVisit, Case | None]:
    """Record a visit; with ``raise_case`` the problem found becomes a case (channel
    ``gridder``, located at the household's grid and address) in the same transaction."""
    household = session.get(Household, data.household_id)
    if household is None:
        raise ValidationFailed("household_id", "unknown household", "户不存在")
    grid = session.get_one(Region, household.grid_id)
    scope.require_area(session, actor=actor, permission=Permission.basedata_visit, region=grid)
    now = utcnow()
    visited_at = data.visited_at or now
    if visited_at.tzinfo is None:
        raise ValidationFailed("visited_at", "give a time zone", "时间须带时区")
    if visited_at > now + CLOCK_SKEW:
        raise ValidationFailed(
            "visited_at", "a visit cannot be in the future", "走访时间不能晚于现在"
        )
    case = None
    if data.raise_case is not None:
        address = session.scalar(
            select(Address.full_text)
            .join(Dwelling, Dwelling.address_id == Address.id)
            .where(Dwelling.id == household.dwelling_id)
        )
        intake = CaseIntake(
            channel=Channel.gridder,
            title=data.raise_case.title,
            description=data.raise_case.description,
            category_id=data.raise_case.category_id,
            urgency=data.raise_case.urgency,
            region_id=grid.id,  # the grid itself, not a point: a visit's place is certain
            address=(address or "")[:255] or None,
        )
        case, _ = cases.intake(session, actor=actor, cache=cache, data=intake)
    visit = HouseholdVisit(
        household_id=household.id,
        gridder_id=actor.id,
        grid_id=household.grid_id,
        region_path=household.region_path,
        visited_at=visited_at,
        kind=data.kind.value,
        findings=data.findings,
        case_id=case.id if case is not None else None,
    )
    session.add(visit)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="visit.create",
        entity_type="household_visit",
        entity_id=visit.id,
        after={
            "household_id": household.id,
            "kind": visit.kind,
            "visited_at": audit.jsonable(visited_at),
            "case_id": visit.case_id,
        },
    )
    return visit, case


def list_visits(
    session: Session,
    *,
    actor: User,
    household_id: int | None = None,
    gridder_id: int | None = None,
    region_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[HouseholdVisit], int]:
    """Visits in the actor's scope, newest first."""
    scope.require_role(session, actor=actor, permission=Permission.basedata_read)
    query = select(HouseholdVisit).where(
        scope.filter_clause(session, actor, HouseholdVisit.region_path, region_id=region_id)
    )
    if household_id is not None:
        query = query.where(HouseholdVisit.household_id == household_id)
    if gridder_id is not None:
        query = query.where(HouseholdVisit.gridder_id == gridder_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(HouseholdVisit.visited_at.desc(), HouseholdVisit.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def coverage(
    session: Session,
    *,
    actor: User | None,
    target: float,
    by: str = "grid",
    region_id: int | None = None,
    at: datetime | None = None,
) -> Coverage:
    """入户率 per grid (``by="grid"``) or per gridder (``by="gridder"``) in the scope."""
    scope.require_role(session, actor=actor, permission=Permission.basedata_read)
    if by not in ("grid", "gridder"):
        raise ValidationFailed("by", "grid or gridder", "统计维度应为 grid 或 gridder")
    end = at or utcnow()
    start = end - YEAR
    inside = scope.filter_clause(session, actor, Household.region_path, region_id=region_id)
    households = dict(
        session.execute(
            select(Household.grid_id, func.count()).where(inside).group_by(Household.grid_id)
        ).all()
    )
    window = (HouseholdVisit.visited_at >= start, HouseholdVisit.visited_at <= end)
    joined = (
        select()
        .select_from(HouseholdVisit)
        .join(Household, Household.id == HouseholdVisit.household_id)
    )
    distinct = func.count(HouseholdVisit.household_id.distinct())
    if by == "grid":
        visited: dict[int, int] = dict(
            session.execute(
                joined.add_columns(Household.grid_id, distinct)
                .where(inside, *window)
                .group_by(Household.grid_id)
            ).all()
        )
        grids = session.execute(
            select(Region.id, Region.code, Region.name).where(Region.id.in_(households))
        ).all()
        rows = [
            _row(gid, code, name, households[gid], visited.get(gid, 0), target)
            for gid, code, name in grids
        ]
    else:
        gridders = session.execute(
            select(User.id, User.username, User.full_name, Region.path)
            .join(Region, Region.id == User.region_id)
            .where(
                User.role == Role.gridder.value,
                scope.filter_clause(session, actor, Region.path, region_id=region_id),
            )
        ).all()
        grid_paths = dict(
            session.execute(select(Region.id, Region.path).where(Region.id.in_(households))).all()
        )
        # One grouped query for all gridders: visits by each gridder to households that
        # live in the gridder's own area (a prefix of the household's path).
        gridder_area = select(User.id, Region.path).join(Region, Region.id == User.region_id)
        area = gridder_area.subquery()
        visited_by: dict[int, int] = dict(
            session.execute(
                joined.add_columns(HouseholdVisit.gridder_id, distinct)
                .join(area, area.c.id == HouseholdVisit.gridder_id)
                .where(Household.region_path.startswith(area.c.path), inside, *window)
                .group_by(HouseholdVisit.gridder_id)
            ).all()
        )
        rows = []
        for uid, username, full_name, path in gridders:
            mine = sum(n for gid, n in households.items() if grid_paths[gid].startswith(path))
            rows.append(_row(uid, username, full_name, mine, visited_by.get(uid, 0), target))
    rows.sort(key=lambda r: r.code)
    total_households = (
        sum(r.households for r in rows) if by == "gridder" else sum(households.values())
    )
    total_visited = sum(r.visited for r in rows)
    return Coverage(
        by=by,
        window_start=start,
        window_end=end,
        target=target,
        households=total_households,
        visited=total_visited,
        rate=round(total_visited / total_households, 4) if total_households else None,
        below_target=sum(1 for r in rows if not r.meets_target),
        rows=rows,
    )


def _row(
    key: int, code: str, name: str, households: int, visited: int, target: float
) -> CoverageRow:
    rate = round(visited / households, 4) if households else None
    return CoverageRow(
        key_id=key,
        code=code,
        name=name,
        households=households,
        visited=visited,
        rate=rate,
        meets_target=rate is not None and rate >= target,
    )


def grid_of(session: Session, grid_id: int) -> Region:
    grid = session.get(Region, grid_id)
    if grid is None or grid.level != RegionLevel.grid:
        raise NotFound("grid", grid_id)
    return grid
