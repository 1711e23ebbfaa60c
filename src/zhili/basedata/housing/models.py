"""Actual housing (实有房屋): buildings, dwellings with their use, and the households in them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime, prefix_index


class BuildingUse(StrEnum):
    residential = "residential"
    commercial = "commercial"
    mixed = "mixed"
    public = "public"
    other = "other"


BUILDING_USE_LABELS_ZH = {
    BuildingUse.residential: "住宅",
    BuildingUse.commercial: "商业",
    BuildingUse.mixed: "商住混合",
    BuildingUse.public: "公共建筑",
    BuildingUse.other: "其他",
}


class DwellingUse(StrEnum):
    self_occupied = "self_occupied"
    rented = "rented"
    vacant = "vacant"
    commercial = "commercial"
    other = "other"
    # Made by a persons import at an address with no dwelling yet; a gridder confirms the use
    # on the next visit, so it is never mistaken for a verified one.
    unverified = "unverified"


DWELLING_USE_LABELS_ZH = {
    DwellingUse.self_occupied: "自住",
    DwellingUse.rented: "出租",
    DwellingUse.vacant: "空置",
    DwellingUse.commercial: "经营",
    DwellingUse.other: "其他",
    DwellingUse.unverified: "待核实",
}


class Building(Base):
    __tablename__ = "building"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("std_address.id"), unique=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(255))
    use: Mapped[str] = mapped_column(String(16))
    floors: Mapped[int | None] = mapped_column(Integer)
    year_built: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config

    __table_args__ = (prefix_index("ix_building_region_path", "region_path"),)


class Dwelling(Base):
    """One dwelling (一套房屋) at one standard address: a room, or a door for a house."""

    __tablename__ = "dwelling"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("std_address.id"), unique=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(255))
    use: Mapped[str] = mapped_column(String(16), index=True)
    area_m2: Mapped[float | None] = mapped_column(Float)
    owner_name: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config

    __table_args__ = (prefix_index("ix_dwelling_region_path", "region_path"),)


class Household(Base):
    """A household (户) living in a dwelling; the unit that gridders visit (入户)."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    dwelling_id: Mapped[int] = mapped_column(ForeignKey("dwelling.id"), index=True)
    # Copied from the dwelling (which holds the foreign key) for one-table grid counts.
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (prefix_index("ix_household_region_path", "region_path"),)
