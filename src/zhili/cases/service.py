"""Case registration and dispatch (立案 → 派遣), and the cases domain's entry points.
Services never commit.

Intake (受理, one report or a feed's batch) is in ``cases.intake`` and re-exported here, so
other domains keep talking to ``cases.service``. Handling, verification and return visits
are in ``cases.handling``; whistles in ``cases.whistles``; deadlines and supervision in
``cases.supervision``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import sla
from zhili.cases.categories.models import Category
from zhili.cases.history import NO_CLOCK, expect_version, notify, step, tell_callers
from zhili.cases.intake.rows import new_case_number
from zhili.cases.intake.service import intake, intake_many
from zhili.cases.models import Attachment, Case, CaseCaller, CaseState
from zhili.cases.scope import require
from zhili.cases.storage import Storage, sniff
from zhili.cases.workflow import Action, check
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.org.models import Department, Region, RegionLevel
from zhili.org.users.models import User

__all__ = [  # the intake entry points, for the domains that receive cases
    "intake",
    "intake_many",
    "new_case_number",
]

_HANDLER_LEVELS = {RegionLevel.grid.value, RegionLevel.community.value, RegionLevel.street.value}


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case", case_id)
    return case


def get_by_number(session: Session, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound("case", number)
    return case


def register(
    session: Session,
    *,
    actor: User,
    case_id: int,
    version: int | None = None,
    category_id: int | None = None,
    urgency: str | None = None,
    note: str | None = None,
) -> Case:
    """立案: accept the case as valid, confirming or correcting its category and urgency."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_register)
    expect_version(case, version)
    changes: dict[str, object] = {}
    if category_id is not None:
        if session.get(Category, category_id) is None:
            raise ValidationFailed("category_id", "unknown category", "案件类别不存在")
        changes["category_id"] = category_id
    if urgency is not None:
        changes["urgency"] = urgency
    if (changes.get("category_id") or case.category_id) is None:
        raise ValidationFailed(
            "category_id", "a registered case needs a category", "立案前须确定案件类别"
        )
    step(session, case, actor=actor, action=Action.register, note=note, changes=changes)
    return case


def reject(
    session: Session, *, actor: User, case_id: int, reason: str, version: int | None = None
) -> Case:
    """不予立案: refuse the case with a reason the reporter is told."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_register)
    expect_version(case, version)
    if session.scalar(select(Case.id).where(Case.merged_into_id == case.id).limit(1)):
        # its merged duplicates would point at a refused case and their callers be lost
        raise Conflict(
            "duplicates were merged into this case",
            "该案件已并入其他来件，不能不予立案",
            current_state=case.state,
        )
    now = utcnow()
    step(
        session,
        case,
        actor=actor,
        action=Action.reject,
        note=reason,
        changes={"closed_at": now, "close_reason": "rejected", **NO_CLOCK},
    )
    tell_callers(
        session, case, kind="rejected", message=f"您反映的问题（{case.number}）不予立案：{reason}"
    )
    return case


def answer(
    session: Session, *, actor: User, case_id: int, reason: str, version: int | None = None
) -> Case:
    """直接办结: a question answered without dispatch."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_answer)
    expect_version(case, version)
    step(
        session,
        case,
        actor=actor,
        action=Action.answer,
        note=reason,
        changes={"closed_at": utcnow(), "close_reason": "answer", **NO_CLOCK},
    )
    tell_callers(
        session, case, kind="answered", message=f"您咨询的问题（{case.number}）答复如下：{reason}"
    )
    return case


def merge(
    session: Session,
    *,
    actor: User,
    case_id: int,
    into_case_id: int,
    version: int | None = None,
    note: str | None = None,
) -> Case:
    """The later case joins an earlier open one; its callers are kept and informed."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_register)
    expect_version(case, version)
    target = get_case(session, into_case_id)
    require(session, actor=actor, case=target, permission=Permission.case_register)
    if target.id == case.id or target.state in (CaseState.merged, CaseState.rejected):
        raise ValidationFailed(
            "into_case_id", "merge into another live case", "只能合并到另一件有效案件"
        )
    # both steps are checked before any caller moves, so a refusal leaves nothing behind
    check(case.state, Action.merge)
    check(target.state, Action.absorb)
    callers = session.scalars(select(CaseCaller).where(CaseCaller.case_id == case.id)).all()
    for caller in callers:
        caller.case_id = target.id
    # duplicates merged into this case follow it, so none points at a merged case; the move
    # is a step of their own history (an event and an audit row), like every change
    for earlier in session.scalars(select(Case).where(Case.merged_into_id == case.id)):
        step(
            session,
            earlier,
            actor=actor,
            action=Action.follow,
            data={"from": case.number, "into": target.number},
            changes={"merged_into_id": target.id},
        )
    step(
        session,
        case,
        actor=actor,
        action=Action.merge,
        note=note,
        data={"into": target.number},
        changes={"merged_into_id": target.id, **NO_CLOCK},
    )
    step(
        session,
        target,
        actor=actor,
        action=Action.absorb,
        note=f"并入重复案件 {case.number}",
        data={"merged": case.number},
    )
    for caller in callers:
        if caller.phone or caller.user_id:
            notify(
                session,
                case,
                kind="merged",
                phone=caller.phone,
                user_id=caller.user_id,
                message=f"您反映的问题已并入案件 {target.number} 一并办理，可凭该编号查询进度。",
            )
    return case


def dispatch(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    case_id: int,
    department_id: int | None = None,
    region_id: int | None = None,
    version: int | None = None,
    note: str | None = None,
) -> Case:
    """派遣: send the case to a department or to a grid/community/street (tiered handling)."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_register)
    expect_version(case, version)
    target_name = _check_target(session, case, department_id=department_id, region_id=region_id)
    category = session.get(Category, case.category_id) if case.category_id else None
    now = utcnow()
    # 按时派遣: was the dispatch inside the registration/dispatch clock started at intake?
    dispatched_on_time = case.deadline_at is None or now <= case.deadline_at
    clock = sla.start_clock(
        now, sla.handling_rule(category, case.urgency), warn_share=settings.warn_share
    )
    # A unit never has longer to accept a case than to fix it (a 24-natural-hour utility
    # case dispatched on a holiday must not get "2 working hours" ending after the holiday).
    respond_by = min(
        sla.calendar().deadline(now, sla.response_rule(category, case.urgency)), clock.deadline_at
    )
    step(
        session,
        case,
        actor=actor,
        action=Action.dispatch,
        note=note,
        data={
            "department_id": department_id,
            "region_id": region_id,
            "to": target_name,
            "on_time": dispatched_on_time,
            "deadline_at": clock.deadline_at,
        },
        changes={
            "handler_department_id": department_id,
            "handler_region_id": region_id,
            "dispatched_at": now,
            "respond_by": respond_by,
            "responded_at": None,
            "step_started_at": now,
            "warn_at": clock.warn_at,
            "deadline_at": clock.deadline_at,
            "deadline_working": clock.working,
            "overdue": False,
            "extension_requested": False,
        },
    )
    notify(
        session,
        case,
        kind="dispatched",
        department_id=department_id,
        region_id=region_id,
        message=f"新派遣案件 {case.number}：{case.title}，"
        f"请于 {respond_by.astimezone(CHINA_TZ):%m-%d %H:%M} 前签收",
    )
    return case


def _check_target(
    session: Session, case: Case, *, department_id: int | None, region_id: int | None
) -> str:
    if department_id is not None:
        dept = session.get(Department, department_id)
        if dept is None or not dept.is_active:
            raise ValidationFailed("department_id", "unknown department", "承办部门不存在")
        return dept.name
    assert region_id is not None
    region = session.get(Region, region_id)
    if region is None or region.level not in _HANDLER_LEVELS:
        raise ValidationFailed(
            "region_id", "dispatch to a grid, community or street", "只能派遣到网格、社区或街道"
        )
    if case.region_path and not case.region_path.startswith(region.path):
        raise ValidationFailed(
            "region_id", "that unit does not cover the case's place", "该单位不负责案件所在区域"
        )
    return region.name


def attach(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    storage: Storage,
    case_id: int,
    filename: str,
    data: bytes,
) -> Attachment:
    """Store evidence (photo, PDF, video) on a case; type is judged by content, not name."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_read)
    if actor.role == Role.citizen and case.reporter_user_id != actor.id:
        raise Forbidden("not your case", "只能为自己反映的问题上传附件")
    if not data:
        raise ValidationFailed("file", "the file is empty", "文件为空")
    if len(data) > settings.max_attachment_bytes:
        raise ValidationFailed(
            "file",
            f"larger than {_size(settings.max_attachment_bytes)}",
            f"文件超过 {_size(settings.max_attachment_bytes)} 上限",
        )
    content_type = sniff(data)
    if content_type is None:
        raise ValidationFailed(
            "file",
            "only JPEG, PNG, GIF, WebP, PDF or MP4",
            "仅支持 JPEG、PNG、GIF、WebP 图片及 PDF、MP4 文件",
        )
    key = storage.save(data)
    event = step(
        session,
        case,
        actor=actor,
        action=Action.attach,
        note=filename[:255],
        data={"content_type": content_type, "size": len(data)},
    )
    row = Attachment(
        case_id=case.id,
        event_seq=event.seq,
        filename=filename[:255],
        content_type=content_type,
        size=len(data),
        sha256=key.rsplit("/", 1)[-1],
        storage_key=key,
        uploaded_by_id=actor.id,
    )
    session.add(row)
    return row


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
