"""HTTP API of cases: intake, queues, one case, the public view, registration and dispatch."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, Response, UploadFile

from zhili.cases import queries, service
from zhili.cases.intake.schemas import BatchIntake, BatchReceived
from zhili.cases.models import Attachment, Channel
from zhili.cases.places import AddressResolver
from zhili.cases.queries import CaseFilter
from zhili.cases.schemas import (
    CaseDetail,
    CaseIntake,
    CaseOut,
    CasePage,
    DispatchIn,
    MergeIn,
    PublicCase,
    ReasonIn,
    RegisterIn,
)
from zhili.cases.sla import WarningLevel
from zhili.cases.storage import Storage
from zhili.org.deps import CurrentUser, GridCacheDep, SessionDep, SettingsDep

router = APIRouter(tags=["cases"])


def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


StorageDep = Annotated[Storage, Depends(get_storage)]


def get_address_resolver(request: Request) -> AddressResolver | None:
    resolver: AddressResolver | None = getattr(request.app.state, "address_resolver", None)
    return resolver


AddressResolverDep = Annotated[AddressResolver | None, Depends(get_address_resolver)]


@router.post("/cases", response_model=CaseOut, status_code=201)
def intake(
    session: SessionDep,
    user: CurrentUser,
    cache: GridCacheDep,
    resolver: AddressResolverDep,
    body: CaseIntake,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseOut:
    """受理: register a report from any channel. Retries with the same Idempotency-Key
    return the first case (200) instead of creating another."""
    case, replayed = service.intake(
        session,
        actor=user,
        cache=cache,
        data=body,
        idempotency_key=idempotency_key,
        resolve_address=resolver,
    )
    if replayed:
        response.status_code = 200
    return queries.present(session, actor=user, case=case)


@router.post("/cases/batch", response_model=BatchReceived, status_code=201)
def intake_batch(
    session: SessionDep,
    user: CurrentUser,
    cache: GridCacheDep,
    resolver: AddressResolverDep,
    body: BatchIntake,
    response: Response,
) -> BatchReceived:
    """受理 in bulk, for feeds (the 12345 platform's sync, sensor alarms): up to 500 reports
    in one transaction. Each item may carry its own idempotency key; a retried batch returns
    the cases made the first time (200 when nothing new was made). One bad item refuses the
    batch: the error names it (``items.3.lon``) and nothing is written."""
    items = service.intake_many(
        session, actor=user, cache=cache, items=body.items, resolve_address=resolver
    )
    created = sum(1 for i in items if not i.replayed)
    if created == 0:
        response.status_code = 200
    return BatchReceived(created=created, replayed=len(items) - created, items=items)


@router.get("/cases", response_model=CasePage)
def list_cases(
    session: SessionDep,
    user: CurrentUser,
    state: Annotated[list[str] | None, Query()] = None,
    region_id: int | None = None,
    department_id: int | None = None,
    handler_region_id: int | None = None,
    category_id: int | None = None,
    channel: Channel | None = None,
    warning: WarningLevel | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
    with_total: bool = False,
) -> CasePage:
    """Queues: filter by state, area, unit, category, channel, warning level and time."""
    filters = CaseFilter(
        states=state or (),
        region_id=region_id,
        department_id=department_id,
        handler_region_id=handler_region_id,
        category_id=category_id,
        channel=channel.value if channel else None,
        warning=warning,
        created_from=created_from,
        created_to=created_to,
        q=q,
    )
    items, next_cursor, total = queries.list_cases(
        session, actor=user, filters=filters, limit=limit, cursor=cursor, with_total=with_total
    )
    return CasePage(items=items, next_cursor=next_cursor, total=total)


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(
    session: SessionDep,
    user: CurrentUser,
    case_id: int,
    unmask: bool = Query(False, description="show the reporter's contact (logged)"),
) -> CaseDetail:
    return queries.detail(session, actor=user, case_id=case_id, unmask=unmask)


@router.get("/public/cases/{number}", response_model=PublicCase, tags=["public"])
def public_case(session: SessionDep, number: str) -> PublicCase:
    """进度查询: anyone with the case number sees its progress, never personal data."""
    return queries.public_view(session, number=number)


@router.post("/cases/{case_id}/register", response_model=CaseOut)
def register(session: SessionDep, user: CurrentUser, case_id: int, body: RegisterIn) -> CaseOut:
    case = service.register(
        session,
        actor=user,
        case_id=case_id,
        version=body.version,
        category_id=body.category_id,
        urgency=body.urgency.value if body.urgency else None,
        note=body.note,
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/reject", response_model=CaseOut)
def reject(session: SessionDep, user: CurrentUser, case_id: int, body: ReasonIn) -> CaseOut:
    case = service.reject(
        session, actor=user, case_id=case_id, reason=body.reason, version=body.version
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/answer", response_model=CaseOut)
def answer(session: SessionDep, user: CurrentUser, case_id: int, body: ReasonIn) -> CaseOut:
    case = service.answer(
        session, actor=user, case_id=case_id, reason=body.reason, version=body.version
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/merge", response_model=CaseOut)
def merge(session: SessionDep, user: CurrentUser, case_id: int, body: MergeIn) -> CaseOut:
    case = service.merge(
        session,
        actor=user,
        case_id=case_id,
        into_case_id=body.into_case_id,
        version=body.version,
        note=body.note,
    )
    return queries.present(session, actor=user, case=case)


@router.post("/cases/{case_id}/dispatch", response_model=CaseOut)
def dispatch(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, case_id: int, body: DispatchIn
) -> CaseOut:
    case = service.dispatch(
        session,
        actor=user,
        settings=settings,
        case_id=case_id,
        department_id=body.department_id,
        region_id=body.region_id,
        version=body.version,
        note=body.note,
    )
    return queries.present(session, actor=user, case=case)


@router.get("/cases/{case_id}/attachments/{attachment_id}", response_class=Response)
def download(
    session: SessionDep, user: CurrentUser, storage: StorageDep, case_id: int, attachment_id: int
) -> Response:
    """An attachment's bytes (photo, PDF, video), for whoever may read the case."""
    row = queries.attachment(session, actor=user, case_id=case_id, attachment_id=attachment_id)
    return attachment_response(storage, row)


def attachment_response(storage: Storage, row: Attachment) -> Response:
    """The stored bytes as a response: the sniffed type, shown inline (photos, PDF) under
    its original name, never re-sniffed by the browser, cached privately (content never
    changes: the key is its hash)."""
    return Response(
        storage.read(row.storage_key),
        media_type=row.content_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(row.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=86400, immutable",
        },
    )


@router.post("/cases/{case_id}/attachments", status_code=201)
async def upload(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    storage: StorageDep,
    case_id: int,
    file: UploadFile,
) -> dict[str, object]:
    # Read one byte past the limit: enough to refuse an oversize file without holding it all.
    data = await file.read(settings.max_attachment_bytes + 1)
    row = service.attach(
        session,
        actor=user,
        settings=settings,
        storage=storage,
        case_id=case_id,
        filename=file.filename or "upload",
        data=data,
    )
    session.flush()
    return {
        "id": row.id,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
    }
