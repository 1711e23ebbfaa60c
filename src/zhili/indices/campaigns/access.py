"""Who sees what of a campaign: evaluators and admins run it; a unit sees its own results.

Reading a unit's scores needs ``evaluation.read`` with the unit inside the reader's scope
(a street officer sees their street, a city leader every unit); the overall ranking is
filtered to the units the reader may see, ranks staying those of the whole campaign.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.errors import Forbidden
from zhili.core.security import Permission, Role, role_allows
from zhili.org.access import authorize, region_in_scope, scope_region
from zhili.org.models import Region
from zhili.org.users.models import User


def require_manage(session: Session, actor: User, region: Region | None = None) -> None:
    authorize(session, actor=actor, permission=Permission.evaluation_manage, region=region)


def require_read(session: Session, actor: User, region: Region) -> None:
    authorize(session, actor=actor, permission=Permission.evaluation_read, region=region)


def sees_everything(actor: User) -> bool:
    return actor.role == Role.admin and actor.region_id is None


def visible_region_ids(session: Session, actor: User, region_ids: Iterable[int]) -> set[int]:
    """Those of ``region_ids`` (evaluated units) that lie in the actor's scope."""
    if not actor.is_active or not role_allows(actor.role, Permission.evaluation_read):
        raise Forbidden("may not read evaluations", "无权查看测评结果")
    ids = set(region_ids)
    if sees_everything(actor):
        return ids
    scope = scope_region(session, actor)
    if scope is None:
        return set()
    regions = session.scalars(select(Region).where(Region.id.in_(ids)))
    return {r.id for r in regions if region_in_scope(scope, r)}
