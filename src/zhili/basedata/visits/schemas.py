"""API shapes of household visits, visit coverage and the grid profile."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from zhili.basedata.visits.models import VisitKind
from zhili.cases.models import Urgency


class CaseFromVisit(BaseModel):
    """A problem found on the visit, raised as a case in the same step (channel gridder)."""

    title: str = Field(..., min_length=2, max_length=200)
    description: str = Field(..., min_length=2, max_length=5000)
    category_id: int | None = None
    urgency: Urgency = Urgency.normal


class VisitIn(BaseModel):
    household_id: int
    visited_at: datetime | None = Field(None, description="default: now; never in the future")
    kind: VisitKind = VisitKind.routine
    findings: str | None = Field(None, max_length=5000)
    raise_case: CaseFromVisit | None = None


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    household_id: int
    gridder_id: int
    grid_id: int
    visited_at: datetime
    kind: VisitKind
    findings: str | None
    case_id: int | None
    case_number: str | None = None


class CoverageRow(BaseModel):
    key_id: int = Field(..., description="the grid's or the gridder's id")
    code: str = Field(..., description="grid code or gridder username")
    name: str
    households: int
    visited: int
    rate: float | None = Field(..., description="visited ÷ households; None without households")
    meets_target: bool


class Coverage(BaseModel):
    by: str
    window_start: datetime
    window_end: datetime
    target: float
    households: int
    visited: int
    rate: float | None
    below_target: int = Field(..., description="rows under the target")
    rows: list[CoverageRow]


class GridProfile(BaseModel):
    grid_id: int
    code: str
    name: str
    gridders: list[str]
    households: int
    residents: int
    residents_by_type: dict[str, int]
    dwellings_by_use: dict[str, int]
    buildings: int
    units: int
    units_by_kind: dict[str, int]
    special_groups: dict[str, int] | None = Field(None, description="only for roles that may")
    open_cases: int | None = Field(None, description="None when you may not read cases")
    visit_rate: float | None
    visit_target: float
