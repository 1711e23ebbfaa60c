"""Who may see and act on a case: role permissions plus the case's place or handler."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from zhili.cases.models import Case
from zhili.cases.whistles.models import Whistle, WhistleSummons
from zhili.core.errors import Forbidden, NotFound
from zhili.core.security import Permission, Role
from zhili.org.access import authorize, scope_region
from zhili.org.users.models import User

_REGION_HANDLER_ROLES = {Role.gridder, Role.community, Role.street}


def summoned(session: Session, case: Case, department_id: int | None) -> bool:
    if department_id is None:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    WhistleSummons.department_id == department_id,
                    WhistleSummons.whistle_id == Whistle.id,
                    Whistle.case_id == case.id,
                )
            )
        )
    )


def can_see(session: Session, actor: User, case: Case) -> bool:
    if actor.role == Role.admin and actor.region_id is None:
        return True
    if actor.role == Role.citizen:
        return case.reporter_user_id == actor.id
    if actor.role == Role.department:
        return case.handler_department_id == actor.department_id or summoned(
            session, case, actor.department_id
        )
    scope = scope_region(session, actor)
    if scope is None:
        return False
    # Cases with no known place belong to the city: only city-wide staff see them.
    return (case.region_path or "/").startswith(scope.path) or (
        case.region_path is None and scope.parent_id is None
    )


def require(session: Session, *, actor: User, case: Case, permission: Permission) -> None:
    """Role permission, then visibility; an invisible case is reported as not found."""
    authorize(session, actor=actor, permission=permission)
    if not can_see(session, actor, case):
        raise NotFound("case", case.number)


def is_handler(actor: User, case: Case) -> bool:
    if actor.role == Role.admin:
        return True
    if case.handler_department_id is not None:
        return actor.role == Role.department and actor.department_id == case.handler_department_id
    if case.handler_region_id is not None:
        return actor.role in _REGION_HANDLER_ROLES and actor.region_id == case.handler_region_id
    return False


def require_handler(session: Session, *, actor: User, case: Case) -> None:
    require(session, actor=actor, case=case, permission=Permission.case_handle)
    if not is_handler(actor, case):
        raise Forbidden("only the unit handling the case may do this", "只有承办单位可以执行此操作")
