"""API shapes of the org domain (regions, departments, point → grid lookup)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhili.org.models import DepartmentKind, RegionLevel


class RegionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    level: RegionLevel
    code: str
    name: str
    population: int | None
    households: int | None
    centroid_lon: float | None
    centroid_lat: float | None
    version: int


class RegionDetail(RegionOut):
    geometry: dict[str, Any] | None
    ancestors: list[RegionOut] = []
    children_count: int = 0
    updated_at: datetime


class RegionCreate(BaseModel):
    parent_id: int | None = Field(None, description="null only for the city itself")
    level: RegionLevel
    code: str = Field(..., pattern=r"^\d{6,21}$", description="GB/T 2260 + 3 digits per level")
    name: str = Field(..., min_length=1, max_length=100)
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon")
    population: int | None = Field(None, ge=0)
    households: int | None = Field(None, ge=0)

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("name must not be blank")
        return v


class RegionUpdate(BaseModel):
    version: int = Field(..., description="the version you read; a stale one gets 409")
    name: str | None = Field(None, min_length=1, max_length=100)
    geometry: dict[str, Any] | None = None
    population: int | None = Field(None, ge=0)
    households: int | None = Field(None, ge=0)


class RegionTreeNode(BaseModel):
    id: int
    code: str
    name: str
    level: RegionLevel
    children: list[RegionTreeNode] = []


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: DepartmentKind
    region_id: int
    phone: str | None
    is_active: bool


class DepartmentCreate(BaseModel):
    region_id: int
    kind: DepartmentKind
    name: str = Field(..., min_length=1, max_length=100)
    code: str = Field(..., min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_.-]+$")
    phone: str | None = Field(None, max_length=32)


class Point(BaseModel):
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)


class BatchLookupIn(BaseModel):
    points: list[Point] = Field(..., min_length=1, max_length=100_000)


class GridLookupOut(BaseModel):
    lon: float
    lat: float
    found: bool
    message_zh: str | None = None
    grid: RegionOut | None = None
    community: RegionOut | None = None
    street: RegionOut | None = None
    district: RegionOut | None = None
    city: RegionOut | None = None


class BatchLookupOut(BaseModel):
    results: list[GridLookupOut]
    found: int
    not_found: int
