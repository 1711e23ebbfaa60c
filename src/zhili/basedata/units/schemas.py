"""API shapes of units (实有单位). The contact phone is a person's: masked by default."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from zhili.basedata.units.models import UnitKind


class UnitFields(BaseModel):
    name: str | None = Field(None, min_length=2, max_length=128)
    kind: UnitKind | None = None
    address_id: int | None = None
    legal_representative: str | None = Field(None, max_length=64)
    contact_name: str | None = Field(None, max_length=64)
    contact_phone: str | None = Field(None, max_length=32)
    staff_count: int | None = Field(None, ge=0, le=10_000_000)
    industry: str | None = Field(None, max_length=64)
    established_on: date | None = None


class UnitIn(UnitFields):
    uscc: str = Field(..., min_length=18, max_length=18, description="统一社会信用代码")
    name: str = Field(..., min_length=2, max_length=128)
    kind: UnitKind = UnitKind.company
    address_id: int


class UnitPatch(UnitFields):
    version: int = Field(..., description="the version you read; stale → 409")


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uscc: str
    name: str
    kind: UnitKind
    address_id: int
    address: str | None = None
    grid_id: int
    legal_representative: str | None
    contact_name: str | None
    contact_phone: str | None = Field(None, description="masked unless unmasked (logged)")
    staff_count: int | None
    industry: str | None
    established_on: date | None
    version: int
    masked: bool = True
