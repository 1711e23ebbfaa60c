"""API shapes of the assessment."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from zhili.assessment.metrics import UnitKind


class FigureOut(BaseModel):
    code: str
    name_zh: str
    numerator: int
    denominator: int
    rate: float | None = Field(None, description="per cent; null when nothing to measure")


class ScorecardOut(BaseModel):
    unit_kind: UnitKind
    unit_id: int
    code: str | None = None
    name: str | None = None
    start: str
    end: str
    composite: float | None
    figures: list[FigureOut]
    points: float = 0.0
    point_items: list[dict[str, Any]] = []


class RatingIn(BaseModel):
    department_id: int
    report_in: int = Field(..., ge=1, le=5)
    result: int = Field(..., ge=1, le=5)
    attitude: int = Field(..., ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class FeedbackIn(BaseModel):
    needless: bool
    quality: int = Field(..., ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class AdjustmentIn(BaseModel):
    unit_kind: UnitKind
    unit_id: int
    month: str = Field(..., pattern=r"^\d{4}-\d{2}$")
    points: float
    reason: str = Field(..., min_length=4, max_length=2000)


class DecisionIn(BaseModel):
    approve: bool


class RankingOut(BaseModel):
    level: UnitKind
    month: str
    published: bool
    published_at: str | None = None
    rule: dict[str, Any]
    rows: list[dict[str, Any]]
