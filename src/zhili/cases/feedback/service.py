"""Residents on the public pages: the account their reports come in under, and their rating
of a closed case (群众评价). Services never commit.

Whoever holds a case's public number may rate it once per closing: the number is the
resident's receipt (random, ~10¹² values), as on the public progress page. The rating is the
case's 回访 result (resolved, satisfaction), so the centre's own return visit is no longer
needed for that closing and the 三率 count it once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.history import step
from zhili.cases.models import Case, CaseState, Satisfaction
from zhili.cases.service import get_by_number
from zhili.cases.workflow import Action
from zhili.core.clock import utcnow
from zhili.core.errors import Conflict, ValidationFailed
from zhili.core.security import Role
from zhili.org.users import service as users_service
from zhili.org.users.models import User

PUBLIC_USERNAME = "public-web"


def public_reporter(session: Session) -> User:
    """The citizen account reports from the public web page are taken in under.

    It has no password, so nobody can log in as it; made on first use.
    """
    user = session.scalar(select(User).where(User.username == PUBLIC_USERNAME))
    if user is None:
        user = users_service.create_user(
            session,
            actor=None,
            username=PUBLIC_USERNAME,
            full_name="网站群众",
            role=Role.citizen,
        )
    return user


def already_rated(case: Case) -> bool:
    return (
        case.visited_at is not None
        and case.closed_at is not None
        and case.visited_at >= case.closed_at
    )


def rate(
    session: Session,
    *,
    actor: User,
    number: str,
    resolved: bool,
    satisfaction: Satisfaction,
    comment: str | None = None,
) -> Case:
    """群众评价: the resident judges a closed case once per closing."""
    case = get_by_number(session, number)
    if case.state != CaseState.closed.value:
        raise Conflict(
            "rate a case after it is closed",
            "案件办结后才能评价",
            current_state=case.state,
        )
    if already_rated(case):
        raise Conflict(
            "this closing has been rated already", "本次办结已评价", current_state="rated"
        )
    if comment is not None and len(comment) > 500:
        raise ValidationFailed("comment", "at most 500 characters", "评价内容不超过500字")
    step(
        session,
        case,
        actor=actor,
        action=Action.visit,
        note=comment,
        data={"resolved": resolved, "satisfaction": satisfaction.value, "by": "resident"},
        changes={
            "resolved": resolved,
            "satisfaction": satisfaction.value,
            "visited_at": utcnow(),
        },
    )
    return case
