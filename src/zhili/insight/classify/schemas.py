"""Request and response bodies of suggestions, feedback, models and duplicate checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from zhili.insight.models import Target


class SuggestIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000, description="title and description")
    targets: list[Target] = Field(default_factory=lambda: [Target.category, Target.unit])
    top: int = Field(default=3, ge=1, le=10)


class SuggestionOut(BaseModel):
    label: str
    name: str | None
    probability: float


class TargetSuggestions(BaseModel):
    model_id: int | None
    model_version: int | None
    suggestions: list[SuggestionOut]


class FeedbackIn(BaseModel):
    target: Target
    label: str = Field(min_length=1, max_length=64)
    case_id: int | None = None
    text: str | None = Field(default=None, max_length=5000)
    suggested: list[dict[str, Any]] | None = None
    model_id: int | None = None


class FeedbackOut(BaseModel):
    id: int
    target: str
    label: str
    case_id: int | None
    accepted: bool | None


class ModelOut(BaseModel):
    id: int
    target: str
    version: int
    status: str
    algorithm: str
    samples: int
    labels: int
    source: str
    holdout_score: float
    baseline_score: float | None
    metrics: dict[str, Any]
    created_at: datetime


class TrainIn(BaseModel):
    target: Target
    seed: int = 0


class TrainOut(BaseModel):
    promoted: bool
    model: ModelOut
    dropped_labels: dict[str, int]


class DuplicateCheckIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    at: datetime | None = None
    category_id: int | None = None
    radius_m: float = Field(default=300.0, gt=0, le=5000)
    window_hours: float = Field(default=72.0, gt=0, le=24 * 90)
    min_similarity: float = Field(default=0.3, ge=0, le=1)


class DuplicateOut(BaseModel):
    case_id: int
    number: str
    title: str
    state: str
    category_id: int | None
    created_at: datetime
    similarity: float
    distance_m: float
    hours_apart: float
    same_category: bool | None
