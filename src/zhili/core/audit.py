"""The append-only audit log: every state change writes one row in the same transaction.

Rows are never updated or deleted: the ORM refuses it here, and the migration installs
database triggers that refuse it for anyone connecting with SQL directly.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime
from zhili.core.security import Actor

# Set by the HTTP middleware (or the CLI) so that every row of one request shares an id.
request_id_var: ContextVar[str | None] = ContextVar("zhili_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # No foreign key: the log must outlive any change to the accounts it names.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)

    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)


def jsonable(value: Any) -> Any:
    """Turn a column value into something JSON can hold, losslessly enough to compare."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: jsonable(getattr(obj, name)) for name in fields}


def entry(
    *,
    actor: Actor | None,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The column values of one audit row, for callers that insert rows in bulk (Core)."""
    return {
        "at": at or utcnow(),
        "actor_id": actor.id if actor is not None else None,
        "actor_username": actor.username if actor is not None else "system",
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
        "request_id": request_id_var.get(),
    }


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row to the caller's transaction (committed or rolled back with it).

    ``actor`` is None only for the system itself (``zhili init`` creating the first admin,
    the demo generator); the row then says ``system``.
    """
    row = AuditLog(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_username=actor.username if actor is not None else "system",
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        request_id=request_id_var.get(),
    )
    session.add(row)
    return row


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditLog):
            raise PermissionError("the audit log is append-only")
