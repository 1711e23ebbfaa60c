"""API shapes of /api/v1/indices."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FrameworkOut(BaseModel):
    name: str  # the shipped file's stem, used to ask for it
    title: str
    description: str
    indicators: int
    aggregates: int
    veto_indicators: int


class UnitScoresOut(BaseModel):
    code: str
    name: str
    scores: dict[str, float | None]
    ranks: dict[str, float | None]
    veto: list[str]
    strengths: list[dict[str, Any]]
    weaknesses: list[dict[str, Any]]


class IndicatorWeightOut(BaseModel):
    code: str
    name: str
    weight: float
    correlation: float | None
    treatment: str
    imputed: int


class ComputeOut(BaseModel):
    framework: str
    levels: list[dict[str, Any]]
    weights: dict[str, dict[str, float]]
    effective_weights: list[IndicatorWeightOut]
    units: list[UnitScoresOut]


class FactorOut(BaseModel):
    factor: str
    label_zh: str
    first_order: float
    total: float


class UnitRanksOut(BaseModel):
    code: str
    name: str
    nominal_rank: float | None
    median_rank: float | None
    p05_rank: float | None
    p95_rank: float | None
    mean_rank: float | None


class UncertaintyOut(BaseModel):
    runs: int
    base_samples: int
    mean_rank_shift: float
    factors: list[FactorOut]
    units: list[UnitRanksOut]
    charts: dict[str, Any]
