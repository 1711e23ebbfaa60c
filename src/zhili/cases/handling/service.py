"""Handling by the unit (签收 → 退回/升级/延期 → 处置结果), and the entry points of what
follows it: verification, closing and return visits live in ``cases.closing`` and are
re-exported here. Services never commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import sla
from zhili.cases.categories.models import Category
from zhili.cases.closing.service import verify, visit
from zhili.cases.history import expect_version, notify, step, tell_handler
from zhili.cases.models import Case, CaseEvent
from zhili.cases.scope import require, require_handler
from zhili.cases.service import get_case
from zhili.cases.whistles.models import Whistle, WhistleState
from zhili.cases.workflow import Action
from zhili.core.calendar import CHINA_TZ, DeadlineRule
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden
from zhili.core.security import Permission
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User

__all__ = ["verify", "visit"]  # with the steps below


def accept(
    session: Session,
    *,
    actor: User,
    case_id: int,
    version: int | None = None,
    note: str | None = None,
) -> Case:
    """签收: the unit takes the case on; this is its response (响应)."""
    case = get_case(session, case_id)
    require_handler(session, actor=actor, case=case)
    expect_version(case, version)
    now = utcnow()
    on_time = case.respond_by is None or now <= case.respond_by
    step(
        session,
        case,
        actor=actor,
        action=Action.accept,
        note=note,
        data={"on_time": on_time},
        changes={"responded_at": now},
    )
    return case


def return_case(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    case_id: int,
    reason: str,
    version: int | None = None,
) -> Case:
    """退单: a wrongly routed case goes back to the centre for re-dispatch."""
    case = get_case(session, case_id)
    require_handler(session, actor=actor, case=case)
    expect_version(case, version)
    if _open_whistle(session, case) is not None:
        raise Conflict(
            "a whistle is open on this case",
            "该案件有未完成的吹哨事项，不能退单",
            current_state=case.state,
        )
    now = utcnow()
    clock = sla.start_clock(
        now,
        DeadlineRule(amount=settings.dispatch_within_hours, unit="hours", working=True),
        warn_share=settings.warn_share,
    )
    step(
        session,
        case,
        actor=actor,
        action=Action.return_,
        note=reason,
        data={
            "from_department_id": case.handler_department_id,
            "from_region_id": case.handler_region_id,
        },
        changes={
            "handler_department_id": None,
            "handler_region_id": None,
            "return_count": case.return_count + 1,
            "step_started_at": now,
            "warn_at": clock.warn_at,
            "deadline_at": clock.deadline_at,
            "deadline_working": True,
            "overdue": False,
            "extension_requested": False,
        },
    )
    _tell_dispatcher(
        session, case, kind="returned", message=f"案件 {case.number} 被退单，请重新派遣：{reason}"
    )
    return case


def escalate(
    session: Session, *, actor: User, case_id: int, reason: str, version: int | None = None
) -> Case:
    """上报: 小事不出社区 — what the grid or community cannot fix goes up to the street."""
    case = get_case(session, case_id)
    require_handler(session, actor=actor, case=case)
    expect_version(case, version)
    if case.handler_region_id is None:
        raise Forbidden("only grids and communities escalate", "只有网格和社区可以上报街道")
    unit = session.get(Region, case.handler_region_id)
    assert unit is not None
    if unit.level == RegionLevel.street or unit.parent_id is None:
        raise Conflict(
            "the street blows a whistle instead", "街道无法解决时请吹哨", current_state=case.state
        )
    parent = session.get(Region, unit.parent_id)
    assert parent is not None
    # the unit taking it over gets the case's own response time from now (an emergency's 30
    # natural minutes, not 2 working hours), and, as at dispatch, no longer than the case
    # has left to be fixed
    now = utcnow()
    category = session.get(Category, case.category_id) if case.category_id else None
    respond_by = sla.calendar().deadline(now, sla.response_rule(category, case.urgency))
    if case.deadline_at is not None and now < case.deadline_at:
        respond_by = min(respond_by, case.deadline_at)
    # a grid escalates to its community, a community to its street
    step(
        session,
        case,
        actor=actor,
        action=Action.escalate,
        note=reason,
        data={"from_region_id": unit.id, "to_region_id": parent.id, "to": parent.name},
        changes={
            "handler_region_id": parent.id,
            "responded_at": None,
            "respond_by": respond_by,
        },
    )
    notify(
        session,
        case,
        kind="escalated",
        region_id=parent.id,
        message=f"{unit.name}上报案件 {case.number}：{reason}",
    )
    return case


def request_extension(
    session: Session,
    *,
    actor: User,
    case_id: int,
    days: int,
    reason: str,
    version: int | None = None,
) -> Case:
    """延期申请: the unit asks the centre for more working days."""
    case = get_case(session, case_id)
    require_handler(session, actor=actor, case=case)
    expect_version(case, version)
    if case.extension_requested:
        raise Conflict(
            "an extension request is pending", "已有待审批的延期申请", current_state=case.state
        )
    step(
        session,
        case,
        actor=actor,
        action=Action.request_extension,
        note=reason,
        data={"days": days},
        changes={"extension_requested": True},
    )
    _tell_dispatcher(
        session,
        case,
        kind="extension_requested",
        message=f"案件 {case.number} 申请延期 {days} 天：{reason}",
    )
    return case


def _tell_dispatcher(session: Session, case: Case, *, kind: str, message: str) -> None:
    """The centre's answer goes to whoever dispatched the case last (not to every operator)."""
    dispatcher_id = session.scalar(
        select(CaseEvent.actor_id)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == Action.dispatch.value)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
    if dispatcher_id is not None:
        notify(session, case, kind=kind, user_id=dispatcher_id, message=message)


def decide_extension(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    case_id: int,
    approve: bool,
    version: int | None = None,
    note: str | None = None,
) -> Case:
    """The centre approves (the deadline moves) or refuses a pending extension."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_register)
    expect_version(case, version)
    if not case.extension_requested:
        raise Conflict(
            "no extension request is pending", "没有待审批的延期申请", current_state=case.state
        )
    if not approve:
        step(
            session,
            case,
            actor=actor,
            action=Action.refuse_extension,
            note=note,
            changes={"extension_requested": False},
        )
        tell_handler(
            session,
            case,
            kind="extension_refused",
            message=f"案件 {case.number} 延期申请未获批准，请按原时限办结。{note or ''}",
        )
        return case
    requested = _last_requested_days(case, session)
    assert case.deadline_at is not None and case.step_started_at is not None
    warn, deadline = sla.extend(
        case.step_started_at,
        case.deadline_at,
        requested,
        working=case.deadline_working,
        warn_share=settings.warn_share,
    )
    step(
        session,
        case,
        actor=actor,
        action=Action.approve_extension,
        note=note,
        data={"days": requested, "deadline_at": deadline},
        changes={
            "extension_requested": False,
            "extension_count": case.extension_count + 1,
            "deadline_at": deadline,
            "warn_at": warn,
            "overdue": False,
        },
    )
    tell_handler(
        session,
        case,
        kind="extension_approved",
        message=f"案件 {case.number} 延期申请已批准，新的办理时限为 "
        f"{deadline.astimezone(CHINA_TZ):%m-%d %H:%M}。{note or ''}",
    )
    return case


def _last_requested_days(case: Case, session: Session) -> int:
    event = session.scalar(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == Action.request_extension.value)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
    assert event is not None and event.data is not None
    return int(event.data["days"])


def _open_whistle(session: Session, case: Case) -> Whistle | None:
    return session.scalar(
        select(Whistle).where(Whistle.case_id == case.id, Whistle.state == WhistleState.open.value)
    )


def submit_result(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    case_id: int,
    result: str,
    version: int | None = None,
) -> Case:
    """处置反馈: the unit reports what it did; the case waits for on-site verification."""
    case = get_case(session, case_id)
    require_handler(session, actor=actor, case=case)
    expect_version(case, version)
    if _open_whistle(session, case) is not None:
        raise Conflict(
            "the whistle's departments have not all finished",
            "吹哨事项尚未全部办结，不能反馈结果",
            current_state=case.state,
        )
    now = utcnow()
    on_time = case.deadline_at is None or now <= case.deadline_at
    clock = sla.start_clock(
        now,
        DeadlineRule(amount=settings.verify_within_days, unit="days", working=True),
        warn_share=settings.warn_share,
    )
    step(
        session,
        case,
        actor=actor,
        action=Action.submit_result,
        note=result,
        data={"on_time": on_time},
        changes={
            "step_started_at": now,
            "warn_at": clock.warn_at,
            "deadline_at": clock.deadline_at,
            "deadline_working": True,
            "overdue": False,
        },
    )
    return case
