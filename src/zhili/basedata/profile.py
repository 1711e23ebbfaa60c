"""The grid profile (网格画像): what a gridder's grid holds, on one page. Reads only."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhili.basedata import scope
from zhili.basedata.housing.models import Building, Dwelling, Household
from zhili.basedata.population.models import Resident, SpecialGroupRecord
from zhili.basedata.population.present import may
from zhili.basedata.units.models import Unit
from zhili.basedata.visits import service as visits
from zhili.basedata.visits.schemas import GridProfile
from zhili.cases import queries as case_queries
from zhili.cases.models import OPEN_STATES
from zhili.cases.queries import CaseFilter
from zhili.core.security import Permission, Role
from zhili.org.users.models import User


def grid_profile(session: Session, *, actor: User, grid_id: int, target: float) -> GridProfile:
    """Households, residents by type, dwellings by use, units, special groups (if the role
    may know them), open cases (if it may read cases) and the year's visit rate."""
    grid = visits.grid_of(session, grid_id)
    scope.require_area(session, actor=actor, permission=Permission.basedata_read, region=grid)

    def grouped(column: InstrumentedAttribute[str], where: ColumnElement[bool]) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).where(where).group_by(column))
        return {str(k): int(n) for k, n in rows.all()}

    by_type = grouped(Resident.resident_type, Resident.region_path == grid.path)
    by_use = grouped(Dwelling.use, Dwelling.grid_id == grid.id)
    by_kind = grouped(Unit.kind, Unit.grid_id == grid.id)
    special = None
    if may(actor, Permission.special_groups_read):
        special = grouped(SpecialGroupRecord.special_group, SpecialGroupRecord.grid_id == grid.id)
    open_cases = None
    if may(actor, Permission.case_read):
        _, _, open_cases = case_queries.list_cases(
            session,
            actor=actor,
            filters=CaseFilter(states=[s.value for s in OPEN_STATES], region_id=grid.id),
            limit=1,
            with_total=True,
        )
    rate = visits.coverage(session, actor=actor, target=target, region_id=grid.id).rate
    gridders = session.scalars(
        select(User.full_name).where(User.region_id == grid.id, User.role == Role.gridder.value)
    ).all()
    return GridProfile(
        grid_id=grid.id,
        code=grid.code,
        name=grid.name,
        gridders=list(gridders),
        households=session.scalar(
            select(func.count()).select_from(Household).where(Household.grid_id == grid.id)
        )
        or 0,
        residents=sum(by_type.values()),
        residents_by_type=by_type,
        dwellings_by_use=by_use,
        buildings=session.scalar(
            select(func.count()).select_from(Building).where(Building.grid_id == grid.id)
        )
        or 0,
        units=sum(by_kind.values()),
        units_by_kind=by_kind,
        special_groups=special,
        open_cases=open_cases,
        visit_rate=rate,
        visit_target=target,
    )
