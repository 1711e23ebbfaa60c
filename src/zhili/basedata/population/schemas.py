"""API shapes of residents. ID numbers, phones and exact birth dates are masked by default.

Why the birth date too: the masked ID keeps its first four and last four characters, and
the birth date is characters 7–14; with both, only two digits and a check digit remain to
guess. Masked views therefore show the birth year only.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from zhili.basedata.population.codes import (
    Education,
    Gender,
    IdType,
    InflowReason,
    LeftBehindKind,
    MaritalStatus,
    PoliticalStatus,
    Relation,
    ResidentType,
    SpecialGroup,
)


class PersonFields(BaseModel):
    """What a clerk may type; ``population.rules`` checks it as it checks an import row."""

    name: str | None = Field(None, max_length=64)
    gender: Gender | None = Field(None, description="from the ID number when it is a citizen ID")
    birth_date: date | None = None
    ethnicity: str | None = Field(None, max_length=16, description="GB 3304, e.g. 汉族")
    native_place: str | None = Field(None, max_length=64)
    resident_type: ResidentType | None = None
    relation: Relation | None = None
    phone: str | None = Field(None, max_length=32)
    hukou_address: str | None = Field(None, max_length=255)
    education: Education | None = None
    marital_status: MaritalStatus | None = None
    political_status: PoliticalStatus | None = None
    religion: str | None = Field(None, max_length=32)
    occupation: str | None = Field(None, max_length=64)
    employer: str | None = Field(None, max_length=128)
    nationality: str | None = Field(None, max_length=3)
    inflow_reason: InflowReason | None = None
    left_behind_kind: LeftBehindKind | None = None


class ResidentIn(PersonFields):
    id_type: IdType = IdType.citizen_id
    id_number: str = Field(..., min_length=5, max_length=20)
    name: str = Field(..., min_length=1, max_length=64)
    household_id: int


class ResidentPatch(PersonFields):
    version: int = Field(..., description="the version you read; stale → 409")
    household_id: int | None = Field(None, description="moves the resident to this household")


class UnmaskIn(BaseModel):
    reason: str = Field(..., min_length=4, max_length=200, description="why (kept in the log)")


class LookupIn(BaseModel):
    """POST, not GET: an ID number must never sit in a URL, a proxy log or browser history."""

    id_number: str = Field(..., min_length=5, max_length=20)
    id_type: IdType = IdType.citizen_id
    unmask: bool = False
    reason: str | None = Field(None, max_length=200)


class SpecialGroupIn(BaseModel):
    special_group: SpecialGroup
    since: date | None = None
    note: str | None = Field(None, max_length=2000)


class ResidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    id_type: IdType
    id_number: str = Field(..., description="5301**********1234 unless unmasked (logged)")
    name: str
    gender: Gender
    birth_year: int | None = None
    birth_date: date | None = Field(None, description="only when unmasked")
    ethnicity: str | None
    native_place: str | None
    resident_type: ResidentType
    household_id: int
    relation: Relation
    phone: str | None = Field(None, description="138****5678 unless unmasked (logged)")
    hukou_address: str | None
    education: Education | None
    marital_status: MaritalStatus | None
    political_status: PoliticalStatus | None
    religion: str | None
    occupation: str | None
    employer: str | None
    nationality: str | None
    inflow_reason: InflowReason | None
    left_behind_kind: LeftBehindKind | None
    grid_id: int
    version: int
    masked: bool = True
    special_groups: list[SpecialGroup] | None = Field(
        None, description="only for roles that follow special groups"
    )


class HouseholdDetail(BaseModel):
    id: int
    code: str
    dwelling_id: int
    grid_id: int
    address: str
    dwelling_use: str
    members: list[ResidentOut]
