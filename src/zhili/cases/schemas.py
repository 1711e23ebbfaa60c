"""API shapes of cases. Reporter contact is masked unless the reader may see it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhili.cases.models import Channel, Satisfaction, Urgency
from zhili.cases.sla import WarningLevel
from zhili.cases.whistles.models import SummonsRole, WhistleType
from zhili.org.users.schemas import PHONE_RE


class CaseIntake(BaseModel):
    channel: Channel
    title: str = Field(..., min_length=2, max_length=200)
    description: str = Field(..., min_length=2, max_length=5000)
    category_id: int | None = None
    urgency: Urgency = Urgency.normal
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str | None = Field(None, max_length=255)
    region_id: int | None = Field(None, description="when there is no point: the known area")
    standard_address: str | None = Field(
        None,
        min_length=2,
        max_length=255,
        description="标准地址 text instead of a point: resolved through the address register "
        "to its grid and point (422 when nothing matches confidently)",
    )
    reporter_name: str | None = Field(None, max_length=64)
    reporter_phone: str | None = None
    anonymous: bool = False
    answer: str | None = Field(None, max_length=2000, description="直接办结: the answer given")
    resolved_on_spot: str | None = Field(
        None, max_length=2000, description="网格员自行处置: what the gridder did"
    )

    @field_validator("reporter_phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not PHONE_RE.match(v):
            raise ValueError("reporter_phone must be an 11-digit mobile or a landline")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> CaseIntake:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon and lat come together")
        if self.standard_address and (self.lon is not None or self.region_id is not None):
            raise ValueError("give a point, a region or a standard address, not several")
        if self.anonymous and (self.reporter_name or self.reporter_phone):
            raise ValueError("an anonymous report carries no name or phone")
        if self.answer and self.resolved_on_spot:
            raise ValueError("a case is either answered or resolved on the spot, not both")
        return self


class VersionedIn(BaseModel):
    version: int | None = Field(None, description="the version you read; stale → 409")
    note: str | None = Field(None, max_length=2000)


class RegisterIn(VersionedIn):
    category_id: int | None = None
    urgency: Urgency | None = None


class ReasonIn(VersionedIn):
    reason: str = Field(..., min_length=2, max_length=2000)


class MergeIn(VersionedIn):
    into_case_id: int


class DispatchIn(VersionedIn):
    department_id: int | None = None
    region_id: int | None = Field(None, description="a grid, community or street unit")

    @model_validator(mode="after")
    def _one_target(self) -> DispatchIn:
        if (self.department_id is None) == (self.region_id is None):
            raise ValueError("give exactly one of department_id or region_id")
        return self


class ExtensionIn(VersionedIn):
    days: int = Field(..., ge=1, le=30, description="extra working days")
    reason: str = Field(..., min_length=2, max_length=2000)


class DecisionIn(VersionedIn):
    approve: bool


class ResultIn(VersionedIn):
    result: str = Field(..., min_length=2, max_length=5000)


class VerifyIn(VersionedIn):
    passed: bool


class VisitIn(VersionedIn):
    resolved: bool
    satisfaction: Satisfaction
    reopen: bool = Field(False, description="reopen (重办) when unresolved or unsatisfied")


class SummonsIn(BaseModel):
    department_id: int
    role: SummonsRole


class WhistleIn(VersionedIn):
    type: WhistleType
    reason: str = Field(..., min_length=2, max_length=2000)
    departments: list[SummonsIn] = Field(..., min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_lead(self) -> WhistleIn:
        if sum(d.role == SummonsRole.lead for d in self.departments) != 1:
            raise ValueError("exactly one department leads (主办)")
        if len({d.department_id for d in self.departments}) != len(self.departments):
            raise ValueError("a department is summoned once")
        return self


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor_name: str
    action: str
    action_zh: str = ""
    from_state: str | None
    to_state: str
    note: str | None
    data: dict[str, Any] | None


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    title: str
    description: str
    channel: Channel
    urgency: Urgency
    category_id: int | None
    state: str
    state_zh: str = ""
    lon: float | None
    lat: float | None
    address: str | None
    grid_id: int | None
    community_id: int | None
    street_id: int | None
    district_id: int | None
    reporter_name: str | None
    reporter_phone: str | None
    anonymous: bool
    handler_region_id: int | None
    handler_department_id: int | None
    deadline_at: datetime | None
    warn_at: datetime | None
    respond_by: datetime | None
    responded_at: datetime | None
    warning: WarningLevel = WarningLevel.normal
    escalation_level: int
    extension_requested: bool
    return_count: int
    rework_count: int
    reopen_count: int
    merged_into_id: int | None
    close_reason: str | None
    closed_at: datetime | None
    resolved: bool | None
    satisfaction: str | None
    created_at: datetime
    version: int
    allowed_actions: list[str] = []


class CaseDetail(CaseOut):
    events: list[EventOut] = []
    callers: int = 1


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page")
    total: int | None = Field(None, description="only when ?with_total=true (costly)")


class PublicEvent(BaseModel):
    at: datetime
    step: str


class PublicCase(BaseModel):
    """What anyone holding the case number may see: progress, never personal data."""

    number: str
    title: str
    category: str | None
    state: str
    state_zh: str
    created_at: datetime
    deadline_at: datetime | None
    closed_at: datetime | None
    handler: str | None
    steps: list[PublicEvent]
