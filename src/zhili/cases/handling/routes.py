"""HTTP API of handling, verification and return visits."""

from __future__ import annotations

from fastapi import APIRouter

from zhili.cases import queries
from zhili.cases.handling import service
from zhili.cases.schemas import (
    CaseOut,
    DecisionIn,
    ExtensionIn,
    ReasonIn,
    ResultIn,
    VerifyIn,
    VersionedIn,
    VisitIn,
)
from zhili.org.deps import CurrentUser, SessionDep, SettingsDep

router = APIRouter(tags=["case handling"])


@router.post("/cases/{case_id}/accept", response_model=CaseOut)
def accept(session: SessionDep, user: CurrentUser, case_id: int, body: VersionedIn) -> CaseOut:
    case = service.accept(
        session, actor=user, case_id=case_id, version=body.version, note=body.note
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/return", response_model=CaseOut)
def return_case(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, case_id: int, body: ReasonIn
) -> CaseOut:
    case = service.return_case(
        session,
        actor=user,
        settings=settings,
        case_id=case_id,
        reason=body.reason,
        version=body.version,
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/escalate", response_model=CaseOut)
def escalate(session: SessionDep, user: CurrentUser, case_id: int, body: ReasonIn) -> CaseOut:
    case = service.escalate(
        session, actor=user, case_id=case_id, reason=body.reason, version=body.version
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/extension", response_model=CaseOut)
def request_extension(
    session: SessionDep, user: CurrentUser, case_id: int, body: ExtensionIn
) -> CaseOut:
    case = service.request_extension(
        session,
        actor=user,
        case_id=case_id,
        days=body.days,
        reason=body.reason,
        version=body.version,
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/extension/decision", response_model=CaseOut)
def decide_extension(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, case_id: int, body: DecisionIn
) -> CaseOut:
    case = service.decide_extension(
        session,
        actor=user,
        settings=settings,
        case_id=case_id,
        approve=body.approve,
        version=body.version,
        note=body.note,
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/result", response_model=CaseOut)
def submit_result(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, case_id: int, body: ResultIn
) -> CaseOut:
    case = service.submit_result(
        session,
        actor=user,
        settings=settings,
        case_id=case_id,
        result=body.result,
        version=body.version,
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/verify", response_model=CaseOut)
def verify(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, case_id: int, body: VerifyIn
) -> CaseOut:
    case = service.verify(
        session,
        actor=user,
        settings=settings,
        case_id=case_id,
        passed=body.passed,
        version=body.version,
        note=body.note,
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/visit", response_model=CaseOut)
def visit(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, case_id: int, body: VisitIn
) -> CaseOut:
    case = service.visit(
        session,
        actor=user,
        settings=settings,
        case_id=case_id,
        resolved=body.resolved,
        satisfaction=body.satisfaction.value,
        reopen=body.reopen,
        version=body.version,
        note=body.note,
    )
    return queries.present(session, actor=user, case=case)
