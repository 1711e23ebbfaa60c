"""The administrative tree (市→区→街道→社区→网格→小区→楼栋) and the functional departments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime, prefix_index


class RegionLevel(StrEnum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"
    grid = "grid"
    compound = "compound"
    building = "building"


LEVEL_ORDER: tuple[RegionLevel, ...] = tuple(RegionLevel)
LEVEL_LABELS_ZH: dict[RegionLevel, str] = {
    RegionLevel.city: "市",
    RegionLevel.district: "区县",
    RegionLevel.street: "街道乡镇",
    RegionLevel.community: "社区村",
    RegionLevel.grid: "网格",
    RegionLevel.compound: "小区",
    RegionLevel.building: "楼栋",
}
# Length of the full code at each level: 6-digit GB/T 2260 district code, then three digits
# per level below it (a grid code is 15 digits).
CODE_LENGTH: dict[RegionLevel, int] = {
    RegionLevel.city: 6,
    RegionLevel.district: 6,
    RegionLevel.street: 9,
    RegionLevel.community: 12,
    RegionLevel.grid: 15,
    RegionLevel.compound: 18,
    RegionLevel.building: 21,
}


class Region(Base):
    """One node of the administrative tree; staff scopes and case locations point here."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    # Materialised path of ancestor ids ("/1/4/17/"), so "is X in Y's subtree" is one
    # prefix comparison and a subtree is one indexed LIKE query (see prefix_index).
    path: Mapped[str] = mapped_column(String(255))
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    parent: Mapped[Region | None] = relationship(remote_side=[id], lazy="raise_on_sql")

    # Optimistic locking: two editors of one region cannot both win.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(x) for x in self.path.strip("/").split("/") if x]

    __table_args__ = (prefix_index("ix_region_path", "path"),)


class DepartmentKind(StrEnum):
    urban_management = "urban_management"
    market_regulation = "market_regulation"
    housing = "housing"
    water = "water"
    ecology = "ecology"
    public_security = "public_security"
    emergency = "emergency"
    human_resources = "human_resources"
    health = "health"
    civil_affairs = "civil_affairs"
    transport = "transport"
    education = "education"
    natural_resources = "natural_resources"
    culture_tourism = "culture_tourism"
    agriculture = "agriculture"
    other = "other"


DEPARTMENT_LABELS_ZH: dict[DepartmentKind, str] = {
    DepartmentKind.urban_management: "城市管理局",
    DepartmentKind.market_regulation: "市场监督管理局",
    DepartmentKind.housing: "住房和城乡建设局",
    DepartmentKind.water: "水务局",
    DepartmentKind.ecology: "生态环境局",
    DepartmentKind.public_security: "公安分局",
    DepartmentKind.emergency: "应急管理局",
    DepartmentKind.human_resources: "人力资源和社会保障局",
    DepartmentKind.health: "卫生健康局",
    DepartmentKind.civil_affairs: "民政局",
    DepartmentKind.transport: "交通运输局",
    DepartmentKind.education: "教育局",
    DepartmentKind.natural_resources: "自然资源局",
    DepartmentKind.culture_tourism: "文化和旅游局",
    DepartmentKind.agriculture: "农业农村局",
    DepartmentKind.other: "其他部门",
}


class Department(Base):
    """A functional department (区直部门) of a district, or of the city itself."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    region: Mapped[Region] = relationship(lazy="raise_on_sql")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read-only mapper config
