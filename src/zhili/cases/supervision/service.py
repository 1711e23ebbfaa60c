"""督办: supervision orders, and the timers that find overdue steps and late report-ins.

``tick`` is set-based (one UPDATE … RETURNING per kind of timer, then bulk inserts of the
events, audit rows and notifications) so that it stays fast over millions of open cases.
Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Insert,
    Integer,
    String,
    Table,
    and_,
    cast,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy import (
    case as sql_case,
)
from sqlalchemy.orm import Session

from zhili.cases.history import expect_version, step, tell_handler
from zhili.cases.models import Case, CaseEvent, Notification
from zhili.cases.scope import require
from zhili.cases.service import get_case
from zhili.cases.whistles.models import SummonsState, Whistle, WhistleSummons
from zhili.cases.workflow import OPEN, Action
from zhili.core.audit import AuditLog, request_id_var
from zhili.core.clock import utcnow
from zhili.core.db import UTCDateTime
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
    tell_handler(session, case, kind="supervise", message=f"督办：案件 {case.number}，{note}")
    return case


@dataclass
class TickResult:
    overdue_cases: int
    late_report_ins: int


def tick(session: Session, *, now: datetime | None = None) -> TickResult:
    """Run the supervision timers once: escalate newly overdue steps, flag late report-ins."""
    now = now or utcnow()
    session.flush()  # the set-based SQL below must see this session's pending changes
    if session.get_bind().dialect.name == "postgresql":
        overdue = _escalate_in_one_statement(session, now)
    else:
        overdue = _escalate_in_sequence(session, now)
    late = _late_report_ins(session, now)
    _expire_loaded(session, (Case, WhistleSummons))
    return TickResult(overdue_cases=overdue, late_report_ins=late)


# The tick never brings the cases it escalates into Python: every row it writes (flag, event,
# audit row, notices) is computed by the database from the case rows, so the 10 % of a
# million cases falling due at once is a handful of statements, not 400 000 parameter sets.


def _cases() -> Table:
    table = Case.__table__
    assert isinstance(table, Table)
    return table


def _due(table: Table, now: datetime) -> ColumnElement[bool]:
    return and_(
        table.c.state.in_(_OPEN_VALUES),
        table.c.overdue.is_(False),
        table.c.deadline_at < literal(now, UTCDateTime()),
    )


_ESCALATED = (
    "id",
    "event_seq",
    "state",
    "escalation_level",
    "handler_department_id",
    "handler_region_id",
    "street_id",
    "district_id",
    "number",
)


def _escalate_in_one_statement(session: Session, now: datetime) -> int:
    """PostgreSQL: UPDATE … RETURNING feeds the four INSERTs as data-modifying CTEs."""
    table = _cases()
    flagged = (
        update(table)
        .where(_due(table, now))
        .values(
            overdue=True,
            escalation_level=table.c.escalation_level + 1,
            event_seq=table.c.event_seq + 1,
            version=table.c.version + 1,
            updated_at=now,
        )
        .returning(*(table.c[name] for name in _ESCALATED))
        .cte("flagged")
    )
    writes = [
        stmt.cte(f"w{i}")
        for i, stmt in enumerate(_escalation_rows(flagged, now, json_object=func.json_build_object))
    ]
    count = session.execute(select(func.count()).select_from(flagged).add_cte(*writes)).scalar()
    return int(count or 0)


def _escalate_in_sequence(session: Session, now: datetime) -> int:
    """SQLite: the rows are written from the due cases first, then the cases are flagged.
    The transaction holds SQLite's single write lock throughout, so both see the same set."""
    table = _cases()
    due = (
        select(
            table.c.id,
            (table.c.event_seq + 1).label("event_seq"),
            table.c.state,
            (table.c.escalation_level + 1).label("escalation_level"),
            *(table.c[name] for name in _ESCALATED[4:]),
        )
        .where(_due(table, now))
        .subquery("due")
    )
    for stmt in _escalation_rows(due, now, json_object=func.json_object):
        session.execute(stmt)
    result = session.execute(
        update(table)
        .where(_due(table, now))
        .values(
            overdue=True,
            escalation_level=table.c.escalation_level + 1,
            event_seq=table.c.event_seq + 1,
            version=table.c.version + 1,
            updated_at=now,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _escalation_rows(src: FromClause, now: datetime, *, json_object: Any) -> list[Insert]:
    """INSERT … SELECT of the event, the audit row and the notices of each escalated case in
    ``src`` (columns as after the escalation: the new level and event number)."""
    c = src.c
    level = c.escalation_level
    at = literal(now, UTCDateTime())
    # the level above the unit: first the street, then the district (a street that handles
    # the case itself is the unit, so its district hears of it)
    above = sql_case(
        (and_(level == 1, c.street_id.is_distinct_from(c.handler_region_id)), c.street_id),
        else_=c.district_id,
    )
    json_true, json_false = _json_bools(json_object)
    message = (
        literal("案件 ")
        + c.number
        + literal(" 已超时，升级督办（第")
        + cast(level, String)
        + literal("级）")
    )
    events = insert(_table(CaseEvent)).from_select(
        [
            "case_id",
            "seq",
            "at",
            "actor_id",
            "actor_name",
            "action",
            "from_state",
            "to_state",
            "note",
            "data",
            "unit_department_id",
            "unit_region_id",
            "on_time",
        ],
        select(
            c.id,
            c.event_seq,
            at,
            null(),
            literal("系统"),
            literal(Action.overdue.value),
            c.state,
            c.state,
            null(),
            json_object(_key("escalation_level"), level, _key("notified_region_id"), above),
            c.handler_department_id,
            c.handler_region_id,
            false(),
        ),
    )
    audits = insert(_table(AuditLog)).from_select(
        [
            "at",
            "actor_id",
            "actor_username",
            "action",
            "entity_type",
            "entity_id",
            "before",
            "after",
            "request_id",
        ],
        select(
            at,
            null(),
            literal("system"),
            literal("case.overdue"),
            literal("case"),
            cast(c.id, String),
            json_object(_key("overdue"), json_false, _key("escalation_level"), level - 1),
            json_object(_key("overdue"), json_true, _key("escalation_level"), level),
            literal(request_id_var.get(), String),
        ),
    )
    columns = [
        "case_id",
        "kind",
        "message",
        "created_at",
        "recipient_department_id",
        "recipient_region_id",
    ]
    late = insert(_table(Notification)).from_select(
        columns,
        select(c.id, literal("overdue"), message, at, c.handler_department_id, c.handler_region_id),
    )
    escalation = insert(_table(Notification)).from_select(
        columns,
        select(c.id, literal("escalation"), message, at, cast(null(), Integer), above).where(
            above.is_not(None)
        ),
    )
    return [events, audits, late, escalation]


def _key(name: str) -> ColumnElement[Any]:
    # JSON keys as SQL text, not bound parameters: PostgreSQL cannot type a parameter passed
    # to json_build_object's variadic "any" arguments
    return literal_column(f"'{name}'")


def _json_bools(json_object: Any) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    if json_object is func.json_object:  # SQLite: json('true') is a JSON true, 1 would be 1
        return func.json(literal_column("'true'")), func.json(literal_column("'false'"))
    return literal_column("true"), literal_column("false")


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


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
