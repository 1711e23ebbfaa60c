"""吹哨报到: blow a whistle, report in, finish each part. Services never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.history import expect_version, notify, step
from zhili.cases.models import Case
from zhili.cases.scope import require
from zhili.cases.service import get_case
from zhili.cases.whistles.models import (
    SummonsRole,
    SummonsState,
    Whistle,
    WhistleState,
    WhistleSummons,
    WhistleType,
)
from zhili.cases.workflow import Action, check
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.org.access import scope_region
from zhili.org.models import Department, Region, RegionLevel
from zhili.org.users.models import User

WHISTLE_LABELS_ZH = {
    WhistleType.daily: "日常哨",
    WhistleType.tackling: "攻坚哨",
    WhistleType.emergency: "应急哨",
}


def report_in_limit(settings: Settings, whistle_type: WhistleType) -> timedelta:
    minutes = {
        WhistleType.daily: settings.whistle_daily_minutes,
        WhistleType.tackling: settings.whistle_tackling_minutes,
        WhistleType.emergency: settings.whistle_emergency_minutes,
    }[whistle_type]
    return timedelta(minutes=minutes)


def blow(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    case_id: int,
    type: WhistleType,
    reason: str,
    departments: Sequence[tuple[int, SummonsRole]],
    version: int | None = None,
) -> Whistle:
    """街道吹哨: the street handling the case (or the centre) summons departments."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_whistle)
    expect_version(case, version)
    check(case.state, Action.whistle)  # before anything is written: a refusal leaves nothing
    blower = _blowing_unit(session, actor, case)
    if session.scalar(
        select(Whistle.id).where(
            Whistle.case_id == case.id, Whistle.state == WhistleState.open.value
        )
    ):
        raise Conflict(
            "a whistle is already open on this case",
            "该案件已有未完成的吹哨",
            current_state=case.state,
        )
    depts = {
        d.id: d
        for d in session.scalars(
            select(Department).where(Department.id.in_([d for d, _ in departments]))
        )
    }
    missing = [d for d, _ in departments if d not in depts or not depts[d].is_active]
    if missing:
        raise ValidationFailed(
            "departments", f"unknown departments {missing}", "被召集的部门不存在"
        )
    now = utcnow()
    due = now + report_in_limit(settings, type)
    whistle = Whistle(
        case_id=case.id,
        type=type.value,
        state=WhistleState.open.value,
        blown_by_region_id=blower.id,
        blown_by_user_id=actor.id,
        reason=reason,
        blown_at=now,
    )
    session.add(whistle)
    session.flush()
    for dept_id, role in departments:
        session.add(
            WhistleSummons(
                whistle_id=whistle.id,
                department_id=dept_id,
                role=role.value,
                state=SummonsState.summoned.value,
                report_due_at=due,
            )
        )
        notify(
            session,
            case,
            kind="whistle",
            department_id=dept_id,
            message=f"{blower.name}吹响{WHISTLE_LABELS_ZH[type]}（案件 {case.number}），"
            f"请于 {due.astimezone(CHINA_TZ):%m-%d %H:%M} 前报到：{reason}",
        )
    step(
        session,
        case,
        actor=actor,
        action=Action.whistle,
        note=reason,
        data={
            "whistle_id": whistle.id,
            "type": type.value,
            "report_due_at": due,
            "departments": [
                {"id": d, "name": depts[d].name, "role": r.value} for d, r in departments
            ],
        },
    )
    return whistle


def _blowing_unit(session: Session, actor: User, case: Case) -> Region:
    """The street handling the case, or the centre (中心吹哨: a dispatcher's own unit)."""
    scope = scope_region(session, actor)
    if actor.role == Role.street:
        if case.handler_region_id is None or case.handler_region_id != actor.region_id:
            raise Forbidden(
                "only the street handling the case blows its whistle",
                "只有承办街道可以对该案件吹哨",
            )
        assert scope is not None
        return scope
    if actor.role in (Role.dispatcher, Role.admin) and scope is not None:
        return scope
    if actor.role == Role.admin:
        root = session.scalar(select(Region).where(Region.level == RegionLevel.city.value))
        if root is not None:
            return root
    raise Forbidden("whistles are blown by streets or the centre", "只有街道或综治中心可以吹哨")


def _summons_for(
    session: Session, actor: User, whistle_id: int, action: Action
) -> tuple[Whistle, WhistleSummons, Case]:
    whistle = session.get(Whistle, whistle_id)
    if whistle is None:
        raise NotFound("whistle", whistle_id)
    case = get_case(session, whistle.case_id)
    require(session, actor=actor, case=case, permission=Permission.case_report_in)
    summons = session.scalar(
        select(WhistleSummons).where(
            WhistleSummons.whistle_id == whistle.id,
            WhistleSummons.department_id == actor.department_id,
        )
    )
    if summons is None:
        raise Forbidden("your department was not summoned", "本部门未被召集")
    if whistle.state != WhistleState.open.value:
        raise Conflict("the whistle is completed", "该吹哨事项已完成", current_state=whistle.state)
    check(case.state, action)  # the case must allow the step before the summons changes
    return whistle, summons, case


def report_in(
    session: Session, *, actor: User, whistle_id: int, note: str | None = None
) -> WhistleSummons:
    """报到: the department acknowledges the whistle; late if after its response time."""
    whistle, summons, case = _summons_for(session, actor, whistle_id, Action.report_in)
    if summons.state != SummonsState.summoned.value:
        raise Conflict("already reported in", "已报到", current_state=summons.state)
    now = utcnow()
    summons.state = SummonsState.reported.value
    summons.reported_at = now
    summons.reported_late = now > summons.report_due_at
    step(
        session,
        case,
        actor=actor,
        action=Action.report_in,
        note=note,
        data={
            "whistle_id": whistle.id,
            "department_id": summons.department_id,
            "late": summons.reported_late,
        },
    )
    return summons


def finish_part(session: Session, *, actor: User, whistle_id: int, result: str) -> WhistleSummons:
    """The department's part is done; the whistle completes when every part is."""
    whistle, summons, case = _summons_for(session, actor, whistle_id, Action.part_done)
    if summons.state != SummonsState.reported.value:
        raise Conflict("report in first", "请先报到", current_state=summons.state)
    now = utcnow()
    summons.state = SummonsState.done.value
    summons.result = result
    summons.done_at = now
    step(
        session,
        case,
        actor=actor,
        action=Action.part_done,
        note=result,
        data={
            "whistle_id": whistle.id,
            "department_id": summons.department_id,
            "role": summons.role,
        },
    )
    session.flush()
    parts = session.scalars(
        select(WhistleSummons).where(WhistleSummons.whistle_id == whistle.id)
    ).all()
    if all(p.state == SummonsState.done.value for p in parts):
        whistle.state = WhistleState.completed.value
        whistle.completed_at = now
        step(
            session,
            case,
            actor=None,
            action=Action.whistle_completed,
            data={"whistle_id": whistle.id},
        )
        notify(
            session,
            case,
            kind="whistle_completed",
            region_id=whistle.blown_by_region_id,
            message=f"案件 {case.number} 的吹哨事项各部门均已办结，请反馈处置结果",
        )
    return summons


def whistles_of(session: Session, case_id: int) -> list[tuple[Whistle, list[WhistleSummons]]]:
    whistles = session.scalars(
        select(Whistle).where(Whistle.case_id == case_id).order_by(Whistle.id)
    ).all()
    return [
        (
            w,
            list(
                session.scalars(
                    select(WhistleSummons)
                    .where(WhistleSummons.whistle_id == w.id)
                    .order_by(WhistleSummons.id)
                )
            ),
        )
        for w in whistles
    ]
