"""API shapes of buildings, dwellings and households."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from zhili.basedata.housing.models import BuildingUse, DwellingUse


class BuildingIn(BaseModel):
    address_id: int = Field(..., description="a door or building address")
    use: BuildingUse = BuildingUse.residential
    floors: int | None = Field(None, ge=1, le=200)
    year_built: int | None = Field(None, ge=1800, le=2100)


class BuildingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    address_id: int
    grid_id: int
    use: BuildingUse
    floors: int | None
    year_built: int | None
    version: int


class DwellingIn(BaseModel):
    address_id: int = Field(..., description="a room, or a door for a house")
    use: DwellingUse = DwellingUse.self_occupied
    area_m2: float | None = Field(None, gt=0, le=100_000)
    owner_name: str | None = Field(None, max_length=64)


class DwellingPatch(BaseModel):
    version: int = Field(..., description="the version you read; stale → 409")
    use: DwellingUse | None = None
    area_m2: float | None = Field(None, gt=0, le=100_000)
    owner_name: str | None = Field(None, max_length=64)


class DwellingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    address_id: int
    building_id: int | None
    grid_id: int
    use: DwellingUse
    area_m2: float | None
    owner_name: str | None
    version: int
    address: str | None = None


class HouseholdIn(BaseModel):
    code: str = Field(..., pattern=r"^[0-9A-Za-z-]{1,40}$", description="户编号")
    dwelling_id: int


class HouseholdOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    dwelling_id: int
    grid_id: int
    address: str | None = None
