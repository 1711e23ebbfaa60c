"""The one place where role and scope are checked together.

A user's scope is an org unit (``User.region_id``); they may act on that unit and its whole
subtree. Citizens and unscoped accounts have no subtree. Admins scoped to the city root see
everything below it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhili.core.errors import Forbidden
from zhili.core.security import Permission, Role, role_allows
from zhili.org.models import Region
from zhili.org.users.models import User


def scope_region(session: Session, user: User) -> Region | None:
    if user.region_id is None:
        return None
    return session.get(Region, user.region_id)


def region_in_scope(scope: Region | None, target: Region) -> bool:
    """True when ``target`` is the scope unit or lies below it."""
    return scope is not None and target.path.startswith(scope.path)


def authorize(
    session: Session,
    *,
    actor: User,
    permission: Permission,
    region: Region | None = None,
) -> None:
    """Raise Forbidden unless the actor's role grants ``permission`` on ``region``.

    ``region=None`` checks the role alone (for actions that are not tied to a place).
    """
    if not actor.is_active:
        raise Forbidden("account disabled", "账号已停用")
    if not role_allows(actor.role, permission):
        raise Forbidden(
            f"role {actor.role} may not {permission.value}",
            f"当前角色无权执行此操作（{permission.value}）",
        )
    if region is None or (actor.role == Role.admin and actor.region_id is None):
        return
    if not region_in_scope(scope_region(session, actor), region):
        raise Forbidden(
            f"{region.code} is outside your scope",
            f"{region.name}（{region.code}）不在您的管辖范围内",
        )
