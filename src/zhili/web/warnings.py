"""研判预警 on the workbench: the insight warnings in the dashboard's feed, a page per warning
with its evidence, and the one-step actions (立案, 督办, 忽略) that call insight's service.

The dashboard knows nothing of insight (it only offers a slot); this module fills the slot, so
the dependency runs web → insight like every other page.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.errors import ValidationFailed, ZhiliError
from zhili.insight import warnings as insight_warnings
from zhili.insight.models import InsightWarning, WarningKind, WarningStatus
from zhili.org.deps import GridCacheDep, SessionDep
from zhili.org.models import Region
from zhili.org.users.models import User
from zhili.web.dashboard.insights import Insight, register_source
from zhili.web.deps import WebUser
from zhili.web.errors import fail_back
from zhili.web.forms import FormDep, text
from zhili.web.templating import flash, render

router = APIRouter()

KIND_ZH = {
    WarningKind.hotspot: "热点",
    WarningKind.surge: "激增",
    WarningKind.trend: "趋势拐点",
    WarningKind.repeat_caller: "重复来电",
    WarningKind.failing_place: "反复失败地点",
    WarningKind.slipping_unit: "响应下滑单位",
}
STATUS_ZH = {
    WarningStatus.new: "待处置",
    WarningStatus.case: "已立案",
    WarningStatus.supervised: "已督办",
    WarningStatus.dismissed: "已忽略",
}
# Space-time clusters and surges are happening now; the risk lists are slower-moving.
_RED_KINDS = {WarningKind.hotspot.value, WarningKind.surge.value}
FEED_LIMIT = 20


def warnings_source(session: Session, user: User, region: Region) -> Sequence[Insight]:
    """Undisposed warnings inside the unit on screen (the dashboard has checked its scope)."""
    rows = session.scalars(
        select(InsightWarning)
        .where(
            InsightWarning.status == WarningStatus.new.value,
            InsightWarning.region_path.startswith(region.path),
        )
        .order_by(InsightWarning.created_at.desc(), InsightWarning.score.desc())
        .limit(FEED_LIMIT)
    ).all()
    return [
        Insight(
            level="red" if w.kind in _RED_KINDS else "yellow",
            title=f"【{KIND_ZH.get(WarningKind(w.kind), w.kind)}】{w.title}",
            detail=str((w.evidence or {}).get("summary") or ""),
            at=w.created_at,
            link=f"/work/warnings/{w.id}",
        )
        for w in rows
    ]


def install(app: FastAPI) -> None:
    register_source(app, warnings_source)


@router.get("/work/warnings/{warning_id}")
def warning_page(request: Request, session: SessionDep, user: WebUser, warning_id: int) -> Response:
    warning = insight_warnings.get_warning(session, actor=user, warning_id=warning_id)
    return render(
        request,
        "work/warning.html",
        {
            "w": warning,
            "kind_zh": KIND_ZH.get(WarningKind(warning.kind), warning.kind),
            "status_zh": STATUS_ZH.get(WarningStatus(warning.status), warning.status),
            "is_new": warning.status == WarningStatus.new.value,
            "evidence": sorted((warning.evidence or {}).items()),
        },
        user=user,
    )


@router.post("/work/warnings/{warning_id}/{step}")
def warning_step(
    request: Request,
    session: SessionDep,
    cache: GridCacheDep,
    user: WebUser,
    warning_id: int,
    step: str,
    form: FormDep,
) -> Response:
    back = f"/work/warnings/{warning_id}"
    note = text(form.get("note")) or None
    try:
        if step == "case":
            _, case = insight_warnings.to_case(
                session, actor=user, cache=cache, warning_id=warning_id, note=note
            )
            flash(request, f"已据预警立案：{case.number}")
            return RedirectResponse(f"/work/cases/{case.id}", status_code=303)
        if step == "supervise":
            _, supervised = insight_warnings.supervise(
                session, actor=user, warning_id=warning_id, note=note
            )
            message = f"已对 {len(supervised)} 件在办案件发出督办"
        elif step == "dismiss":
            if note is None:
                raise ValidationFailed("note", "a reason is required", "忽略预警须填写理由")
            insight_warnings.dismiss(session, actor=user, warning_id=warning_id, reason=note)
            message = "已忽略该预警"
        else:
            raise ValidationFailed("step", "unknown step", "未知操作")
    except ZhiliError as exc:
        return fail_back(request, session, exc, back)
    flash(request, message)
    return RedirectResponse(back, status_code=303)
