"""API shapes of standard addresses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from zhili.basedata.addresses.models import AddressLevel

CODE_PATTERN = r"^[0-9A-Za-z-]{1,40}$"


class AddressIn(BaseModel):
    code: str = Field(..., pattern=CODE_PATTERN, description="标准地址编码 (unique)")
    parent_id: int | None = Field(None, description="the address one level up; none for a door")
    grid_id: int | None = Field(None, description="door plates: the grid; below: the parent's")
    road: str | None = Field(None, max_length=64, description="街路巷 / 村民小组")
    number: str | None = Field(None, max_length=16, description="门牌号")
    compound: str | None = Field(None, max_length=64, description="小区 / 院落")
    building: str | None = Field(None, max_length=16)
    unit: str | None = Field(None, max_length=16)
    room: str | None = Field(None, max_length=16)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class AddressPatch(BaseModel):
    version: int = Field(..., description="the version you read; stale → 409")
    compound: str | None = Field(None, max_length=64)
    building: str | None = Field(None, max_length=16)
    unit: str | None = Field(None, max_length=16)
    room: str | None = Field(None, max_length=16)
    road: str | None = Field(None, max_length=64)
    number: str | None = Field(None, max_length=16)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class AddressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    parent_id: int | None
    level: AddressLevel
    grid_id: int
    road: str
    number: str
    compound: str | None
    building: str | None
    unit: str | None
    room: str | None
    full_text: str
    lon: float | None
    lat: float | None
    is_active: bool
    version: int


class AddressMatch(BaseModel):
    address: AddressOut
    score: float = Field(..., description="0–1; ≥ 0.8 is a confident match")


class AddressMatches(BaseModel):
    query: str
    normalised: str
    items: list[AddressMatch]
