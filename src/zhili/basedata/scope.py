"""Who may see which base data: role permission plus the region subtree, in one place.

Every row of base data carries its grid's materialised ``region_path``; a reader's scope is
the path of their own unit, so "in scope" is one prefix comparison, indexed.

403 or filtered? (documented in docs/architecture.md)
- lists and searches are *filtered*: rows outside the scope are simply not there;
- asking for an area outside the scope (``region_id=`` of another grid) is *403*: the
  areas are public, asking for one you do not govern is a mistake worth saying;
- one record outside the scope (a resident, a household by id, an ID-number lookup) is
  *404*, as for accounts: its existence in another grid is itself personal data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import Session

from zhili.core.errors import Forbidden, NotFound
from zhili.core.security import Permission, Role
from zhili.org.access import authorize, scope_region
from zhili.org.models import Region
from zhili.org.service import get_region
from zhili.org.users.models import User


def scope_path(session: Session, actor: User | None) -> str | None:
    """The path prefix the actor may read: "" for everything, None for nothing."""
    if actor is None or (actor.role == Role.admin and actor.region_id is None):
        return ""  # the system (CLI, demo) and an unscoped administrator
    region = scope_region(session, actor)
    return region.path if region is not None else None


def in_scope(prefix: str | None, path: str) -> bool:
    return prefix is not None and path.startswith(prefix)


def filter_clause(
    session: Session, actor: User | None, column: Any, *, region_id: int | None = None
) -> ColumnElement[bool]:
    """A WHERE clause limiting ``column`` (a region_path) to the actor's scope, narrowed to
    ``region_id`` when given (403 if that area lies outside the scope)."""
    prefix = scope_path(session, actor)
    if region_id is not None:
        region = get_region(session, region_id)
        if not in_scope(prefix, region.path):
            raise Forbidden(
                f"{region.code} is outside your scope",
                f"{region.name}（{region.code}）不在您的管辖范围内",
            )
        prefix = region.path
    if prefix is None:
        return false()
    if prefix == "":
        return true()
    clause: ColumnElement[bool] = column.startswith(prefix, autoescape=True)
    return clause


def require(
    session: Session,
    *,
    actor: User | None,
    permission: Permission,
    region_path: str,
    entity: str,
    key: object,
) -> None:
    """Role first (403), then scope (404: outside the scope the record does not exist)."""
    if actor is None:
        return
    authorize(session, actor=actor, permission=permission)
    if not in_scope(scope_path(session, actor), region_path):
        raise NotFound(entity, key)


def require_role(session: Session, *, actor: User | None, permission: Permission) -> None:
    if actor is not None:
        authorize(session, actor=actor, permission=permission)


def require_area(
    session: Session, *, actor: User | None, permission: Permission, region: Region
) -> None:
    """For writes into an area: role and scope, both 403 (the area itself is public)."""
    if actor is not None:
        authorize(session, actor=actor, permission=permission, region=region)
