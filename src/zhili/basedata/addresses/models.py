"""Standard addresses (标准地址): door › building › unit › room, each linked to its grid.

District and street are the org tree's (``Region``); an address starts at the door plate
(road + number) inside one grid and goes down to the room. Codes are opaque strings issued by
whoever keeps the address register (公安 or 住建 in most cities); the hierarchy is held by
``parent_id``, so any coding scheme fits.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime, prefix_index


class AddressLevel(StrEnum):
    door = "door"  # 门牌：道路/村组 + 门牌号
    building = "building"  # 楼栋
    unit = "unit"  # 单元
    room = "room"  # 户室


LEVEL_RANK = {level: i for i, level in enumerate(AddressLevel)}
ADDRESS_LEVEL_LABELS_ZH = {
    AddressLevel.door: "门牌",
    AddressLevel.building: "楼栋",
    AddressLevel.unit: "单元",
    AddressLevel.room: "户室",
}


class Address(Base):
    __tablename__ = "std_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("std_address.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    # The grid's materialised path: scope checks are one prefix comparison, as for regions.
    region_path: Mapped[str] = mapped_column(String(255))
    road: Mapped[str] = mapped_column(String(64))  # 街路巷 or 村民小组
    number: Mapped[str] = mapped_column(String(16))  # 门牌号
    compound: Mapped[str | None] = mapped_column(String(64))  # 小区 / 院落
    building: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(16))
    room: Mapped[str | None] = mapped_column(String(16))
    full_text: Mapped[str] = mapped_column(String(255))  # 区 + 街道 + 社区 + 门牌 + 楼栋…
    search_text: Mapped[str] = mapped_column(String(255))  # normalised for fuzzy search
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config

    __table_args__ = (prefix_index("ix_std_address_region_path", "region_path"),)


class AddressToken(Base):
    """Inverted index for fuzzy search: Han-character bigrams and number tokens (18号, 3栋).

    The primary key (token, address_id) is the posting list, read by one index range scan per
    token; region names are left out, being shared by thousands of addresses.
    """

    __tablename__ = "std_address_token"

    token: Mapped[str] = mapped_column(String(24), primary_key=True)
    address_id: Mapped[int] = mapped_column(
        ForeignKey("std_address.id", ondelete="CASCADE"), primary_key=True, index=True
    )
