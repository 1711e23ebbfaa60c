"""Who may open the command dashboard, and which unit of the tree they look at.

A viewer sees their own scope unit and everything below it: a district leader their district
only, the city's leaders and dispatchers the whole city. Drilling up above one's own scope is
refused (403), like every other scope check (``zhili.org.access``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.errors import Forbidden, NotFound
from zhili.core.security import Role
from zhili.org import service as org
from zhili.org.access import region_in_scope, scope_region
from zhili.org.models import LEVEL_ORDER, Region, RegionLevel
from zhili.org.users.models import User

# Those who steer an area: the dashboard counts every case of the area, so only roles whose
# case visibility is by area (not by handler, like departments) may see it.
DASHBOARD_ROLES = frozenset({Role.leader, Role.dispatcher, Role.street, Role.admin})
# The levels the map drills through; below a grid are compounds and buildings (base data).
MAP_LEVELS: tuple[RegionLevel, ...] = (
    RegionLevel.city,
    RegionLevel.district,
    RegionLevel.street,
    RegionLevel.community,
    RegionLevel.grid,
)


def child_level(level: str) -> RegionLevel | None:
    """The level shown on the map below ``level`` (None below a grid)."""
    index = LEVEL_ORDER.index(RegionLevel(level))
    nxt = LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None
    return nxt if nxt in MAP_LEVELS else None


def city_root(session: Session) -> Region:
    root = session.scalar(
        select(Region).where(Region.parent_id.is_(None)).order_by(Region.id).limit(1)
    )
    if root is None:
        raise NotFound("region", "city")
    return root


def viewer_scope(session: Session, user: User) -> Region:
    """The unit at the top of the viewer's dashboard; Forbidden for everyone else."""
    if not user.is_active:
        raise Forbidden("account disabled", "账号已停用")
    if user.role not in DASHBOARD_ROLES:
        raise Forbidden(
            "the dashboard is for leaders and dispatchers", "指挥大屏仅对领导和调度员开放"
        )
    if user.role == Role.admin and user.region_id is None:
        return city_root(session)
    scope = scope_region(session, user)
    if scope is None:
        raise Forbidden("no area assigned", "账号未分配管辖区域")
    return scope


def resolve(session: Session, user: User, region_id: int | None) -> Region:
    """The unit to show: the viewer's scope, or a unit inside it (drill-down)."""
    scope = viewer_scope(session, user)
    if region_id is None or region_id == scope.id:
        return scope
    region = org.get_region(session, region_id)
    if region.level not in MAP_LEVELS:
        raise NotFound("region", region_id)
    if not region_in_scope(scope, region):
        raise Forbidden(
            f"{region.code} is outside your scope",
            f"{region.name}（{region.code}）不在您的管辖范围内",
        )
    return region


def breadcrumb(session: Session, user: User, region: Region) -> list[Region]:
    """The chain from the viewer's scope down to ``region`` (never above the scope)."""
    scope = viewer_scope(session, user)
    chain = [r for r in org.ancestors(session, region) if region_in_scope(scope, r)]
    return chain if chain and chain[-1].id == region.id else [*chain, region]
