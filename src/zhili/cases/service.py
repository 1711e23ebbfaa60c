"""Case intake, registration and dispatch (受理 → 立案 → 派遣). Services never commit.

Handling, verification and return visits are in ``cases.handling``; whistles in
``cases.whistles``; deadlines and supervision in ``cases.supervision``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from zhili.cases import sla
from zhili.cases.categories.models import Category
from zhili.cases.history import CASE_AUDIT_FIELDS, expect_version, notify, step
from zhili.cases.models import Attachment, Case, CaseCaller, CaseEvent, CaseState, Channel
from zhili.cases.places import AddressResolver
from zhili.cases.schemas import CaseIntake
from zhili.cases.scope import require
from zhili.cases.storage import Storage, sniff
from zhili.cases.workflow import Action, check, intake_target
from zhili.core import audit
from zhili.core.calendar import CHINA_TZ, DeadlineRule
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.org.access import authorize
from zhili.org.geo import NO_GRID, GridIndexCache
from zhili.org.models import Department, Region, RegionLevel
from zhili.org.service import get_region, grid_index
from zhili.org.users.models import User

_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone
# Channels a resident may use themselves; staff channels need staff roles.
_CITIZEN_CHANNELS = {Channel.app, Channel.web}
_HANDLER_LEVELS = {RegionLevel.grid.value, RegionLevel.community.value, RegionLevel.street.value}


def new_case_number(now: datetime) -> str:
    """A public number residents can read out: date plus 8 random characters (≈ 10¹²)."""
    suffix = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))
    return f"{now:%Y%m%d}-{suffix}"


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


def _request_hash(data: CaseIntake) -> str:
    return hashlib.sha256(
        json.dumps(data.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()


def _locate(
    session: Session,
    *,
    cache: GridIndexCache,
    data: CaseIntake,
    resolve_address: AddressResolver | None,
) -> dict[str, object]:
    """Resolve the point, the standard address or the named area to grid, community, street
    and district (and, for an address, to the point and standard spelling stored)."""
    path: str | None = None
    found: dict[str, object] = {}
    if data.standard_address:
        place = resolve_address(session, data.standard_address) if resolve_address else None
        if place is None:
            raise ValidationFailed(
                "standard_address",
                "no standard address matches this text",
                "未找到匹配的标准地址，请核对地址或在地图上选点",
            )
        path = get_region(session, place.grid_id).path
        found = {"lon": place.lon, "lat": place.lat, "address": data.address or place.text}
    elif data.lon is not None and data.lat is not None:
        index = grid_index(session, cache=cache)
        grid_id = int(index.locate_region_ids([data.lon], [data.lat])[0])
        if grid_id == NO_GRID:
            raise ValidationFailed(
                "lon",
                "the point lies in no grid of this city",
                "该位置不在本市任何网格内，请核对位置",
            )
        path = index.paths[grid_id]
    elif data.region_id is not None:
        path = get_region(session, data.region_id).path
    if path is None:
        return {"region_path": None}
    ids = [int(x) for x in path.strip("/").split("/")]
    # path = /city/district/street/community/grid/: position tells the level
    names = ("district_id", "street_id", "community_id", "grid_id")
    located: dict[str, object] = {
        name: ids[i + 1] for i, name in enumerate(names) if i + 1 < len(ids)
    }
    located["region_path"] = path
    return located | found


def intake(
    session: Session,
    *,
    actor: User,
    cache: GridIndexCache,
    data: CaseIntake,
    idempotency_key: str | None = None,
    resolve_address: AddressResolver | None = None,
) -> tuple[Case, bool]:
    """Receive a case from a channel. Returns (case, replayed).

    With an idempotency key, a retry of the same request returns the case made the first
    time (replayed=True) and never a second case; the same key with a different request is
    a conflict.
    """
    authorize(session, actor=actor, permission=Permission.case_intake)
    if actor.role == Role.citizen and data.channel not in _CITIZEN_CHANNELS:
        raise Forbidden("residents report through app or web", "群众只能通过APP或网站反映问题")
    if data.answer and actor.role not in (Role.operator, Role.dispatcher, Role.admin):
        raise Forbidden("only operators answer on the spot", "只有话务员或调度员可以直接办结")
    if data.resolved_on_spot and actor.role not in (Role.gridder, Role.admin):
        raise Forbidden("only gridders resolve on the spot", "只有网格员可以自行处置")
    request_hash = _request_hash(data)
    if idempotency_key:
        # A key belongs to the account that sent it: another client's key never matches.
        idempotency_key = f"{actor.id}:{idempotency_key}"
        existing = session.scalar(_BY_IDEMPOTENCY_KEY, {"key": idempotency_key})
        if existing is not None:
            if existing.request_hash != request_hash:
                raise Conflict(
                    "Idempotency-Key reused for a different request",
                    "幂等键已用于另一请求",
                    current_state=existing.state,
                )
            return existing, True
    category = session.get(Category, data.category_id) if data.category_id else None
    if data.category_id and category is None:
        raise ValidationFailed("category_id", "unknown category", "案件类别不存在")
    now = utcnow()
    action = (
        Action.answer
        if data.answer
        else Action.resolve_on_spot
        if data.resolved_on_spot
        else Action.intake
    )
    state = intake_target(action)
    case = Case(
        number=new_case_number(now),
        title=data.title.strip(),
        description=data.description,
        channel=data.channel.value,
        urgency=data.urgency.value,
        category_id=data.category_id,
        state=state.value,
        **{"lon": data.lon, "lat": data.lat, "address": data.address}
        | _locate(session, cache=cache, data=data, resolve_address=resolve_address),
        reporter_name=None if data.anonymous else data.reporter_name,
        reporter_phone=None if data.anonymous else data.reporter_phone,
        reporter_user_id=actor.id if actor.role == Role.citizen else None,
        anonymous=data.anonymous,
        created_by_id=actor.id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=now,
        event_seq=1,
    )
    if state == CaseState.closed:
        case.closed_at = now
        case.close_reason = action.value
    else:
        # 按时派遣: the centre must register and dispatch within a few working hours.
        clock = sla.start_clock(now, _dispatch_rule(data.urgency.value), warn_share=0.8)
        case.step_started_at, case.warn_at, case.deadline_at = (
            clock.started_at,
            clock.warn_at,
            clock.deadline_at,
        )
        case.deadline_working = clock.working
    session.add(case)
    session.flush()  # the only flush: the case's id for the rows below
    # The first event, the caller and the audit row are plain Core INSERTs on the session's
    # connection (prebuilt statements, no unit of work): intake is the busiest write path.
    conn = session.connection()
    conn.execute(
        _INSERT_EVENT,
        {
            "case_id": case.id,
            "seq": 1,
            "at": now,
            "actor_id": actor.id,
            "actor_name": actor.full_name,
            "action": action.value,
            "from_state": None,
            "to_state": state.value,
            "note": data.answer or data.resolved_on_spot,
            "data": {"channel": data.channel.value},
            "unit_department_id": None,
            "unit_region_id": None,
            "on_time": None,
        },
    )
    conn.execute(
        _INSERT_CALLER,
        {
            "case_id": case.id,
            "source_case_id": case.id,
            "name": case.reporter_name,
            "phone": case.reporter_phone,
            "user_id": case.reporter_user_id,
            "channel": case.channel,
            "at": now,
        },
    )
    conn.execute(
        _INSERT_AUDIT,
        audit.entry(
            actor=actor,
            action=f"case.{action.value}",
            entity_type="case",
            entity_id=case.id,
            after=audit.snapshot(case, CASE_AUDIT_FIELDS),
            at=now,
        ),
    )
    return case, False


_INSERT_EVENT = insert(CaseEvent.__table__)  # type: ignore[arg-type]
_INSERT_CALLER = insert(CaseCaller.__table__)  # type: ignore[arg-type]
_INSERT_AUDIT = insert(audit.AuditLog.__table__)  # type: ignore[arg-type]
_BY_IDEMPOTENCY_KEY = select(Case).where(Case.idempotency_key == bindparam("key"))


def _dispatch_rule(urgency: str) -> DeadlineRule:
    if urgency == "emergency":
        return DeadlineRule(amount=15, unit="minutes", working=False)
    return DeadlineRule(amount=2, unit="hours", working=True)


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
        changes={"closed_at": now, "close_reason": "rejected", **_NO_CLOCK},
    )
    _tell_callers(
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
        changes={"closed_at": utcnow(), "close_reason": "answer", **_NO_CLOCK},
    )
    _tell_callers(
        session, case, kind="answered", message=f"您咨询的问题（{case.number}）答复如下：{reason}"
    )
    return case


_NO_CLOCK: dict[str, object] = {
    "step_started_at": None,
    "warn_at": None,
    "deadline_at": None,
    "overdue": False,
}


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
        changes={"merged_into_id": target.id, **_NO_CLOCK},
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


def _tell_callers(session: Session, case: Case, *, kind: str, message: str) -> None:
    for caller in session.scalars(select(CaseCaller).where(CaseCaller.case_id == case.id)):
        if caller.phone or caller.user_id:
            notify(
                session,
                case,
                kind=kind,
                message=message,
                phone=caller.phone,
                user_id=caller.user_id,
            )


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
