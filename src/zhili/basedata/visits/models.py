"""Household visits (上门入户): the core measure of grid work (入户率 ≥ 90 % a year)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime, prefix_index

BIGINT = BigInteger().with_variant(Integer, "sqlite")


class VisitKind(StrEnum):
    routine = "routine"  # 日常走访
    verification = "verification"  # 信息核实（一标三实采集）
    special_group = "special_group"  # 特殊人群帮扶
    dispute = "dispute"  # 矛盾排查
    policy = "policy"  # 政策宣传
    service = "service"  # 民生服务


VISIT_KIND_LABELS_ZH = {
    VisitKind.routine: "日常走访",
    VisitKind.verification: "信息核实",
    VisitKind.special_group: "特殊人群帮扶",
    VisitKind.dispute: "矛盾排查",
    VisitKind.policy: "政策宣传",
    VisitKind.service: "民生服务",
}


class HouseholdVisit(Base):
    __tablename__ = "household_visit"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    gridder_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))
    findings: Mapped[str | None] = mapped_column(Text)
    # The case raised from this visit, if any (no foreign key: cases may be archived apart).
    case_id: Mapped[int | None] = mapped_column(BIGINT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Coverage counts distinct households per grid over a time window.
    __table_args__ = (
        prefix_index("ix_household_visit_region_path", "region_path"),
        Index("ix_household_visit_grid_at", "grid_id", "visited_at"),
        Index("ix_household_visit_household_at", "household_id", "visited_at"),
    )
