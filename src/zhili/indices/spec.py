"""The indicator framework as written by people: the YAML (or Excel) schema, field by field.

Unknown keys are refused (``extra="forbid"``) so a typo such as ``wieght`` is an error naming
the field instead of a silently ignored setting. Short forms are accepted where the issue's
examples use them: ``impute: mean`` means ``impute: {method: mean}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ImputeMethod = Literal["none", "mean", "median", "group_mean", "group_median"]
NormaliseMethod = Literal[
    "minmax", "zscore", "goalposts", "distance_to_target", "rank", "percentile"
]
WeightsMethod = Literal["manual", "equal", "entropy", "critic", "ahp", "pca"]
AggregateMethod = Literal["arithmetic", "geometric", "harmonic", "copeland", "topsis"]
Code = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=40)]


def _short(value: Any) -> Any:
    """``impute: mean`` → ``{method: mean}``."""
    return {"method": value} if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VetoRule(_Strict):
    """A unit fails the indicator when its (denominated) value is above or below a limit."""

    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> VetoRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above: N or below: N")
        return self

    def fails(self, value: float) -> bool:
        if self.above is not None:
            return value > self.above
        assert self.below is not None
        return value < self.below


class IndicatorSpec(_Strict):
    code: Code
    name: str = Field(min_length=1)
    parent: Code
    direction: Literal[1, -1] = 1
    weight: float = Field(default=1.0, ge=0)
    unit: str = ""
    column: str | None = None  # the data column; defaults to the code
    denominator: str | None = None  # a data column (e.g. POP) the value is divided by
    per: float = Field(default=1.0, gt=0)  # e.g. 10000 for "per 10 000 residents"
    target: float | None = None
    goalposts: tuple[float, float] | None = None
    veto: VetoRule | None = None
    source: str = Field(default="data", pattern=r"^(data|survey|metric:[a-z0-9_]+)$")
    description: str = ""

    @field_validator("veto", mode="before")
    @classmethod
    def _veto(cls, value: Any) -> Any:
        if value is False:
            return None
        if value is True:
            raise ValueError("say when the unit fails: veto: {above: N} or veto: {below: N}")
        return value

    @model_validator(mode="after")
    def _goalposts(self) -> IndicatorSpec:
        if self.goalposts is not None and not self.goalposts[0] < self.goalposts[1]:
            raise ValueError("goalposts must be [low, high] with low < high")
        return self

    @property
    def data_column(self) -> str:
        return self.column or self.code


class WeightsSpec(_Strict):
    method: WeightsMethod = "manual"
    rotation: Literal["varimax", "none"] = "varimax"  # PCA only


class AggregateNodeSpec(_Strict):
    code: Code
    name: str = Field(min_length=1)
    parent: Code | None = None
    weight: float = Field(default=1.0, ge=0)
    aggregate: AggregateMethod | None = None  # overrides the pipeline's method at this node
    weights: WeightsSpec | None = None  # overrides the pipeline's weighting at this node
    ahp: list[list[float | str]] | None = None  # pairwise matrix, rows in the children's order
    description: str = ""

    @field_validator("weights", mode="before")
    @classmethod
    def _short_weights(cls, value: Any) -> Any:
        return _short(value)


class ImputeSpec(_Strict):
    method: ImputeMethod = "none"
    group: str | None = None

    @model_validator(mode="after")
    def _group(self) -> ImputeSpec:
        if self.method.startswith("group_") and not self.group:
            raise ValueError(f"{self.method} needs group: <column>")
        return self


class TreatSpec(_Strict):
    method: Literal["none", "winsorise"] = "none"
    skew: float = Field(default=2.0, gt=0)
    kurtosis: float = Field(default=3.5)
    max_points: int = Field(default=5, ge=0)
    fallback: Literal["log", "none"] = "log"


class NormaliseSpec(_Strict):
    method: NormaliseMethod = "minmax"
    low: float = 0.0  # minmax
    high: float = 100.0
    mean: float = 0.0  # zscore: result = mean + sd · z
    sd: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _range(self) -> NormaliseSpec:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self


class AggregateSpec(_Strict):
    method: AggregateMethod = "arithmetic"
    # Geometric and harmonic means need positive values; below this they are raised to it.
    floor: float = Field(default=1.0, gt=0)


class VetoSpec(_Strict):
    effect: Literal["flag", "cap"] = "flag"
    cap: float | None = None  # the highest index score a vetoed unit may keep

    @model_validator(mode="after")
    def _cap(self) -> VetoSpec:
        if self.effect == "cap" and self.cap is None:
            raise ValueError("effect: cap needs cap: <highest score>")
        return self


class PipelineSpec(_Strict):
    denominate: bool = True
    impute: ImputeSpec = ImputeSpec()
    treat: TreatSpec = TreatSpec()
    normalise: NormaliseSpec = NormaliseSpec()
    weights: WeightsSpec = WeightsSpec()
    aggregate: AggregateSpec = AggregateSpec()
    veto: VetoSpec = VetoSpec()

    @field_validator("impute", "treat", "normalise", "weights", "aggregate", "veto", mode="before")
    @classmethod
    def _short_forms(cls, value: Any) -> Any:
        return _short(value)


class UncertaintySpec(_Strict):
    """The uncertain choices a Monte Carlo run draws from (each uniformly, independently).

    An empty list keeps the nominal choice fixed; that factor then gets no Sobol index.
    """

    runs: int = Field(default=1000, ge=10, le=1_000_000)
    seed: int = 1
    impute: list[ImputeMethod] = []
    normalise: list[NormaliseMethod] = []
    weights_noise: float = Field(default=0.0, ge=0, lt=1)  # each weight × U(1 − a, 1 + a)
    aggregate: list[AggregateMethod] = []
    leave_one_out: bool = False


class FrameworkSpec(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    version: str = "1"
    indicators: list[IndicatorSpec] = Field(min_length=1)
    aggregates: list[AggregateNodeSpec] = Field(min_length=1)
    pipeline: PipelineSpec = PipelineSpec()
    uncertainty: UncertaintySpec | None = None
