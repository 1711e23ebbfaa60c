"""HTTP API of 吹哨报到."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from zhili.cases.schemas import WhistleIn
from zhili.cases.scope import require
from zhili.cases.service import get_case
from zhili.cases.whistles import service
from zhili.cases.whistles.models import Whistle, WhistleSummons
from zhili.core.security import Permission
from zhili.org.deps import CurrentUser, SessionDep, SettingsDep

router = APIRouter(tags=["whistles"])


class NoteIn(BaseModel):
    note: str | None = Field(None, max_length=2000)


class PartResultIn(BaseModel):
    result: str = Field(..., min_length=2, max_length=5000)


def _summons_out(s: WhistleSummons) -> dict[str, object]:
    return {
        "department_id": s.department_id,
        "role": s.role,
        "state": s.state,
        "report_due_at": s.report_due_at,
        "reported_at": s.reported_at,
        "reported_late": s.reported_late,
        "result": s.result,
        "done_at": s.done_at,
    }


def _whistle_out(w: Whistle, parts: list[WhistleSummons]) -> dict[str, object]:
    return {
        "id": w.id,
        "case_id": w.case_id,
        "type": w.type,
        "state": w.state,
        "blown_by_region_id": w.blown_by_region_id,
        "reason": w.reason,
        "blown_at": w.blown_at,
        "completed_at": w.completed_at,
        "departments": [_summons_out(p) for p in parts],
    }


@router.post("/cases/{case_id}/whistles", status_code=201)
def blow(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, case_id: int, body: WhistleIn
) -> dict[str, object]:
    """吹哨: summon departments, one as lead (主办) and the rest as co-handlers (协办)."""
    whistle = service.blow(
        session,
        actor=user,
        settings=settings,
        case_id=case_id,
        type=body.type,
        reason=body.reason,
        version=body.version,
        departments=[(d.department_id, d.role) for d in body.departments],
    )
    return {
        "id": whistle.id,
        "report_due_at": whistle.blown_at + service.report_in_limit(settings, body.type),
    }


@router.get("/cases/{case_id}/whistles")
def list_whistles(session: SessionDep, user: CurrentUser, case_id: int) -> list[dict[str, object]]:
    case = get_case(session, case_id)
    require(session, actor=user, case=case, permission=Permission.case_read)
    return [_whistle_out(w, parts) for w, parts in service.whistles_of(session, case_id)]


@router.post("/whistles/{whistle_id}/report-in")
def report_in(
    session: SessionDep, user: CurrentUser, whistle_id: int, body: NoteIn
) -> dict[str, object]:
    """报到: the summoned department acknowledges the whistle."""
    return _summons_out(
        service.report_in(session, actor=user, whistle_id=whistle_id, note=body.note)
    )


@router.post("/whistles/{whistle_id}/done")
def finish_part(
    session: SessionDep, user: CurrentUser, whistle_id: int, body: PartResultIn
) -> dict[str, object]:
    return _summons_out(
        service.finish_part(session, actor=user, whistle_id=whistle_id, result=body.result)
    )
