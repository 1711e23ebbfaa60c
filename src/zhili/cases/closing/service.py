"""Verification on site, closing and the return visit (核查 → 结案 → 回访).

Services never commit. Re-exported by ``cases.handling.service``, whose steps come before.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import sla
from zhili.cases.categories.models import Category
from zhili.cases.history import (
    NO_CLOCK,
    expect_version,
    step,
    tell_callers,
    tell_handler,
)
from zhili.cases.models import Case, CaseEvent
from zhili.cases.scope import require
from zhili.cases.service import get_case
from zhili.cases.workflow import Action
from zhili.core.calendar import DeadlineRule
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.org.users.models import User


def verify(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    case_id: int,
    passed: bool,
    version: int | None = None,
    note: str | None = None,
) -> Case:
    """核查: the gridder or community checks on site; a failure sends it back (返工)."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_verify)
    expect_version(case, version)
    if actor.role not in (Role.gridder, Role.community, Role.street, Role.admin):
        raise Forbidden("verification is done on site", "核查须由网格员或社区现场进行")
    now = utcnow()
    # 按时核实: verified within the verification clock started by the handling result
    on_time = case.deadline_at is None or now <= case.deadline_at
    if passed:
        # 按期结案 counts a closing whose handling result itself came before the deadline
        result_on_time = session.scalar(
            select(CaseEvent.on_time)
            .where(CaseEvent.case_id == case.id, CaseEvent.action == Action.submit_result.value)
            .order_by(CaseEvent.seq.desc())
            .limit(1)
        )
        step(
            session,
            case,
            actor=actor,
            action=Action.verify_pass,
            note=note,
            data={"on_time": on_time, "result_on_time": bool(result_on_time)},
            changes={"closed_at": now, "close_reason": "verified", **NO_CLOCK},
        )
        tell_callers(
            session,
            case,
            kind="closed",
            message=f"您反映的问题（{case.number}）已办结，稍后将回访，感谢支持。",
        )
        return case
    # rework (返工): the unit gets the category's handling time again, from now
    category = session.get(Category, case.category_id) if case.category_id else None
    clock = sla.start_clock(
        now, sla.handling_rule(category, case.urgency), warn_share=settings.warn_share
    )
    step(
        session,
        case,
        actor=actor,
        action=Action.verify_fail,
        note=note,
        data={"on_time": on_time},
        changes={
            "rework_count": case.rework_count + 1,
            "step_started_at": now,
            "warn_at": clock.warn_at,
            "deadline_at": clock.deadline_at,
            "deadline_working": clock.working,
            "overdue": False,
        },
    )
    tell_handler(
        session, case, kind="rework", message=f"案件 {case.number} 核查未通过，请返工：{note or ''}"
    )
    return case


def visit(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    case_id: int,
    resolved: bool,
    satisfaction: str,
    reopen: bool = False,
    version: int | None = None,
    note: str | None = None,
) -> Case:
    """回访: the resident judges the result; unresolved or unsatisfied may reopen (重办)."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_visit)
    expect_version(case, version)
    if (
        case.visited_at is not None
        and case.closed_at is not None
        and case.visited_at >= case.closed_at
    ):
        raise Conflict(
            "this closing has been visited already", "本次结案已回访", current_state=case.state
        )
    unhappy = not resolved or satisfaction == "unsatisfied"
    if reopen and not unhappy:
        raise ValidationFailed(
            "reopen",
            "only an unresolved or unsatisfied case reopens",
            "只有未解决或不满意的案件可以重办",
        )
    if reopen and case.reopen_count >= settings.reopen_limit:
        raise Conflict(
            f"reopened {case.reopen_count} times already (limit {settings.reopen_limit})",
            f"已重办{case.reopen_count}次，达到上限",
            current_state=case.state,
        )
    now = utcnow()
    step(
        session,
        case,
        actor=actor,
        action=Action.visit,
        note=note,
        data={"resolved": resolved, "satisfaction": satisfaction},
        changes={"resolved": resolved, "satisfaction": satisfaction, "visited_at": now},
    )
    if reopen:
        clock = sla.start_clock(
            now,
            DeadlineRule(amount=settings.dispatch_within_hours, unit="hours", working=True),
            warn_share=settings.warn_share,
        )
        step(
            session,
            case,
            actor=actor,
            action=Action.reopen,
            note=note,
            changes={
                "reopen_count": case.reopen_count + 1,
                "closed_at": None,
                "close_reason": None,
                "handler_department_id": None,
                "handler_region_id": None,
                "step_started_at": now,
                "warn_at": clock.warn_at,
                "deadline_at": clock.deadline_at,
                "deadline_working": True,
                "overdue": False,
            },
        )
    return case
