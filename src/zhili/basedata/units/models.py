"""Actual units (实有单位): companies, individual businesses and social organisations, each
known by its unified social credit code (GB 32100) and located at a standard address."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime, prefix_index


class UnitKind(StrEnum):
    company = "company"  # 企业
    individual_business = "individual_business"  # 个体工商户
    social_organisation = "social_organisation"  # 社会组织
    public_institution = "public_institution"  # 事业单位
    government = "government"  # 机关
    other = "other"


UNIT_KIND_LABELS_ZH = {
    UnitKind.company: "企业",
    UnitKind.individual_business: "个体工商户",
    UnitKind.social_organisation: "社会组织",
    UnitKind.public_institution: "事业单位",
    UnitKind.government: "机关",
    UnitKind.other: "其他",
}


class Unit(Base):
    __tablename__ = "basedata_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    address_id: Mapped[int] = mapped_column(ForeignKey("std_address.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(255))
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    staff_count: Mapped[int | None] = mapped_column(Integer)
    industry: Mapped[str | None] = mapped_column(String(64))
    established_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config

    __table_args__ = (prefix_index("ix_basedata_unit_region_path", "region_path"),)
