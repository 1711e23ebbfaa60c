"""Tables of the insight package: trained models, dispatcher feedback (and, below, warnings)."""

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


class Target(StrEnum):
    """What a classifier predicts."""

    category = "category"  # a leaf of the case catalogue (its code)
    unit = "unit"  # the handling unit: "dept:<code>" or "region:<code>"


class ModelStatus(StrEnum):
    active = "active"  # the one suggestions come from (at most one per target)
    retired = "retired"  # was active, replaced by a better one
    rejected = "rejected"  # trained, but did not beat the active model on held-out data


class InsightModel(Base):
    """One trained classifier. The fitted pipeline lives in a file under ``media_root``;
    ``sha256`` is checked before it is loaded, so a swapped file is refused."""

    __tablename__ = "insight_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    algorithm: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    labels: Mapped[list[str]] = mapped_column(JSON)
    samples: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(255))  # "cases", or the file it learnt from
    # Macro-F1 of this model and of the then active one on the same held-out rows.
    holdout_score: Mapped[float] = mapped_column(Float)
    baseline_score: Mapped[float | None] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    storage_key: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    trained_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("target", "version", name="uq_insight_model_target_version"),
        Index("ix_insight_model_target_status", "target", "status"),
    )


class InsightFeedback(Base):
    """A dispatcher's choice of category or unit for a text: the next model learns from it."""

    __tablename__ = "insight_feedback"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    target: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(64))
    # what the model had suggested (labels with probabilities) and which model
    suggested: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("insight_model.id"))
    accepted: Mapped[bool | None] = mapped_column(Boolean)  # the top suggestion was taken
    actor_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_insight_feedback_target_created", "target", "created_at"),)


# -- detect: warnings (hotspots, anomalies, risk lists, monthly issue) go below ------------


class WarningKind(StrEnum):
    hotspot = "hotspot"  # 热点: a space-time cluster of one category
    surge = "surge"  # 激增: a category's daily count in one district
    trend = "trend"  # 趋势拐点: a sustained rise (CUSUM)
    repeat_caller = "repeat_caller"  # 重复来电: risk of escalation to petitions
    failing_place = "failing_place"  # 反复失败的地点
    slipping_unit = "slipping_unit"  # 响应下滑的单位


class WarningStatus(StrEnum):
    new = "new"
    case = "case"  # turned into a case
    supervised = "supervised"  # turned into supervision orders
    dismissed = "dismissed"


class InsightWarning(Base):
    """A detection (预警) for the dashboard's feed. ``fingerprint`` keeps a re-scan from
    storing the same finding twice; ``region_path`` makes the feed scope-aware."""

    __tablename__ = "insight_warning"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=WarningStatus.new.value)
    title: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("case_category.id"))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[float] = mapped_column(Float)  # larger is stronger (−log10 p, or a count)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(128), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))  # the case made from it
    handled_by_id: Mapped[int | None] = mapped_column(Integer)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config
    __table_args__ = (
        Index("ix_insight_warning_status_created", "status", "created_at"),
        prefix_index("ix_insight_warning_region_path", "region_path"),
    )
