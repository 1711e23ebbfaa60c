"""HTTP API of imports and exports: upload a file, fetch its report, download an export."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import Response

from zhili.basedata.deps import VaultDep
from zhili.basedata.imports import export, service
from zhili.basedata.imports.models import ImportJob
from zhili.basedata.imports.schemas import ImportJobOut
from zhili.core.errors import ValidationFailed
from zhili.org.deps import CurrentUser, SessionDep

router = APIRouter(tags=["basedata: imports and exports"])

Kind = Literal["persons", "addresses", "units", "dwellings"]
Format = Literal["csv", "xlsx"]
MAX_UPLOAD = 512 * 1024 * 1024
SHOWN_ERRORS = 200
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _out(job: ImportJob) -> ImportJobOut:
    out = ImportJobOut.model_validate(job)
    out.errors = out.errors[:SHOWN_ERRORS]
    out.report_url = f"/api/v1/basedata/imports/{job.id}/report.csv"
    return out


@router.post("/imports/{kind}", response_model=ImportJobOut, status_code=201)
async def upload(
    session: SessionDep,
    user: CurrentUser,
    vault: VaultDep,
    kind: Kind,
    file: UploadFile,
    good_rows_only: bool = Query(False, description="import the good rows, report the rest"),
) -> ImportJobOut:
    """CSV (UTF-8, GBK/GB18030) or .xlsx. Every row is checked first; by default a file
    with any bad row changes nothing. The job is returned with its status and report."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationFailed(
            "file", "larger than 512 MiB: split it", "文件超过 512 MiB，请拆分后导入"
        )
    job = service.run_import(
        session,
        actor=user,
        vault=vault,
        kind=kind,
        data=data,
        filename=file.filename or f"{kind}.csv",
        good_rows_only=good_rows_only,
    )
    return _out(job)


@router.get("/imports/{job_id}", response_model=ImportJobOut)
def get_job(session: SessionDep, user: CurrentUser, job_id: int) -> ImportJobOut:
    return _out(service.get_job(session, actor=user, job_id=job_id))


@router.get("/imports/{job_id}/report.{fmt}")
def report(session: SessionDep, user: CurrentUser, job_id: int, fmt: Format) -> Response:
    """The full per-row report (row, field, reason) to download."""
    job = service.get_job(session, actor=user, job_id=job_id)
    return Response(
        service.render_report(job, fmt),
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-report.{fmt}"'},
    )


@router.get("/exports/{kind}.{fmt}")
def download(
    session: SessionDep,
    user: CurrentUser,
    vault: VaultDep,
    kind: Kind,
    fmt: Format,
    region_id: int | None = Query(None, description="an area inside your scope (else 403)"),
    header: Literal["zh", "en"] = "zh",
) -> Response:
    """Masked export of your area in the import's columns (logged)."""
    data, _ = export.export(
        session,
        actor=user,
        vault=vault,
        kind=kind,
        fmt=fmt,
        region_id=region_id,
        chinese_header=header == "zh",
    )
    return _file(data, kind, fmt)


@router.post("/exports/{kind}.{fmt}")
def download_unmasked(
    session: SessionDep,
    user: CurrentUser,
    vault: VaultDep,
    kind: Kind,
    fmt: Format,
    reason: str = Query(..., min_length=4, max_length=200),
    region_id: int | None = None,
    header: Literal["zh", "en"] = "zh",
) -> Response:
    """Unmasked export: needs id_number.read (persons) or personal_data.read, and a reason."""
    data, _ = export.export(
        session,
        actor=user,
        vault=vault,
        kind=kind,
        fmt=fmt,
        region_id=region_id,
        unmask=True,
        reason=reason,
        chinese_header=header == "zh",
    )
    return _file(data, kind, fmt)


def _file(data: bytes, kind: str, fmt: str) -> Response:
    return Response(
        data,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{kind}.{fmt}"'},
    )
