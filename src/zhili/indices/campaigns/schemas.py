"""API shapes of evaluation campaigns (测评)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhili.indices.campaigns.models import Method, Outcome


class CatalogueOut(BaseModel):
    id: int
    name: str
    criteria: int


class CriterionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    requirement: str
    name: str
    full_score: float
    method: Method
    evidence: list[str]
    site_types: list[str]
    per_item: float | None
    cap: float | None
    question: str | None
    zero_at: float | None
    full_at: float | None
    department_id: int | None


class CampaignIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    catalogue_id: int
    region_ids: list[int] = Field(min_length=1)
    shortfall_ratio: float = Field(default=0.6, gt=0, le=1)


class FollowUpIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    # Default: the units that have rectification tasks.
    region_ids: list[int] | None = None


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    catalogue_id: int
    follow_up_of_id: int | None
    state: str
    shortfall_ratio: float
    version: int


class CheckItemIn(BaseModel):
    criterion_code: str
    outcome: Outcome
    deduction: float = Field(default=0.0, ge=0)
    note: str | None = None

    @model_validator(mode="after")
    def _named_points(self) -> CheckItemIn:
        if self.outcome == Outcome.deduction and self.deduction <= 0:
            raise ValueError("a deduction item names its points (deduction > 0)")
        if self.outcome != Outcome.deduction and self.deduction:
            raise ValueError("only a deduction item carries points")
        return self


class VisitIn(BaseModel):
    region_id: int
    site_type: str = Field(min_length=1, max_length=64)
    site_name: str = Field(min_length=1, max_length=200)
    visited_on: date
    note: str | None = None
    items: list[CheckItemIn] = Field(min_length=1)


class ReviewIn(BaseModel):
    accept: bool
    reason: str | None = None


class QuestionIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["single", "likert", "awareness"]
    text: str = Field(min_length=1, max_length=500)
    options: list[str] = Field(default_factory=list)
    positive: list[str] = Field(default_factory=list)
    positive_min: int = Field(default=4, ge=2, le=5)
    required: bool = True

    @model_validator(mode="after")
    def _options(self) -> QuestionIn:
        if self.kind == "single" and len(self.options) < 2:
            raise ValueError("a single-choice question needs at least two options")
        if self.kind != "single" and (self.options or self.positive):
            raise ValueError("only single-choice questions have options")
        if not set(self.positive) <= set(self.options):
            raise ValueError("positive options must be among the options")
        return self


class QuestionnaireIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    questions: list[QuestionIn] = Field(min_length=1)


class QuestionnaireOut(BaseModel):
    id: int
    campaign_id: int
    title: str
    questions: list[dict[str, Any]]


class LinkIn(BaseModel):
    region_id: int


class LinkOut(BaseModel):
    id: int
    token: str
    region_id: int
    path: str


class AnswersIn(BaseModel):
    answers: dict[str, Any]


class StaffAnswersIn(AnswersIn):
    region_id: int


class RaiseTasksIn(BaseModel):
    deadline: date
    # region id → owner user id, for every unit with a shortfall
    owners: dict[int, int]


class ReportTaskIn(BaseModel):
    note: str = Field(min_length=1)
    version: int


class VerifyTaskIn(BaseModel):
    accept: bool
    version: int
    note: str | None = None


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    region_id: int
    criterion_id: int
    score_before: float
    full_score: float
    owner_id: int
    deadline: date
    state: str
    report_note: str | None
    version: int
