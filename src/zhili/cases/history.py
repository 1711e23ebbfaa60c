"""Writing one step of a case: the event, the audit row and the notifications, together."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.models import Case, CaseCaller, CaseEvent, CaseState, Notification
from zhili.cases.workflow import Action, check
from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.errors import Conflict
from zhili.org.users.models import User

# The changes that stop a case's clock (closing, rejecting, merging): no step is running.
NO_CLOCK: dict[str, object] = {
    "step_started_at": None,
    "warn_at": None,
    "deadline_at": None,
    "overdue": False,
}

CASE_AUDIT_FIELDS = (
    "state",
    "category_id",
    "urgency",
    "handler_region_id",
    "handler_department_id",
    "deadline_at",
    "escalation_level",
    "return_count",
    "rework_count",
    "reopen_count",
    "extension_count",
    "satisfaction",
    "resolved",
    "merged_into_id",
    "close_reason",
)


def expect_version(case: Case, version: int | None) -> None:
    """Refuse an action based on a stale read (another user acted in between)."""
    if version is not None and version != case.version:
        raise Conflict(
            f"case {case.number} changed since you read it (now version {case.version})",
            "案件已被他人处理，请刷新后重试",
            current_state=case.state,
        )


def step(
    session: Session,
    case: Case,
    *,
    actor: User | None,
    action: Action,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> CaseEvent:
    """Apply ``changes`` to ``case`` through the state machine and record the step.

    The new state comes from the workflow table, never from the caller, so no code path can
    move a case somewhere the table does not allow.
    """
    before = audit.snapshot(case, CASE_AUDIT_FIELDS)
    from_state = case.state
    to_state = check(from_state, action)
    if case.extension_requested and to_state != CaseState.handling:
        # a request for more time belongs to the handling step: it ends with it, so it can
        # neither be approved later nor greet a rework or a new unit as "pending"
        changes = {**(changes or {}), "extension_requested": False}
        data = {**(data or {}), "extension_voided": True}
    unit = (case.handler_department_id, case.handler_region_id)
    for key, value in (changes or {}).items():
        setattr(case, key, value)
    if action in (Action.dispatch, Action.escalate):
        unit = (case.handler_department_id, case.handler_region_id)
    case.state = to_state.value
    case.event_seq += 1
    event = CaseEvent(
        case_id=case.id,
        seq=case.event_seq,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else "系统",
        action=action.value,
        from_state=from_state,
        to_state=to_state.value,
        note=note,
        data=audit.jsonable(data) if data else None,
        unit_department_id=unit[0],
        unit_region_id=unit[1],
        on_time=(data or {}).get("on_time"),
    )
    session.add(event)
    audit.record(
        session,
        actor=actor,
        action=f"case.{action.value}",
        entity_type="case",
        entity_id=case.id,
        before=before,
        after=audit.snapshot(case, CASE_AUDIT_FIELDS),
    )
    return event


def notify(
    session: Session,
    case: Case,
    *,
    kind: str,
    message: str,
    user_id: int | None = None,
    phone: str | None = None,
    department_id: int | None = None,
    region_id: int | None = None,
) -> None:
    """Queue a message; a sender delivers the outbox after the transaction commits."""
    session.add(
        Notification(
            case_id=case.id,
            kind=kind,
            message=message,
            recipient_user_id=user_id,
            recipient_phone=phone,
            recipient_department_id=department_id,
            recipient_region_id=region_id,
        )
    )


def tell_handler(session: Session, case: Case, *, kind: str, message: str) -> None:
    """Queue ``message`` to the unit holding the case (its department and/or region)."""
    notify(
        session,
        case,
        kind=kind,
        department_id=case.handler_department_id,
        region_id=case.handler_region_id,
        message=message,
    )


def tell_callers(session: Session, case: Case, *, kind: str, message: str) -> None:
    """Queue ``message`` to every caller of the case who can be reached (phone or account)."""
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
