"""Actual population (实有人口): residents with the key fields of GB/T 31000, and the
special groups (特殊人群) kept apart so that only the roles that follow them ever read them.

The ID number is never stored in clear (see ``basedata.vault``): ``id_index`` finds a
resident, ``id_masked`` shows one, ``id_cipher`` is opened only for a logged read.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime, prefix_index

BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Resident(Base):
    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    id_type: Mapped[str] = mapped_column(String(16))
    id_index: Mapped[str] = mapped_column(String(32), unique=True)
    id_cipher: Mapped[bytes] = mapped_column(LargeBinary(96))
    id_masked: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date | None] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(16))
    native_place: Mapped[str | None] = mapped_column(String(64))  # 籍贯
    resident_type: Mapped[str] = mapped_column(String(16))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    relation: Mapped[str] = mapped_column(String(16))  # 与户主关系
    phone: Mapped[str | None] = mapped_column(String(32))
    hukou_address: Mapped[str | None] = mapped_column(String(255))  # 户籍地详址
    education: Mapped[str | None] = mapped_column(String(16))
    marital_status: Mapped[str | None] = mapped_column(String(16))
    political_status: Mapped[str | None] = mapped_column(String(16))
    religion: Mapped[str | None] = mapped_column(String(32))
    occupation: Mapped[str | None] = mapped_column(String(64))
    employer: Mapped[str | None] = mapped_column(String(128))  # 服务处所
    nationality: Mapped[str | None] = mapped_column(String(3))  # overseas: ISO 3166 alpha-3
    inflow_reason: Mapped[str | None] = mapped_column(String(16))  # migrants
    left_behind_kind: Mapped[str | None] = mapped_column(String(16))
    # Where the resident lives, copied from the household so that scope filters and grid
    # counts never join three tables. No foreign key: the household holds the real one, and
    # a second check per row would cost a bulk import of a million residents seconds.
    grid_id: Mapped[int] = mapped_column(Integer)
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Few indexes on purpose: each one costs every row of a bulk import. Lists filter by
    # region_path first (scope), then by name or type within the area.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config

    __table_args__ = (prefix_index("ix_resident_region_path", "region_path"),)


class SpecialGroupRecord(Base):
    """One resident's membership of a special group, with who follows them up."""

    __tablename__ = "special_group_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        BIGINT, ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    special_group: Mapped[str] = mapped_column(String(32))
    since: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        prefix_index("ix_special_group_record_region_path", "region_path"),
        UniqueConstraint("resident_id", "special_group", name="uq_special_group_member"),
    )
