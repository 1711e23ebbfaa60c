"""Reading cases: queues with filters and keyset pages, one case with its history, and the
public view by case number. Nothing here changes state, except that reading a reporter's
unmasked phone writes its audit row (a read of personal data is itself recorded).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from zhili.cases import sla
from zhili.cases.categories.models import Category
from zhili.cases.models import Attachment, Case, CaseCaller, CaseEvent, CaseState
from zhili.cases.schemas import CaseDetail, CaseOut, EventOut, PublicCase, PublicEvent
from zhili.cases.scope import is_handler, require
from zhili.cases.service import get_by_number, get_case
from zhili.cases.whistles.models import Whistle, WhistleSummons
from zhili.cases.workflow import ACTION_LABELS_ZH, STATE_LABELS_ZH, Action, allowed_actions
from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.errors import Forbidden, NotFound, ValidationFailed
from zhili.core.security import Permission, Role, mask_phone, role_allows
from zhili.org.access import authorize, scope_region
from zhili.org.models import Department, Region
from zhili.org.users.models import User

# Steps a resident sees on the public page; internal ones (supervision, audits) stay inside.
_PUBLIC_ACTIONS = {
    Action.intake,
    Action.register,
    Action.reject,
    Action.answer,
    Action.resolve_on_spot,
    Action.merge,
    Action.dispatch,
    Action.accept,
    Action.escalate,
    Action.whistle,
    Action.submit_result,
    Action.verify_pass,
    Action.verify_fail,
    Action.visit,
    Action.reopen,
}


@dataclass
class CaseFilter:
    states: Sequence[str] = ()
    region_id: int | None = None
    department_id: int | None = None
    handler_region_id: int | None = None
    category_id: int | None = None
    channel: str | None = None
    warning: sla.WarningLevel | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _scoped(session: Session, actor: User, query: Select[Case]) -> Select[Case]:
    if actor.role == Role.admin and actor.region_id is None:
        return query
    if actor.role == Role.citizen:
        return query.where(Case.reporter_user_id == actor.id)
    if actor.role == Role.department:
        summoned = exists().where(
            WhistleSummons.department_id == actor.department_id,
            WhistleSummons.whistle_id == Whistle.id,
            Whistle.case_id == Case.id,
        )
        return query.where(or_(Case.handler_department_id == actor.department_id, summoned))
    scope = scope_region(session, actor)
    if scope is None:
        return query.where(false())
    inside = Case.region_path.startswith(scope.path)
    if scope.parent_id is None:  # city-wide staff also see cases with no known place
        inside = or_(inside, Case.region_path.is_(None))
    return query.where(inside)


def _encode(created_at: datetime, case_id: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{case_id}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), int(case_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("cursor", "malformed cursor", "分页游标无效") from exc


def list_cases(
    session: Session,
    *,
    actor: User,
    filters: CaseFilter,
    limit: int = 50,
    cursor: str | None = None,
    with_total: bool = False,
) -> tuple[list[CaseOut], str | None, int | None]:
    """A queue page, newest first; keyset pagination stays fast however deep one pages."""
    authorize(session, actor=actor, permission=Permission.case_read)
    query = _scoped(session, actor, select(Case))
    now = utcnow()
    f = filters
    if f.states:
        query = query.where(Case.state.in_(list(f.states)))
    if f.region_id is not None:
        region = session.get(Region, f.region_id)
        if region is None:
            raise ValidationFailed("region_id", "unknown region", "区域不存在")
        query = query.where(Case.region_path.startswith(region.path))
    if f.department_id is not None:
        query = query.where(Case.handler_department_id == f.department_id)
    if f.handler_region_id is not None:
        query = query.where(Case.handler_region_id == f.handler_region_id)
    if f.category_id is not None:
        query = query.where(Case.category_id == f.category_id)
    if f.channel:
        query = query.where(Case.channel == f.channel)
    if f.created_from:
        query = query.where(Case.created_at >= f.created_from)
    if f.created_to:
        query = query.where(Case.created_at < f.created_to)
    if f.q:
        query = query.where(or_(Case.title.contains(f.q), Case.number == f.q))
    if f.warning == sla.WarningLevel.red:
        query = query.where(Case.deadline_at <= now)
    elif f.warning == sla.WarningLevel.yellow:
        query = query.where(Case.warn_at <= now, Case.deadline_at > now)
    elif f.warning == sla.WarningLevel.normal:
        query = query.where(or_(Case.deadline_at.is_(None), Case.warn_at > now))
    total = None
    if with_total:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if cursor:
        at, last_id = _decode(cursor)
        query = query.where(
            or_(Case.created_at < at, and_(Case.created_at == at, Case.id < last_id))
        )
    rows = session.scalars(
        query.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [present(session, actor=actor, case=c, now=now) for c in rows]
    next_cursor = _encode(rows[-1].created_at, rows[-1].id) if more and rows else None
    return items, next_cursor, total


def present(
    session: Session, *, actor: User, case: Case, now: datetime | None = None, unmask: bool = False
) -> CaseOut:
    # Write the request's pending step first: the version shown must be the one committed,
    # or a client sending it back with its next step would be refused as stale.
    session.flush()
    out = CaseOut.model_validate(case)
    out.state_zh = STATE_LABELS_ZH[CaseState(case.state)]
    out.warning = sla.warning_at(now or utcnow(), case.warn_at, case.deadline_at)
    out.allowed_actions = [a.value for a in allowed_actions(CaseState(case.state))]
    own = actor.role == Role.citizen and case.reporter_user_id == actor.id
    if unmask and not own:
        if not role_allows(actor.role, Permission.personal_data_read):
            raise Forbidden("may not read personal data", "无权查看群众个人信息")
        audit.record(
            session,
            actor=actor,
            action="personal_data.read",
            entity_type="case",
            entity_id=case.id,
            after={"fields": ["reporter_name", "reporter_phone"]},
        )
    elif not own:
        out.reporter_phone = mask_phone(case.reporter_phone)
        if case.reporter_name:
            out.reporter_name = case.reporter_name[0] + "*" * (len(case.reporter_name) - 1)
    return out


def detail(session: Session, *, actor: User, case_id: int, unmask: bool = False) -> CaseDetail:
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_read)
    out = CaseDetail.model_validate(
        present(session, actor=actor, case=case, unmask=unmask).model_dump()
    )
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    out.events = [EventOut.model_validate(e) for e in events]
    for e in out.events:
        e.action_zh = ACTION_LABELS_ZH.get(Action(e.action), e.action)
    out.callers = session.scalar(select(func.count()).where(CaseCaller.case_id == case.id)) or 0
    if not is_handler(actor, case) and actor.role not in (Role.admin, Role.dispatcher):
        out.allowed_actions = [a for a in out.allowed_actions if a in ("supervise", "visit")]
    return out


def attachment(session: Session, *, actor: User, case_id: int, attachment_id: int) -> Attachment:
    """One piece of evidence, for whoever may read its case (a resident: their own report);
    an attachment of another case, or of an invisible one, is not found."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_read)
    if actor.role == Role.citizen and case.reporter_user_id != actor.id:
        raise NotFound("case", case.number)
    found = session.get(Attachment, attachment_id)
    if found is None or found.case_id != case.id:
        raise NotFound("attachment", attachment_id)
    return found


def events_of(session: Session, case_id: int) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
        )
    )


def public_view(session: Session, *, number: str) -> PublicCase:
    """Progress anyone with the number may see: no names, phones, notes or addresses."""
    case = get_by_number(session, number)
    category = session.get(Category, case.category_id) if case.category_id else None
    handler = None
    if case.handler_department_id:
        dept = session.get(Department, case.handler_department_id)
        handler = dept.name if dept else None
    elif case.handler_region_id:
        unit = session.get(Region, case.handler_region_id)
        handler = unit.name if unit else None
    steps = [
        PublicEvent(at=e.at, step=ACTION_LABELS_ZH[Action(e.action)])
        for e in events_of(session, case.id)
        if Action(e.action) in _PUBLIC_ACTIONS
    ]
    return PublicCase(
        number=case.number,
        title=case.title,
        category=category.name if category else None,
        state=case.state,
        state_zh=STATE_LABELS_ZH[CaseState(case.state)],
        created_at=case.created_at,
        deadline_at=case.deadline_at,
        closed_at=case.closed_at,
        handler=handler,
        steps=steps,
    )
