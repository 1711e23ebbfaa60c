"""API shapes and the catalogue file format of case categories."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhili.cases.categories.models import CategoryKind
from zhili.org.models import DepartmentKind


class RuleIn(BaseModel):
    amount: int = Field(..., gt=0)
    unit: Literal["minutes", "hours", "days"]
    working: bool


AttributeDatatype = Literal[
    "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"
]
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")


class AttributeValueIn(BaseModel):
    # YAML reads a key like 1 as a number; keys are compared as the strings clients send.
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="forbid")

    key: str = Field(..., min_length=1, max_length=64)
    name: str = Field(..., min_length=1, max_length=100)


class AttributeIn(BaseModel):
    """An extra field of a category (an Open311 service attribute, GeoReport v2 names)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in the YAML is an error

    code: str = Field(..., pattern=r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
    variable: bool = True  # false: shown to the reporter as information, never asked for
    datatype: AttributeDatatype
    required: bool = False
    datatype_description: str | None = Field(None, max_length=200)
    order: int = Field(..., ge=1)
    description: str = Field(..., min_length=1, max_length=500)
    values: list[AttributeValueIn] = []

    @model_validator(mode="after")
    def _values_fit_the_datatype(self) -> AttributeIn:
        if self.datatype in LIST_DATATYPES and not self.values:
            raise ValueError(f"{self.code}: a {self.datatype} needs values")
        if self.datatype not in LIST_DATATYPES and self.values:
            raise ValueError(f"{self.code}: only list datatypes have values")
        if len({v.key for v in self.values}) != len(self.values):
            raise ValueError(f"{self.code}: value keys must be unique")
        return self


class CategoryIn(BaseModel):
    """One row of the catalogue file (``defaults.yaml``) or of a create request."""

    code: str = Field(..., pattern=r"^[A-Z][0-9A-Z]{1,15}$")
    name: str = Field(..., min_length=1, max_length=64)
    kind: CategoryKind | None = None  # minor classes inherit their major class's kind
    parent: str | None = None
    department: DepartmentKind | None = None
    deadline: RuleIn | None = None
    response: RuleIn | None = None
    public: bool = True
    attributes: list[AttributeIn] = []

    @model_validator(mode="after")
    def _attributes_unique(self) -> CategoryIn:
        codes = [a.code for a in self.attributes]
        orders = [a.order for a in self.attributes]
        if len(set(codes)) != len(codes) or len(set(orders)) != len(orders):
            raise ValueError(f"{self.code}: attribute codes and orders must be unique")
        return self


class CatalogueIn(BaseModel):
    defaults: dict[str, RuleIn]
    categories: list[CategoryIn]


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: CategoryKind
    parent_id: int | None
    department_kind: DepartmentKind | None
    deadline_amount: int
    deadline_unit: str
    deadline_working: bool
    response_amount: int
    response_unit: str
    response_working: bool
    is_public: bool
    is_active: bool
    attributes: list[AttributeIn] = []
