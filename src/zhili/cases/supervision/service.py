"""督办: supervision orders, and the timers that find overdue steps and late report-ins.

``tick`` is set-based (one UPDATE … RETURNING per kind of timer, then bulk inserts of the
events, audit rows and notifications) so that it stays fast over millions of open cases.
Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from zhili.cases.history import expect_version, notify, step
from zhili.cases.models import Case, CaseEvent, Notification
from zhili.cases.scope import require
from zhili.cases.service import get_case
from zhili.cases.whistles.models import SummonsState, Whistle, WhistleSummons
from zhili.cases.workflow import OPEN, Action
from zhili.core.audit import AuditLog, request_id_var
from zhili.core.clock import utcnow
from zhili.core.security import Permission
from zhili.org.users.models import User

_OPEN_VALUES = [s.value for s in OPEN]


def supervise(
    session: Session, *, actor: User, case_id: int, note: str, version: int | None = None
) -> Case:
    """A supervision order (督办单) to the unit holding the case."""
    case = get_case(session, case_id)
    require(session, actor=actor, case=case, permission=Permission.case_supervise)
    expect_version(case, version)
    step(
        session,
        case,
        actor=actor,
        action=Action.supervise,
        note=note,
        data={"department_id": case.handler_department_id, "region_id": case.handler_region_id},
    )
    notify(
        session,
        case,
        kind="supervise",
        department_id=case.handler_department_id,
        region_id=case.handler_region_id,
        message=f"督办：案件 {case.number}，{note}",
    )
    return case


@dataclass
class TickResult:
    overdue_cases: int
    late_report_ins: int


def tick(session: Session, *, now: datetime | None = None) -> TickResult:
    """Run the supervision timers once: escalate newly overdue steps, flag late report-ins."""
    now = now or utcnow()
    session.flush()  # the set-based SQL below must see this session's pending changes
    table = Case.__table__
    assert isinstance(table, Table)
    rows = session.execute(
        update(table)
        .where(
            table.c.state.in_(_OPEN_VALUES), table.c.overdue.is_(False), table.c.deadline_at < now
        )
        .values(
            overdue=True,
            escalation_level=table.c.escalation_level + 1,
            event_seq=table.c.event_seq + 1,
            version=table.c.version + 1,
            updated_at=now,
        )
        .returning(
            table.c.id,
            table.c.event_seq,
            table.c.state,
            table.c.escalation_level,
            table.c.handler_department_id,
            table.c.handler_region_id,
            table.c.street_id,
            table.c.district_id,
            table.c.number,
        )
    ).all()
    events: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    rid = request_id_var.get()
    for r in rows:
        # Escalate to the level above the unit: first the street, then the district.
        # (a street that handles the case itself is the unit, so its district hears of it).
        above = (
            r.street_id
            if r.escalation_level == 1 and r.street_id != r.handler_region_id
            else r.district_id
        )
        events.append(
            {
                "case_id": r.id,
                "seq": r.event_seq,
                "at": now,
                "actor_id": None,
                "actor_name": "系统",
                "action": Action.overdue.value,
                "from_state": r.state,
                "to_state": r.state,
                "note": None,
                "data": {"escalation_level": r.escalation_level, "notified_region_id": above},
                "unit_department_id": r.handler_department_id,
                "unit_region_id": r.handler_region_id,
                "on_time": False,
            }
        )
        audits.append(
            {
                "at": now,
                "actor_id": None,
                "actor_username": "system",
                "action": "case.overdue",
                "entity_type": "case",
                "entity_id": str(r.id),
                "before": {"overdue": False, "escalation_level": r.escalation_level - 1},
                "after": {"overdue": True, "escalation_level": r.escalation_level},
                "request_id": rid,
            }
        )
        msg = f"案件 {r.number} 已超时，升级督办（第{r.escalation_level}级）"
        notes.append(
            {
                "case_id": r.id,
                "kind": "overdue",
                "message": msg,
                "created_at": now,
                "recipient_department_id": r.handler_department_id,
                "recipient_region_id": r.handler_region_id,
            }
        )
        if above is not None:
            notes.append(
                {
                    "case_id": r.id,
                    "kind": "escalation",
                    "message": msg,
                    "created_at": now,
                    "recipient_department_id": None,
                    "recipient_region_id": above,
                }
            )
    _bulk(session, events, audits, notes)
    late = _late_report_ins(session, now)
    _expire_loaded(session, (Case, WhistleSummons))
    return TickResult(overdue_cases=len(rows), late_report_ins=late)


def _expire_loaded(session: Session, models: tuple[type[Any], ...]) -> None:
    """The UPDATEs above went behind the ORM's back: objects this session already holds
    would keep their old flags and version (a StaleDataError at the next change). They are
    expired, so they reload on next use; the session was flushed first, so nothing is lost."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, models):
            session.expire(obj)


def _late_report_ins(session: Session, now: datetime) -> int:
    summons = WhistleSummons.__table__
    assert isinstance(summons, Table)
    late = session.execute(
        update(summons)
        .where(
            summons.c.state == SummonsState.summoned.value,
            summons.c.reported_late.is_(False),
            summons.c.report_due_at < now,
        )
        .values(reported_late=True)
        .returning(summons.c.whistle_id, summons.c.department_id)
    ).all()
    if not late:
        return 0
    case_of = {
        w: c
        for w, c in session.execute(
            select(Whistle.id, Whistle.case_id).where(Whistle.id.in_({r.whistle_id for r in late}))
        )
    }
    notes = [
        {
            "case_id": case_of[r.whistle_id],
            "kind": "late_report_in",
            "created_at": now,
            "message": "吹哨报到已超时，请立即报到",
            "recipient_department_id": r.department_id,
            "recipient_region_id": None,
        }
        for r in late
    ]
    audits = [
        {
            "at": now,
            "actor_id": None,
            "actor_username": "system",
            "action": "whistle.late_report_in",
            "entity_type": "whistle",
            "entity_id": str(r.whistle_id),
            "before": None,
            "after": {"department_id": r.department_id},
            "request_id": request_id_var.get(),
        }
        for r in late
    ]
    _bulk(session, [], audits, notes)
    return len(late)


def _bulk(
    session: Session,
    events: list[dict[str, Any]],
    audits: list[dict[str, Any]],
    notes: list[dict[str, Any]],
) -> None:
    # render_nulls: a None is sent as NULL rather than leaving its column out of the INSERT.
    # Without it the ORM starts a new batch wherever the set of None columns changes (say a
    # notification to a department, then one to a region), which on a real tick means one
    # INSERT per row or two. None of these columns has a default that leaving it out would
    # apply, and JSON columns send None either way, so the rows written are the same.
    for model, rows in ((CaseEvent, events), (AuditLog, audits), (Notification, notes)):
        stmt = insert(model).execution_options(render_nulls=True)
        for start in range(0, len(rows), 5000):
            session.execute(stmt, rows[start : start + 5000])
