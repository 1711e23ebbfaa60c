"""HTTP API of the composite indices, under /api/v1/indices.

Computation is stateless: the framework (a shipped name or an uploaded YAML/Excel file) and
the data (CSV/Excel) come with the request, and nothing is written, so there is no service
module and no audit row — reading is not a change of state.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from zhili.core.errors import NotFound, ValidationFailed
from zhili.core.security import Permission
from zhili.indices import charts, results, tables, uncertainty
from zhili.indices.campaigns.routes import router as campaigns_router
from zhili.indices.excel import framework_data_from_bytes
from zhili.indices.framework import Framework, load, load_text, parse, shipped
from zhili.indices.pipeline import compute
from zhili.indices.schemas import ComputeOut, FrameworkOut, UncertaintyOut
from zhili.indices.spec import UncertaintySpec
from zhili.org.access import authorize
from zhili.org.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/indices", tags=["indices"])
router.include_router(campaigns_router)  # 测评, under /api/v1/indices/campaigns
MAX_UPLOAD = 20 * 1024 * 1024
MAX_RUNS = 20_000


def _bytes(upload: UploadFile, field: str) -> bytes:
    raw = upload.file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise ValidationFailed(field, "file larger than 20 MB", "文件超过 20 MB")
    return raw


def _is_excel(upload: UploadFile) -> bool:
    return (upload.filename or "").lower().endswith((".xlsx", ".xlsm"))


def _framework(name: str | None, upload: UploadFile | None) -> Framework:
    if upload is not None:
        raw = _bytes(upload, "framework")
        if _is_excel(upload):
            return parse(framework_data_from_bytes(raw, upload.filename or "framework"))
        try:
            return load_text(raw.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise ValidationFailed("framework", "not UTF-8 text", "文件须为 UTF-8 编码") from exc
    if name is None:
        raise ValidationFailed(
            "framework", "upload a framework file or name a shipped one", "请上传或指定指标体系"
        )
    if name not in shipped():
        raise NotFound("framework", name)
    return load(name)


def _table(upload: UploadFile) -> tables.Table:
    raw = _bytes(upload, "data")
    if _is_excel(upload):
        return tables.read_xlsx(io.BytesIO(raw))
    try:
        return tables.read_csv_text(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ValidationFailed("data", "not UTF-8 text", "数据文件须为 UTF-8 编码") from exc


@router.get("/frameworks", response_model=list[FrameworkOut])
def list_frameworks(session: SessionDep, user: CurrentUser) -> list[FrameworkOut]:
    """The example frameworks shipped with zhili."""
    authorize(session, actor=user, permission=Permission.index_read)
    out = []
    for name in shipped():
        fw = load(name)
        out.append(
            FrameworkOut(
                name=name,
                title=fw.name,
                description=fw.spec.description,
                indicators=len(fw.indicators),
                aggregates=len(fw.aggregates),
                veto_indicators=sum(1 for i in fw.indicators if i.veto is not None),
            )
        )
    return out


@router.get("/frameworks/{name}")
def get_framework(name: str, session: SessionDep, user: CurrentUser) -> dict[str, object]:
    """A shipped framework as JSON (the YAML's content)."""
    authorize(session, actor=user, permission=Permission.index_read)
    if name not in shipped():
        raise NotFound("framework", name)
    return load(name).spec.model_dump(mode="json", exclude_defaults=True)


@router.post("/compute", response_model=ComputeOut)
def compute_index(
    session: SessionDep,
    user: CurrentUser,
    data: Annotated[UploadFile, File(description="CSV or Excel, one row per unit")],
    framework: Annotated[UploadFile | None, File(description="YAML or Excel")] = None,
    framework_name: Annotated[str | None, Form(description="or a shipped framework")] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> object:
    """Scores and ranks at every level, weights, strengths and weaknesses; ``format=csv``
    gives the same table as ``zhili index compute``."""
    authorize(session, actor=user, permission=Permission.index_read)
    result = compute(_framework(framework_name, framework), _table(data))
    if format == "csv":
        header, rows = results.result_rows(result)
        return Response(tables.write_csv(header, rows), media_type="text/csv; charset=utf-8")
    return charts.result_details(result)


@router.post("/uncertainty", response_model=UncertaintyOut)
def analyse_uncertainty(
    session: SessionDep,
    user: CurrentUser,
    data: Annotated[UploadFile, File()],
    framework: Annotated[UploadFile | None, File()] = None,
    framework_name: Annotated[str | None, Form()] = None,
    runs: Annotated[int | None, Form(ge=10, le=MAX_RUNS)] = None,
    seed: Annotated[int | None, Form()] = None,
) -> object:
    """Monte Carlo rank intervals and Sobol indices of the framework's uncertain choices."""
    authorize(session, actor=user, permission=Permission.index_read)
    fw = _framework(framework_name, framework)
    spec = fw.spec.uncertainty or UncertaintySpec()
    update = {k: v for k, v in (("runs", runs), ("seed", seed)) if v is not None}
    u = uncertainty.analyse(fw, _table(data), spec.model_copy(update=update))
    out = uncertainty.summary(u)
    out["charts"] = charts.uncertainty_charts(u)
    return out
