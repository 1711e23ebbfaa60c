"""HTTP API of the case catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from zhili.cases.categories import service
from zhili.cases.categories.models import CategoryKind
from zhili.cases.categories.schemas import CategoryOut
from zhili.org.deps import CurrentUser, SessionDep

router = APIRouter(tags=["case categories"])


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(
    session: SessionDep, user: CurrentUser, kind: CategoryKind | None = None
) -> list[CategoryOut]:
    return [CategoryOut.model_validate(c) for c in service.list_categories(session, kind=kind)]


@router.put("/categories", response_model=dict[str, int])
def load_catalogue(session: SessionDep, user: CurrentUser, body: dict[str, Any]) -> dict[str, int]:
    """Upload a whole catalogue (same shape as the shipped defaults.yaml); upsert by code."""
    return {"changed": service.load_catalogue(session, actor=user, data=body)}
