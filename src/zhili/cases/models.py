"""Cases (案件), their event history, callers, whistles and the notification outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime, prefix_index

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Channel(StrEnum):
    hotline = "hotline"
    gridder = "gridder"
    app = "app"
    web = "web"
    petition = "petition"
    department = "department"
    sensor = "sensor"


class Urgency(StrEnum):
    normal = "normal"
    urgent = "urgent"
    emergency = "emergency"


class CaseState(StrEnum):
    received = "received"  # 受理: waiting for registration
    registered = "registered"  # 立案: waiting for dispatch (again, after a return or reopening)
    dispatched = "dispatched"  # 派遣: waiting for the unit to accept (签收)
    handling = "handling"  # 处置中
    handled = "handled"  # 处置反馈: waiting for on-site verification
    closed = "closed"  # 结案 (also 直接办结 and resolved on the spot)
    rejected = "rejected"  # 不予立案
    merged = "merged"  # joined an earlier case


OPEN_STATES = (
    CaseState.received,
    CaseState.registered,
    CaseState.dispatched,
    CaseState.handling,
    CaseState.handled,
)


class Satisfaction(StrEnum):
    satisfied = "satisfied"
    basic = "basic"
    unsatisfied = "unsatisfied"


class Case(Base):
    __tablename__ = "case"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # public: residents follow it
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("case_category.id"))
    state: Mapped[str] = mapped_column(String(16))
    # where: the point and the grid it fell in, with the chain above it kept on the row so that
    # queues filter by area without joins; `region_path` is the grid's materialised path.
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(255))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str | None] = mapped_column(String(255))
    # who reported it: private, masked on every read unless the reader may see it
    reporter_name: Mapped[str | None] = mapped_column(String(64))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # who holds it now: a region unit (grid/community/street, tiered handling) or a department
    handler_region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    handler_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    # the clock of the current step; yellow from `warn_at`, red from `deadline_at`
    step_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline_working: Mapped[bool] = mapped_column(Boolean, default=True)
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extension_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)  # set by the tick, kept
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    close_reason: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved: Mapped[bool | None] = mapped_column(Boolean)  # the resident's judgement at the visit
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)  # seq of the latest event
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config
    __table_args__ = (
        # The queues: open cases by state and deadline, by area, by unit; newest first.
        Index("ix_case_state_deadline", "state", "deadline_at"),
        # The supervision tick looks only at steps not yet found overdue.
        Index("ix_case_overdue_deadline", "overdue", "deadline_at"),
        prefix_index("ix_case_region_path_created", "region_path", "created_at"),
        Index("ix_case_handler_department_state", "handler_department_id", "state"),
        Index("ix_case_handler_region_state", "handler_region_id", "state"),
        Index("ix_case_created_at", "created_at"),
        Index("ix_case_category_created", "category_id", "created_at"),
    )


class CaseEvent(Base):
    """One step of a case's history; replaying them rebuilds the case's state."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The unit the step is counted for (the assessment reads these, never typed-in figures):
    # the new handler for a dispatch or escalation, otherwise the handler at the time.
    unit_department_id: Mapped[int | None] = mapped_column(Integer)
    unit_region_id: Mapped[int | None] = mapped_column(Integer)
    on_time: Mapped[bool | None] = mapped_column(Boolean)  # for steps with a time limit

    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_case_event_case_id_seq"),
        Index("ix_case_event_at_action", "at", "action"),
    )


class CaseCaller(Base):
    """Everyone who reported this problem; merged duplicates bring their callers here."""

    __tablename__ = "case_caller"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    source_case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(Base):
    """Outbox: written in the case's transaction, delivered (SMS, app push) after commit."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    recipient_user_id: Mapped[int | None] = mapped_column(Integer)
    recipient_phone: Mapped[str | None] = mapped_column(String(32))
    recipient_department_id: Mapped[int | None] = mapped_column(Integer)
    recipient_region_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class Attachment(Base):
    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    event_seq: Mapped[int | None] = mapped_column(Integer)  # evidence of which step
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
