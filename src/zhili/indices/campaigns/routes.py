"""HTTP API of evaluation campaigns (测评), under /api/v1/indices/campaigns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from zhili.core.errors import NotFound
from zhili.core.security import Permission
from zhili.indices.campaigns import reports, service, workbook
from zhili.indices.campaigns.access import require_read
from zhili.indices.campaigns.deps import StorageDep, units_in_scope
from zhili.indices.campaigns.evidence import service as evidence_service
from zhili.indices.campaigns.models import (
    CampaignState,
    EvalCampaign,
    EvalCatalogue,
    EvalCheckItem,
    EvalCriterion,
    EvalEvidence,
)
from zhili.indices.campaigns.questionnaires.routes import router as questionnaires_router
from zhili.indices.campaigns.rectification.routes import router as rectification_router
from zhili.indices.campaigns.schemas import (
    CampaignIn,
    CampaignOut,
    CatalogueOut,
    CriterionOut,
    ReviewIn,
    VisitIn,
)
from zhili.indices.campaigns.scoring import UnitScore, score_campaign
from zhili.org.access import authorize
from zhili.org.deps import CurrentUser, SessionDep, SettingsDep
from zhili.org.models import Region

router = APIRouter(prefix="/campaigns", tags=["evaluation campaigns"])
router.include_router(questionnaires_router)
router.include_router(rectification_router)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_CATALOGUE = 10 * 1024 * 1024


@router.post("/catalogues", status_code=201, response_model=CatalogueOut)
async def import_catalogue(
    session: SessionDep,
    user: CurrentUser,
    name: Annotated[str, Form(max_length=100)],
    file: Annotated[UploadFile, File(description=".xlsx criteria catalogue")],
) -> CatalogueOut:
    """Import a criteria catalogue: all rows valid, or 422 listing every bad row."""
    data = await file.read(MAX_CATALOGUE + 1)
    cat = service.import_catalogue(
        session, actor=user, name=name, filename=file.filename or "criteria.xlsx", data=data
    )
    count = session.scalar(select(func.count()).where(EvalCriterion.catalogue_id == cat.id))
    return CatalogueOut(id=cat.id, name=cat.name, criteria=count or 0)


@router.get("/catalogues", response_model=list[CatalogueOut])
def list_catalogues(session: SessionDep, user: CurrentUser) -> list[CatalogueOut]:
    authorize(session, actor=user, permission=Permission.evaluation_read)
    counts = {
        catalogue_id: n
        for catalogue_id, n in session.execute(
            select(EvalCriterion.catalogue_id, func.count()).group_by(EvalCriterion.catalogue_id)
        )
    }
    return [
        CatalogueOut(id=c.id, name=c.name, criteria=counts.get(c.id, 0))
        for c in session.scalars(select(EvalCatalogue).order_by(EvalCatalogue.id))
    ]


@router.get("/catalogues/{catalogue_id:int}/criteria", response_model=list[CriterionOut])
def list_criteria(session: SessionDep, user: CurrentUser, catalogue_id: int) -> list[Any]:
    authorize(session, actor=user, permission=Permission.evaluation_read)
    if session.get(EvalCatalogue, catalogue_id) is None:
        raise NotFound("catalogue", catalogue_id)
    return list(
        session.scalars(
            select(EvalCriterion)
            .where(EvalCriterion.catalogue_id == catalogue_id)
            .order_by(EvalCriterion.seq)
        )
    )


@router.post("", status_code=201, response_model=CampaignOut)
def create_campaign(session: SessionDep, user: CurrentUser, body: CampaignIn) -> EvalCampaign:
    campaign = service.create_campaign(session, actor=user, **body.model_dump())
    session.flush()
    return campaign


@router.get("", response_model=list[CampaignOut])
def list_campaigns(session: SessionDep, user: CurrentUser) -> list[EvalCampaign]:
    authorize(session, actor=user, permission=Permission.evaluation_read)
    return list(session.scalars(select(EvalCampaign).order_by(EvalCampaign.id)))


@router.get("/{campaign_id:int}", response_model=CampaignOut)
def get_campaign(session: SessionDep, user: CurrentUser, campaign_id: int) -> EvalCampaign:
    authorize(session, actor=user, permission=Permission.evaluation_read)
    return service.get_campaign(session, campaign_id)


@router.post("/{campaign_id:int}/open", response_model=CampaignOut)
def open_campaign(
    session: SessionDep, user: CurrentUser, campaign_id: int, version: int
) -> EvalCampaign:
    """Start evaluating (``?version=`` of the campaign as you saw it)."""
    campaign = service.set_state(
        session, actor=user, campaign_id=campaign_id, state=CampaignState.open, version=version
    )
    session.flush()
    return campaign


@router.post("/{campaign_id:int}/close", response_model=CampaignOut)
def close_campaign(
    session: SessionDep, user: CurrentUser, campaign_id: int, version: int
) -> EvalCampaign:
    """End evaluating: scores are final and shortfalls can become rectification tasks."""
    campaign = service.set_state(
        session, actor=user, campaign_id=campaign_id, state=CampaignState.closed, version=version
    )
    session.flush()
    return campaign


@router.post("/{campaign_id:int}/visits", status_code=201)
def record_visit(
    session: SessionDep, user: CurrentUser, campaign_id: int, body: VisitIn
) -> dict[str, Any]:
    """实地测评: one site of one unit, with its check items."""
    visit = service.record_visit(session, actor=user, campaign_id=campaign_id, **body.model_dump())
    session.flush()
    items = session.scalars(
        select(EvalCheckItem.id)
        .where(EvalCheckItem.visit_id == visit.id)
        .order_by(EvalCheckItem.id)
    )
    return {"id": visit.id, "items": list(items)}


@router.post("/check-items/{item_id:int}/photos", status_code=201)
async def add_photo(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    storage: StorageDep,
    item_id: int,
    file: UploadFile,
) -> dict[str, Any]:
    data = await file.read(settings.max_attachment_bytes + 1)
    item = service.add_photo(
        session, actor=user, settings=settings, storage=storage, item_id=item_id,
        filename=file.filename or "photo", data=data,
    )  # fmt: skip
    return {"id": item.id, "photos": item.photos}


@router.post("/{campaign_id:int}/evidence", status_code=201)
async def upload_evidence(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    storage: StorageDep,
    campaign_id: int,
    region_id: Annotated[int, Form()],
    criterion_code: Annotated[str, Form()],
    item: Annotated[str, Form()],
    file: UploadFile,
) -> dict[str, Any]:
    """印证材料: a unit uploads one of a criterion's materials."""
    data = await file.read(settings.max_attachment_bytes + 1)
    row = evidence_service.upload_evidence(
        session, actor=user, settings=settings, storage=storage, campaign_id=campaign_id,
        region_id=region_id, criterion_code=criterion_code, item=item,
        filename=file.filename or "upload", data=data,
    )  # fmt: skip
    return {"id": row.id, "state": row.state, "content_type": row.content_type}


@router.get("/{campaign_id:int}/evidence")
def list_evidence(session: SessionDep, user: CurrentUser, campaign_id: int) -> list[dict[str, Any]]:
    """Materials of the units in the reader's scope (a department: those it reviews)."""
    service.get_campaign(session, campaign_id)
    query = (
        select(EvalEvidence, EvalCriterion.code)
        .join(EvalCriterion, EvalCriterion.id == EvalEvidence.criterion_id)
        .where(EvalEvidence.campaign_id == campaign_id)
        .order_by(EvalEvidence.id)
    )
    if user.role == "department":
        authorize(session, actor=user, permission=Permission.evaluation_review)
        query = query.where(EvalCriterion.department_id == user.department_id)
    else:
        query = query.where(EvalEvidence.region_id.in_(units_in_scope(session, user, campaign_id)))
    return [
        {"id": e.id, "region_id": e.region_id, "criterion_code": code, "item": e.item,
         "filename": e.filename, "state": e.state, "reason": e.reason}
        for e, code in session.execute(query)
    ]  # fmt: skip


@router.post("/evidence/{evidence_id:int}/review")
def review_evidence(
    session: SessionDep, user: CurrentUser, evidence_id: int, body: ReviewIn
) -> dict[str, Any]:
    row = evidence_service.review_evidence(
        session, actor=user, evidence_id=evidence_id, accept=body.accept, reason=body.reason
    )
    return {"id": row.id, "state": row.state, "reason": row.reason}


def _unit_json(u: UnitScore) -> dict[str, Any]:
    return {
        "region_id": u.region_id,
        "code": u.code,
        "name": u.name,
        "total": u.total,
        "full": u.full,
        "rate": u.rate,
        "rank": u.rank,
        "criteria": [c.__dict__ for c in u.criteria],
        "surveys": [t.as_dict() for t in u.surveys.values()],
    }


@router.get("/{campaign_id:int}/scores")
def scores(session: SessionDep, user: CurrentUser, campaign_id: int) -> list[dict[str, Any]]:
    """Every unit in the reader's scope: scores per criterion, total, 得分率 and rank."""
    campaign = service.get_campaign(session, campaign_id)
    ids = units_in_scope(session, user, campaign_id)
    return [_unit_json(u) for u in score_campaign(session, campaign) if u.region_id in ids]


def _unit(session: SessionDep, user: CurrentUser, campaign_id: int, region_id: int) -> Region:
    campaign = service.get_campaign(session, campaign_id)
    region = service.unit_region(session, campaign, region_id)
    require_read(session, user, region)
    return region


@router.get("/{campaign_id:int}/units/{region_id:int}/scores")
def unit_scores(
    session: SessionDep, user: CurrentUser, campaign_id: int, region_id: int
) -> dict[str, Any]:
    _unit(session, user, campaign_id, region_id)
    report = reports.build(
        session, service.get_campaign(session, campaign_id), region_ids={region_id}
    )
    return _unit_json(reports.unit_of(report, region_id))


@router.get("/{campaign_id:int}/units/{region_id:int}/report.{fmt:str}")
def unit_report(
    session: SessionDep, user: CurrentUser, campaign_id: int, region_id: int, fmt: str
) -> Response:
    """测评分报告 of one unit, as ``report.html`` or ``report.xlsx``."""
    _unit(session, user, campaign_id, region_id)
    report = reports.build(
        session, service.get_campaign(session, campaign_id), region_ids={region_id}
    )
    if fmt == "html":
        return HTMLResponse(reports.unit_html(report, region_id))
    if fmt == "xlsx":
        return Response(workbook.unit_workbook(report, region_id), media_type=XLSX)
    raise NotFound("report format", fmt)


@router.get("/{campaign_id:int}/report.{fmt:str}")
def overall_report(session: SessionDep, user: CurrentUser, campaign_id: int, fmt: str) -> Response:
    """测评总报告: every unit for evaluators, admins and city leaders (others: their units)."""
    campaign = service.get_campaign(session, campaign_id)
    ids = units_in_scope(session, user, campaign_id)
    report = reports.build(session, campaign, region_ids=ids)
    if fmt == "html":
        return HTMLResponse(reports.overall_html(report))
    if fmt == "xlsx":
        return Response(workbook.overall_workbook(report), media_type=XLSX)
    raise NotFound("report format", fmt)
