"""HTTP API of supervision (督办)."""

from __future__ import annotations

from fastapi import APIRouter

from zhili.cases import queries
from zhili.cases.schemas import CaseOut, ReasonIn
from zhili.cases.supervision import service
from zhili.org.deps import CurrentUser, SessionDep

router = APIRouter(tags=["supervision"])


@router.post("/cases/{case_id}/supervise", response_model=CaseOut)
def supervise(session: SessionDep, user: CurrentUser, case_id: int, body: ReasonIn) -> CaseOut:
    """督办单: a supervision order to the unit holding the case."""
    case = service.supervise(
        session, actor=user, case_id=case_id, note=body.reason, version=body.version
    )
    return queries.present(session, actor=user, case=case)
