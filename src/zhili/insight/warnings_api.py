"""HTTP API of the warning feed (预警), included by ``insight.routes`` under /insight.

GET /warnings is scope-aware (a street sees the warnings of its own area); a warning becomes a
case or supervision orders in one request (one transaction, audited by the service).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from zhili.core.errors import Forbidden
from zhili.core.pagination import Page
from zhili.core.security import Permission, Role
from zhili.insight import warnings as service
from zhili.insight.models import InsightWarning, WarningKind, WarningStatus
from zhili.insight.monthly import monthly_issue
from zhili.org.access import authorize, scope_region
from zhili.org.deps import CurrentUser, GridCacheDep, SessionDep

router = APIRouter(tags=["insight"])


class WarningOut(BaseModel):
    id: int
    kind: WarningKind
    status: WarningStatus
    title: str
    region_id: int | None
    department_id: int | None
    category_id: int | None
    period_start: datetime
    period_end: datetime
    score: float
    evidence: dict[str, Any]
    case_id: int | None
    created_at: datetime
    version: int


class ActIn(BaseModel):
    note: str | None = Field(None, max_length=2000)
    version: int | None = Field(None, description="the version you read; stale → 409")


class DismissIn(BaseModel):
    reason: str = Field(..., min_length=2, max_length=2000)
    version: int | None = None


class ToCaseOut(BaseModel):
    warning: WarningOut
    case_id: int
    case_number: str


class SuperviseOut(BaseModel):
    warning: WarningOut
    case_ids: list[int]


def _out(w: InsightWarning) -> WarningOut:
    return WarningOut(
        id=w.id,
        kind=WarningKind(w.kind),
        status=WarningStatus(w.status),
        title=w.title,
        region_id=w.region_id,
        department_id=w.department_id,
        category_id=w.category_id,
        period_start=w.period_start,
        period_end=w.period_end,
        score=w.score,
        evidence=w.evidence,
        case_id=w.case_id,
        created_at=w.created_at,
        version=w.version,
    )


@router.get("/warnings", response_model=Page[WarningOut])
def list_warnings(
    session: SessionDep,
    user: CurrentUser,
    kind: WarningKind | None = None,
    status: WarningStatus | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[WarningOut]:
    """预警: the feed for the dashboard, within your area."""
    rows, total = service.feed(
        session, actor=user, kind=kind, status=status, limit=limit, offset=offset
    )
    return Page(items=[_out(w) for w in rows], total=total, limit=limit, offset=offset)


@router.get("/warnings/{warning_id}", response_model=WarningOut)
def get_warning(warning_id: int, session: SessionDep, user: CurrentUser) -> WarningOut:
    return _out(service.get_warning(session, actor=user, warning_id=warning_id))


@router.post("/warnings/{warning_id}/case", response_model=ToCaseOut, status_code=201)
def warning_to_case(
    warning_id: int, body: ActIn, session: SessionDep, user: CurrentUser, cache: GridCacheDep
) -> ToCaseOut:
    """转为案件: the warning enters the case loop as a new case."""
    warning, case = service.to_case(
        session,
        actor=user,
        cache=cache,
        warning_id=warning_id,
        note=body.note,
        version=body.version,
    )
    return ToCaseOut(warning=_out(warning), case_id=case.id, case_number=case.number)


@router.post("/warnings/{warning_id}/supervise", response_model=SuperviseOut)
def warning_supervise(
    warning_id: int, body: ActIn, session: SessionDep, user: CurrentUser
) -> SuperviseOut:
    """督办: supervision orders on every open case behind the warning."""
    warning, cases = service.supervise(
        session, actor=user, warning_id=warning_id, note=body.note, version=body.version
    )
    return SuperviseOut(warning=_out(warning), case_ids=[c.id for c in cases])


@router.post("/warnings/{warning_id}/dismiss", response_model=WarningOut)
def warning_dismiss(
    warning_id: int, body: DismissIn, session: SessionDep, user: CurrentUser
) -> WarningOut:
    return _out(
        service.dismiss(
            session, actor=user, warning_id=warning_id, reason=body.reason, version=body.version
        )
    )


class CandidateOut(BaseModel):
    category_id: int
    code: str
    name: str
    volume: int
    growth: float
    dissatisfaction: float
    spread: float
    score: float
    ranks: dict[str, float]
    case_ids: list[int]


@router.get("/monthly", response_model=list[CandidateOut])
def monthly(
    session: SessionDep,
    user: CurrentUser,
    month: date = Query(..., description="any day of the month, e.g. 2026-06-01"),
    top: int = Query(10, ge=1, le=100),
) -> list[CandidateOut]:
    """每月一题: candidate problems of the month in your area, best first, with their cases."""
    authorize(session, actor=user, permission=Permission.case_read)
    path = None
    if not (user.role == Role.admin and user.region_id is None):
        scope = scope_region(session, user)
        if scope is None:
            raise Forbidden("no scope", "您没有管辖范围")
        path = scope.path
    found = monthly_issue(session, month=month, region_path=path, top=top)
    return [
        CandidateOut(
            category_id=c.category_id,
            code=c.code,
            name=c.name,
            volume=c.volume,
            growth=round(c.growth, 4),
            dissatisfaction=round(c.dissatisfaction, 4),
            spread=round(c.spread, 4),
            score=c.score,
            ranks=c.ranks,
            case_ids=c.case_ids,
        )
        for c in found
    ]
