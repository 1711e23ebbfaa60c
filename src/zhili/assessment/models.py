"""Two-way whistle assessment, score adjustments and frozen monthly rankings.

The rates themselves are never stored: they are computed from case events on demand. What is
stored here is what people decide (ratings, adjustments) and what is published (rankings).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.assessment.metrics import METRICS
from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime


class WhistleRating(Base):
    """一案一评: the street rates one summoned department on one key whistle (1–5 each)."""

    __tablename__ = "whistle_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    whistle_id: Mapped[int] = mapped_column(ForeignKey("whistle.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    report_in: Mapped[int] = mapped_column(Integer)
    result: Mapped[int] = mapped_column(Integer)
    attitude: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("whistle_id", "department_id", name="uq_whistle_rating_whistle_id"),
    )


class WhistleFeedback(Base):
    """A summoned department rates the street's whistle: was it needed, was it well blown."""

    __tablename__ = "whistle_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    whistle_id: Mapped[int] = mapped_column(ForeignKey("whistle.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    needless: Mapped[bool] = mapped_column(Boolean)
    quality: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("whistle_id", "department_id", name="uq_whistle_feedback_whistle_id"),
    )


class ScoreAdjustment(Base):
    """加减分: points added or subtracted directly, with a reason; counts once approved."""

    __tablename__ = "score_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_kind: Mapped[str] = mapped_column(String(16))  # department | district | street | …
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # "2026-10"
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # proposed | approved | refused
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RankingSnapshot(Base):
    """A published monthly ranking: its rows are frozen and never recomputed."""

    __tablename__ = "ranking_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    month: Mapped[str] = mapped_column(String(7))
    scope_region_id: Mapped[int | None] = mapped_column(Integer)
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)  # weights and small-sample rule used
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("level", "month", name="uq_ranking_snapshot_level"),)


def _rollup_table() -> Table:
    """Per unit and per day (grain "d") or month (grain "m"): every metric's n and d.

    Derived from case events by ``service.refresh_rollup`` up to a watermark event id;
    scorecards add the live tail beyond the watermark, so figures are always exact.
    """
    columns: list[Column[Any]] = [
        # key order = the scorecard query's order: one level, one grain, a range of days
        Column("kind", String(16), primary_key=True),
        Column("grain", String(1), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("unit_id", Integer, primary_key=True),
    ]
    for m in METRICS:
        columns.append(Column(f"{m.code}__n", Integer, nullable=False, default=0))
        columns.append(Column(f"{m.code}__d", Integer, nullable=False, default=0))
    return Table("assessment_rollup", Base.metadata, *columns)


assessment_rollup = _rollup_table()


class RollupWatermark(Base):
    """How far the rollup has read the event log (one row)."""

    __tablename__ = "assessment_watermark"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
