"""吹哨报到: a street (or the centre) summons district departments to a case it cannot solve."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class WhistleType(StrEnum):
    daily = "daily"  # 日常哨
    tackling = "tackling"  # 攻坚哨
    emergency = "emergency"  # 应急哨


class WhistleState(StrEnum):
    open = "open"
    completed = "completed"


class SummonsRole(StrEnum):
    lead = "lead"  # 主办
    co = "co"  # 协办


class SummonsState(StrEnum):
    summoned = "summoned"
    reported = "reported"  # 报到
    done = "done"


class Whistle(Base):
    __tablename__ = "whistle"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    blown_by_region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    blown_by_user_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    blown_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WhistleSummons(Base):
    """One summoned department's part of a whistle: report in on time, then do its part."""

    __tablename__ = "whistle_summons"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    whistle_id: Mapped[int] = mapped_column(ForeignKey("whistle.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16))
    report_due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_late: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("whistle_id", "department_id", name="uq_whistle_summons_whistle_id"),
    )
