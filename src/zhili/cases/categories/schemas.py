"""API shapes and the catalogue file format of case categories."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zhili.cases.categories.models import CategoryKind
from zhili.org.models import DepartmentKind


class RuleIn(BaseModel):
    amount: int = Field(..., gt=0)
    unit: Literal["minutes", "hours", "days"]
    working: bool


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
